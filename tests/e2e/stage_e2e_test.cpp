// End-to-end staging: the Xen-shaped upstream carries Xen 4.18+'s riscv symlink and an iPXE
// link (checked by its etherboot Makefile in the tarball), and a source tree with links
// pointing outside builds without anything being written outside the build directory.

#include "e2e/build_fixture.hpp"
#include "support/tree_listing.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild::testing;

namespace {

// Every symbolic link under `root` whose target text is `target`, relative to `root`.
std::vector<std::string> linksTo(const fs::path& root, const std::string& target) {
    std::vector<std::string> found;
    for (const auto& [path, line] : listTree(root)) {
        if (line == "l " + target) found.push_back(path);
    }
    return found;
}

} // namespace

TEST_CASE("build: pinned sources with symbolic links stage and build", "[build][e2e][stage]") {
    FakeUpstream upstream;
    const auto built = upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg());
    INFO(built.output);
    REQUIRE(built.status == 0);
}

TEST_CASE("build: a source's links pointing outside are staged as links, nothing written outside",
          "[build][e2e][stage]") {
    FakeUpstream upstream;
    const fs::path tree = upstream.root / "override";
    runOk("cp -a " + shellQuote(std::string(::xenbuild::testing::testDataDir()) + "/fake-xen") +
          " " + shellQuote(tree.string()));
    fs::create_symlink("/etc", tree / "evil");
    fs::create_symlink("../../outside", tree / "tools/escape");
    fs::create_symlink("escape", tree / "tools/escape-chain");
    writeFile(upstream.root / "outside/sentinel", "sentinel\n");
    const auto before = listTree(upstream.root / "outside");

    const auto built = upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg() +
                                         " --override-source xen=" + shellQuote(tree.string()));
    INFO(built.output);
    REQUIRE(built.status == 0);
    // The only links to /etc are the source's own; the outside directory is untouched.
    CHECK(linksTo(upstream.root, "/etc") == std::vector<std::string>{"override/evil"});
    CHECK(listTree(upstream.root / "outside") == before);
}

TEST_CASE("build: --rebuild reports a differing file that a link of the output points to",
          "[build][e2e][stage]") {
    // boot/xen.efi -> xen-4.19.0.efi in the boot output; the EFI binary differs on every build.
    // Digests computed through fs::relative once keyed the link's target text under the
    // file's name and hid the difference.
    FakeUpstream upstream;
    const fs::path tree = upstream.root / "override";
    runOk("cp -a " + shellQuote(std::string(::xenbuild::testing::testDataDir()) + "/fake-xen") +
          " " + shellQuote(tree.string()));
    runOk("sed -i 's|^\\(\\t  -e efi_start -o \\$@ efi-stub.o\\)$|\\1\\n\\thead -c 16 /dev/urandom "
          ">> $@|' " +
          shellQuote((tree / "xen/Makefile").string()));
    REQUIRE(runOk("grep -c urandom " + shellQuote((tree / "xen/Makefile").string())) == "1\n");
    const std::string args = "build xen_4_19-slim " + upstream.hostProfileArg() +
                             " --override-source xen=" + shellQuote(tree.string());
    REQUIRE(upstream.xenbuild(args).status == 0);
    const auto again = upstream.xenbuildStdout(args + " --rebuild --json");
    REQUIRE(again.status == 0);
    const auto result = nlohmann::json::parse(again.output)[0];
    REQUIRE(result.contains("differingFiles"));
    CHECK(result["differingFiles"] == nlohmann::json::array({"boot: boot/xen-4.19.0.efi"}));
}
