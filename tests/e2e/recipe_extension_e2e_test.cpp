// Adding a component or a variant is a recipe edit: on a copy of the recipes (the Xen-shaped
// upstream of tests/e2e/make-fake-upstream.sh), a fictitious "vgabios" component and a "vga"
// variant building it are added to builder.json, the 4.19 branch file and variants.json only,
// and the real binary pins, prefetches, stages, builds and describes them.

#include "e2e/build_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild::testing;
using OrderedJson = nlohmann::ordered_json;

namespace {

OrderedJson readJson(const fs::path& path) {
    return OrderedJson::parse(readFile(path), nullptr, true, true); // comments allowed
}

void writeJson(const fs::path& path, const OrderedJson& value) {
    writeFile(path, value.dump(2) + "\n");
}

// A git repository with one commit holding a README; returns its commit and NAR hash.
std::pair<std::string, std::string> makeComponent(const FakeUpstream& upstream,
                                                  const std::string& name) {
    const fs::path repo = upstream.root / "git" / name;
    writeFile(repo / "README", name + " component of the fake upstream\n");
    const auto hash = upstream.xenbuild("hash path " + shellQuote(repo.string()));
    REQUIRE(hash.status == 0);
    runOk("cd " + shellQuote(repo.string()) +
          " && git -c init.defaultBranch=main init -q && git add -A && git -c user.name=t -c "
          "user.email=t@example.invalid commit -qm " +
          name);
    return {trim(runOk("git -C " + shellQuote(repo.string()) + " rev-parse HEAD")),
            trim(hash.output)};
}

// The recipe edits: a parameter, a source, a pin, a condition term, an Includes line, a variant.
void addVgabios(const FakeUpstream& upstream, const std::string& rev, const std::string& hash) {
    const fs::path dir = upstream.recipes / "xen";
    auto builder = readJson(dir / "builder.json");
    builder["parameters"]["withInternalVGABIOS"] = {
        {"type", "bool"}, {"default", false}, {"description", "Build the fictitious VGA BIOS"}};
    builder["sources"].push_back({{"name", "vgabios"},
                                  {"if", "withInternalVGABIOS"},
                                  {"url", "file://" + (upstream.root / "git" / "vgabios").string()},
                                  {"stageAt", "tools/firmware/vgabios"},
                                  {"stageAs", "tree"}});
    auto& internal = builder["meta"]["description"][1]["if"];
    internal = internal.get<std::string>() + " || withInternalVGABIOS";
    for (auto& paragraph : builder["meta"]["longDescription"]) {
        if (paragraph.is_object() && paragraph.contains("heading")) {
            paragraph["items"].push_back(
                {{"if", "withInternalVGABIOS"}, {"value", "vgabios-xen: A fictitious VGA BIOS."}});
        }
    }
    writeJson(dir / "builder.json", builder);

    auto branch = readJson(dir / "4.19.json");
    branch["sources"]["vgabios"] = {{"rev", rev}, {"hash", hash}};
    writeJson(dir / "4.19.json", branch);

    auto variants = readJson(dir / "variants.json");
    auto vga = variants["variants"]["slim"];
    vga["suffix"] = "-vga";
    vga["description"] = "With a VGA BIOS";
    vga["longDescription"] = "The slim variant with the fictitious VGA BIOS built in.";
    vga["args"]["withInternalVGABIOS"] = true;
    variants["variants"]["vga"] = vga;
    writeJson(dir / "variants.json", variants);
}

} // namespace

TEST_CASE("recipes: a component and a variant added by editing recipes only", "[e2e][recipe]") {
    FakeUpstream upstream;
    // The patch the fake tree's tools build runs as a hook: the build fails unless vgabios is
    // staged where the builder says.
    upstream.addHook("0003", "vgabios",
                     "test -f firmware/vgabios/README || { echo 'vgabios not staged' >&2; exit 1; "
                     "}\necho \"staged: $(cat firmware/vgabios/README)\"\n");
    const auto before = upstream.xenbuildStdout("eval xen_4_19.hash " + upstream.hostProfileArg());
    REQUIRE(before.status == 0);
    const auto [rev, hash] = makeComponent(upstream, "vgabios");
    addVgabios(upstream, rev, hash);

    SECTION("listed, pinned and described") {
        const auto list = upstream.xenbuild("list");
        REQUIRE(list.status == 0);
        CHECK(list.output.find("xen_4_19-vga   4.19.0   vga") != std::string::npos);
        const auto plan =
            upstream.xenbuildStdout("show xen_4_19-vga --json " + upstream.hostProfileArg());
        REQUIRE(plan.status == 0);
        const auto json = nlohmann::json::parse(plan.output);
        CHECK(json["stagingOrder"] == nlohmann::json::array({"xen", "vgabios"}));
        CHECK(json["sources"]["vgabios"]["rev"] == rev);
        CHECK(json["sources"]["vgabios"]["hash"] == hash);
        CHECK(json["sources"]["vgabios"]["url"] ==
              "file://" + (upstream.root / "git" / "vgabios").string());
        CHECK(json["sources"]["vgabios"]["stageAt"] == "tools/firmware/vgabios");
        CHECK(json["meta"]["description"] ==
              "Xen Project Hypervisor and related components (With a VGA BIOS)");
        const auto text = json["meta"]["longDescription"].get<std::string>();
        CHECK(text.rfind("The slim variant with the fictitious VGA BIOS built in.\n\n", 0) == 0);
        CHECK(
            text.find("Includes:\n* xen.efi: The Xen Project's EFI binary, available on the "
                      "boot output of this package.\n* vgabios-xen: A fictitious VGA BIOS.\n\n") !=
            std::string::npos);
        // The packages that do not build it keep their plans and texts.
        CHECK(upstream.xenbuildStdout("eval xen_4_19.hash " + upstream.hostProfileArg()).output ==
              before.output);
        const auto slim = upstream.xenbuildStdout("eval xen_4_19-slim.meta.description " +
                                                  upstream.hostProfileArg());
        CHECK(slim.output == "Xen Project Hypervisor (Without Internal Components)\n");
    }
    SECTION("prefetched, staged at its place and built") {
        const auto prefetch =
            upstream.xenbuild("prefetch xen_4_19-vga " + upstream.hostProfileArg());
        INFO(prefetch.output);
        REQUIRE(prefetch.status == 0);
        CHECK(prefetch.output.find("xen_4_19-vga source vgabios ") != std::string::npos);
        const auto built = upstream.xenbuild("build xen_4_19-vga " + upstream.hostProfileArg());
        INFO(built.output);
        REQUIRE(built.status == 0);
        const auto log = upstream.xenbuild("log xen_4_19-vga " + upstream.hostProfileArg());
        CHECK(log.output.find("staged: vgabios component of the fake upstream") !=
              std::string::npos);
    }
    SECTION("a wrong pin is refused like any other") {
        auto branch = readJson(upstream.recipes / "xen" / "4.19.json");
        branch["sources"]["vgabios"]["hash"] = "sha256-" + std::string(43, 'A') + "=";
        writeJson(upstream.recipes / "xen" / "4.19.json", branch);
        const auto built = upstream.xenbuild("build xen_4_19-vga " + upstream.hostProfileArg());
        CHECK(built.status == 1);
        CHECK(built.output.find("hash mismatch for source 'vgabios'") != std::string::npos);
    }
}
