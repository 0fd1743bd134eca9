#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include "support/recipes.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace xenbuild::recipe;
using xenbuild::EvalError;
using xenbuild::UsageError;

namespace {

const RecipeSet& checkedInRecipes() {
    static const RecipeSet set = RecipeSet::load(xenbuild::testing::sourceRecipes());
    return set;
}

EvalOptions on(const std::string& today) {
    EvalOptions options;
    options.today = xenbuild::util::parseDate(today);
    return options;
}

bool hasFlag(const std::vector<std::string>& flags, const std::string& flag) {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::vector<std::string> patchIds(const BuildPlan& plan) {
    std::vector<std::string> ids;
    for (const auto& patch : plan.patches)
        ids.push_back(patch.id);
    return ids;
}

} // namespace

TEST_CASE("recipe::RecipeSet::packageNames lists every branch and variant, then aliases",
          "[recipe]") {
    CHECK(checkedInRecipes().packageNames() ==
          std::vector<std::string>{"xen_4_16", "xen_4_17", "xen_4_18", "xen_4_19", "xen_4_16-slim",
                                   "xen_4_17-slim", "xen_4_18-slim", "xen_4_19-slim", "xen",
                                   "xen-slim"});
}

TEST_CASE("recipe::evaluate evaluates every package", "[recipe]") {
    const auto& set = checkedInRecipes();
    for (const auto& name : set.packageNames()) {
        INFO(name);
        const BuildPlan plan = evaluate(set, name, {}, on("2026-11-21"));
        CHECK(plan.pname == "xen");
        CHECK(plan.version.rfind(plan.branch + ".", 0) == 0);
        REQUIRE(!plan.sources.empty());
        CHECK(plan.sources.front().name == "xen");
        CHECK(plan.sources.size() == (plan.variant == "slim" ? 1U : 5U));
        CHECK(plan.outputs == std::vector<std::string>{"out", "boot", "dev", "man", "doc"});
        CHECK(plan.meta.homepage == "https://xenproject.org/");
        CHECK(plan.meta.version == plan.version);
        CHECK(hasFlag(plan.configureFlags, "--disable-stubdom"));
    }
}

TEST_CASE("recipe::evaluate pins sources from the branch file and stages them", "[recipe]") {
    const BuildPlan plan = evaluate(checkedInRecipes(), "xen_4_19", {}, on("2026-11-21"));
    const SourcePin* xen = plan.source("xen");
    REQUIRE(xen != nullptr);
    CHECK(xen->rev == "026c9fa29716b0ff0f8b7c687908e71ba29cf239");
    CHECK(xen->hash.sri() == "sha256-Q6x+2fZ4ITBz6sKICI0NHGx773Rc919cl+wzI89UY+Q=");
    CHECK(xen->tag == "RELEASE-4.19.0");
    const SourcePin* qemu = plan.source("qemu");
    REQUIRE(qemu != nullptr);
    CHECK(qemu->stageAt == "tools/qemu-xen");
    CHECK(qemu->submodules);
    CHECK(plan.source("seabios")->stageAt == "tools/firmware/seabios-dir-remote");
    CHECK(plan.source("seabios")->tag == "rel-1.16.3");
    CHECK(plan.source("ovmf")->stageAt == "tools/firmware/ovmf-dir-remote");
    CHECK(plan.source("ipxe")->stageAt == "tools/firmware/etherboot/ipxe.tar.gz");
    CHECK(plan.source("ipxe")->stageAs == StageAs::Tarball);
    CHECK(plan.source("minios") == nullptr);
}

TEST_CASE("recipe::evaluate names and describes variants", "[recipe]") {
    const auto& set = checkedInRecipes();
    const BuildPlan slim = evaluate(set, "xen_4_19-slim", {}, on("2026-11-21"));
    CHECK(slim.meta.description == "Xen Project Hypervisor (Without Internal Components)");
    const BuildPlan standard = evaluate(set, "xen_4_16", {}, on("2026-11-21"));
    CHECK(standard.meta.description ==
          "Xen Project Hypervisor and related components (Standard Xen)");
    CHECK(standard.meta.longDescription.find("* qemu-xen: ") != std::string::npos);
    CHECK(slim.meta.longDescription.find("qemu-xen") == std::string::npos);
    CHECK(slim.meta.longDescription.find("(/usr/bin/qemu-system-i386)") != std::string::npos);
}

TEST_CASE("recipe::evaluate resolves aliases to the branch marked latest", "[recipe]") {
    const auto& set = checkedInRecipes();
    CHECK(set.latestBranch() == "4.19");
    const BuildPlan alias = evaluate(set, "xen-slim", {}, on("2026-11-21"));
    const BuildPlan target = evaluate(set, "xen_4_19-slim", {}, on("2026-11-21"));
    CHECK(alias.name == "xen_4_19-slim");
    CHECK(alias.hash == target.hash);
    CHECK(evaluate(set, "xen", {}, on("2026-11-21")).name == "xen_4_19");
}

TEST_CASE("recipe::evaluate builds slim variants against the host profile", "[recipe]") {
    const auto& set = checkedInRecipes();
    const BuildPlan slim = evaluate(set, "xen_4_18-slim", {}, on("2026-11-21"));
    CHECK(hasFlag(slim.configureFlags, "--with-system-qemu=/usr/bin/qemu-system-i386"));
    CHECK(hasFlag(slim.configureFlags, "--with-system-seabios=/usr/share/seabios/bios-256k.bin"));
    CHECK(hasFlag(slim.configureFlags, "--with-system-ovmf=/usr/share/ovmf/OVMF.fd"));
    CHECK(hasFlag(slim.configureFlags, "--with-system-ipxe=/usr/lib/ipxe/qemu/pxe-e1000.rom"));
    const BuildPlan standard = evaluate(set, "xen_4_18", {}, on("2026-11-21"));
    CHECK(hasFlag(standard.configureFlags, "--enable-seabios"));
    CHECK(hasFlag(standard.configureFlags, "--enable-ovmf"));
    CHECK(hasFlag(standard.configureFlags, "--enable-ipxe"));
    CHECK(std::none_of(standard.configureFlags.begin(), standard.configureFlags.end(),
                       [](const std::string& f) { return f.rfind("--with-system-", 0) == 0; }));

    SECTION("a path override replaces one host path") {
        const BuildPlan custom =
            evaluate(set, "xen_4_18-slim", {{"hostQEMU", "/opt/qemu/bin/q"}}, on("2026-11-21"));
        CHECK(hasFlag(custom.configureFlags, "--with-system-qemu=/opt/qemu/bin/q"));
        CHECK(custom.hash != slim.hash);
    }
    SECTION("another host profile replaces all of them") {
        EvalOptions options = on("2026-11-21");
        options.hostProfile = HostProfile{
            "test", {{"qemu", "/q"}, {"seabios", "/s"}, {"ovmf", "/o"}, {"ipxe", "/i"}}};
        const BuildPlan custom = evaluate(set, "xen_4_18-slim", {}, options);
        CHECK(hasFlag(custom.configureFlags, "--with-system-ovmf=/o"));
    }
}

TEST_CASE("recipe::evaluate fixes the build environment from the release date", "[recipe]") {
    const BuildPlan plan = evaluate(checkedInRecipes(), "xen_4_16", {}, on("2026-11-21"));
    CHECK(plan.env.at("SOURCE_DATE_EPOCH") == "1638403200");
    CHECK(plan.env.at("XEN_BUILD_DATE") == "Thu Dec  2 00:00:00 UTC 2021");
    CHECK(plan.env.at("XEN_BUILD_TIME") == "00:00:00");
    CHECK(plan.env.at("XEN_BUILD_HOST") == "xenbuild");
    CHECK(plan.env.at("XEN_WHOAMI") == "xenbuild");
    CHECK(plan.env.at("XEN_DOMAIN") == "xenbuild.invalid");
    CHECK(plan.env.at("SMBIOS_REL_DATE") == "12/02/2021");
    CHECK(plan.env.at("VGABIOS_REL_DATE") == "02 Dec 2021");
}

TEST_CASE("recipe::evaluate applies patches in order with their fuzz allowance", "[recipe]") {
    const auto& set = checkedInRecipes();
    const auto today = on("2026-11-21");
    CHECK(patchIds(evaluate(set, "xen_4_16", {}, today)) ==
          std::vector<std::string>{"XSA-458", "XSA-460", "XSA-461", "XSA-462"});
    const BuildPlan p417 = evaluate(set, "xen_4_17", {}, today);
    CHECK(p417.patches.at(0).id == "QUBES-1100");
    CHECK(p417.patches.at(0).fuzz == 0);
    for (const char* name : {"xen_4_18", "xen_4_19-slim"}) {
        const BuildPlan plan = evaluate(set, name, {}, today);
        CHECK(plan.patches.at(0).id == "QUBES-1100");
        CHECK(plan.patches.at(0).fuzz == 2);
        CHECK(plan.patches.at(1).fuzz == 0);
    }
    const BuildPlan p419 = evaluate(set, "xen_4_19", {}, today);
    CHECK(p419.patches.back().sha256.hex() ==
          "c8cb03fdcfffa7e043b1d82643efde0f93bff5ce484887c6f59207777ee95be7");
    CHECK(p419.patches.back().xsa == 462);
    CHECK(p419.patches.front().xsa == std::nullopt);
    CHECK(p419.meta.xsas == std::vector<int>{460, 461, 462});
}

TEST_CASE("recipe::evaluate computes security support from the given day", "[recipe]") {
    const auto& set = checkedInRecipes();
    auto status = [&set](const std::string& name, const std::string& today) {
        return evaluate(set, name, {}, on(today)).meta.securitySupport;
    };
    CHECK(status("xen_4_16", "2026-11-21") == SecuritySupport::Unsupported);
    CHECK(status("xen_4_17", "2026-11-21") == SecuritySupport::Unsupported);
    CHECK(status("xen_4_18", "2026-11-21") == SecuritySupport::Unsupported);
    CHECK(status("xen_4_19", "2026-11-21") == SecuritySupport::Supported);
    // the last day is still supported
    CHECK(status("xen_4_18", "2026-11-16") == SecuritySupport::Supported);
    CHECK(status("xen_4_16", "2024-01-01") == SecuritySupport::Supported);
    CHECK(xenbuild::util::formatDate(
              evaluate(set, "xen_4_18", {}, on("2026-11-21")).meta.securitySupportUntil) ==
          "2026-11-16");
}

TEST_CASE("recipe::evaluate applies typed overrides", "[recipe]") {
    const auto& set = checkedInRecipes();
    const auto today = on("2026-11-21");
    const BuildPlan plain = evaluate(set, "xen_4_19", {}, today);
    const BuildPlan noEfi = evaluate(set, "xen_4_19", {{"withEFI", "false"}}, today);
    CHECK(noEfi.args.at("withEFI") == ParamValue{false});
    CHECK(hasFlag(noEfi.makeFlags, "XEN_BUILD_EFI=n"));
    CHECK(std::none_of(noEfi.checks.begin(), noEfi.checks.end(),
                       [](const Check& c) { return c.kind() == CheckKind::Pe32Plus; }));
    CHECK(plain.checks.at(0).kind() == CheckKind::Pe32Plus);
    CHECK(std::get<Pe32PlusParams>(plain.checks.at(0).params).path ==
          "${outputs.boot}/boot/xen.efi");
    CHECK(noEfi.meta.longDescription.find("xen.efi") == std::string::npos);
    CHECK(noEfi.hash != plain.hash);

    const BuildPlan stub = evaluate(set, "xen_4_19", {{"withStubdom", "true"}}, today);
    CHECK(hasFlag(stub.configureFlags, "--enable-stubdom"));

    REQUIRE_THROWS_AS(evaluate(set, "xen_4_19", {{"withEFI", "no"}}, today), EvalError);
    REQUIRE_THROWS_WITH(
        evaluate(set, "xen_4_19", {{"hostQEMU", "qemu"}}, today),
        Catch::Contains("build argument hostQEMU=qemu: expected an absolute, normalised path, got "
                        "'qemu'"));
    REQUIRE_THROWS_WITH(evaluate(set, "xen_4_19", {{"withEfi", "true"}}, today),
                        Catch::Contains("unknown parameter 'withEfi'; did you mean 'withEFI'?"));
}

TEST_CASE("recipe::evaluate installs at the prefix and splits the outputs by install path",
          "[recipe]") {
    const auto& set = checkedInRecipes();
    const auto today = on("2026-11-21");
    const BuildPlan plain = evaluate(set, "xen_4_19", {}, today);
    CHECK(hasFlag(plain.configureFlags, "--prefix=/usr"));
    CHECK(hasFlag(plain.configureFlags, "--sysconfdir=/etc"));
    CHECK(hasFlag(plain.configureFlags, "--localstatedir=/var"));
    CHECK(hasFlag(plain.makeFlags, "BOOT_DIR=/boot"));
    CHECK(plain.outputPaths == std::map<std::string, std::vector<std::string>>{
                                   {"boot", {"/boot"}},
                                   {"dev", {"/usr/include", "/usr/lib/pkgconfig"}},
                                   {"doc", {"/usr/share/doc"}},
                                   {"man", {"/usr/share/man"}}});
    for (const auto& flag : plain.configureFlags)
        CHECK(flag.find("${outputs.") == std::string::npos);

    const BuildPlan opt = evaluate(set, "xen_4_19", {{"prefix", "/opt/xen"}}, today);
    CHECK(hasFlag(opt.configureFlags, "--prefix=/opt/xen"));
    CHECK(opt.outputPaths.at("dev") ==
          std::vector<std::string>{"/opt/xen/include", "/opt/xen/lib/pkgconfig"});
    const auto& pkgConfig = std::get<PkgConfigParams>(opt.checks.at(1).params);
    CHECK(pkgConfig.path == "${outputs.dev}/opt/xen/lib/pkgconfig");
    CHECK(pkgConfig.prefix == "/opt/xen");
    CHECK(opt.hash != plain.hash);

    for (const char* bad : {"/usr/", "/usr/../opt", "/", "usr", "/usr//local"}) {
        INFO(bad);
        REQUIRE_THROWS_WITH(evaluate(set, "xen_4_19", {{"prefix", bad}}, today),
                            Catch::Contains(std::string("build argument prefix=") + bad +
                                            ": expected an absolute, normalised path, got '" + bad +
                                            "'"));
    }
}

TEST_CASE("recipe::parseOverride splits NAME=VALUE", "[recipe]") {
    CHECK(parseOverride("withEFI=false") ==
          std::pair<std::string, std::string>{"withEFI", "false"});
    CHECK(parseOverride("hostQEMU=/a=b").second == "/a=b");
    REQUIRE_THROWS_AS(parseOverride("withEFI"), UsageError);
    REQUIRE_THROWS_AS(parseOverride("=x"), UsageError);
}

TEST_CASE("recipe::evaluate names the closest packages for an unknown name", "[recipe]") {
    REQUIRE_THROWS_MATCHES(evaluate(checkedInRecipes(), "xen_4_91"), EvalError,
                           Catch::Message("unknown package 'xen_4_91'; did you mean 'xen_4_19'? "
                                          "('xenbuild list' shows every package)"));
    REQUIRE_THROWS_WITH(evaluate(checkedInRecipes(), "hello"),
                        "unknown package 'hello' ('xenbuild list' shows every package)");
}

TEST_CASE("recipe::evalAttribute walks the plan's JSON", "[recipe]") {
    const auto& set = checkedInRecipes();
    const auto today = on("2026-11-21");
    CHECK(evalAttribute(set, "xen_4_19-slim.meta.description", {}, today) ==
          "Xen Project Hypervisor (Without Internal Components)");
    CHECK(evalAttribute(set, "xen.sources.qemu.rev", {}, today) ==
          "0df9387c8983e1b1e72d8c574356f572342c03e6");
    CHECK(evalAttribute(set, "xen.patches.0.id", {}, today) == "QUBES-1100");
    CHECK(evalAttribute(set, "xen.patches.XSA-461.xsa", {}, today) == 461);
    CHECK(evalAttribute(set, "xen_4_17.version", {}, today) == "4.17.5");
    CHECK(evalAttribute(set, "xen_4_17", {}, today)["name"] == "xen_4_17");
    REQUIRE_THROWS_WITH(evalAttribute(set, "xen.meta.descripton", {}, today),
                        "attribute 'descripton' not found in 'xen.meta'; did you mean "
                        "'description'?");
    REQUIRE_THROWS_WITH(evalAttribute(set, "xen.version.major", {}, today),
                        "attribute 'major' not found in 'xen.version', which is a string, not an "
                        "object");
    REQUIRE_THROWS_WITH(evalAttribute(set, "xen.outputs.9", {}, today),
                        "attribute '9' not found in 'xen.outputs', a list of 5 elements");
}

TEST_CASE("recipe::listPackages summarises every package and alias", "[recipe]") {
    const auto rows = listPackages(checkedInRecipes(), on("2026-11-21"));
    REQUIRE(rows.size() == 10);
    CHECK(rows[0].name == "xen_4_16");
    CHECK(rows[0].securitySupport == SecuritySupport::Unsupported);
    CHECK(rows[3].latest);
    CHECK(rows[8].name == "xen");
    CHECK(rows[8].aliasOf == "xen_4_19");
    CHECK(rows[9].aliasOf == "xen_4_19-slim");
    CHECK(rows[9].variant == "slim");
}

namespace {

std::vector<std::string> checkKinds(const BuildPlan& plan) {
    std::vector<std::string> kinds;
    for (const auto& check : plan.checks)
        kinds.emplace_back(toString(check.kind()));
    return kinds;
}

// The names of the items under "Includes:" in a long description ("* qemu-xen: ..." -> qemu-xen).
std::vector<std::string> includedNames(const std::string& longDescription) {
    std::vector<std::string> names;
    const auto heading = longDescription.find("Includes:\n");
    if (heading == std::string::npos) return names;
    std::size_t at = heading + 10;
    while (longDescription.compare(at, 2, "* ") == 0) {
        const auto end = longDescription.find('\n', at);
        const std::string line = longDescription.substr(at + 2, end - at - 2);
        names.push_back(line.substr(0, line.find(':')));
        if (end == std::string::npos) break;
        at = end + 1;
    }
    return names;
}

} // namespace

TEST_CASE("recipe::BuildPlan::inTree lists the components the package builds in-tree", "[recipe]") {
    const auto& set = checkedInRecipes();
    const BuildPlan standard = evaluate(set, "xen_4_19", {}, on("2026-11-21"));
    CHECK(standard.inTree() == std::vector<std::string>{"qemu", "seabios", "ovmf", "ipxe"});
    CHECK(standard.toJson()["inTree"] == nlohmann::json{"qemu", "seabios", "ovmf", "ipxe"});
    const BuildPlan slim = evaluate(set, "xen_4_19-slim", {}, on("2026-11-21"));
    CHECK(slim.inTree().empty());
    CHECK(slim.toJson()["inTree"] == nlohmann::json::array());
    const BuildPlan mixed =
        evaluate(set, "xen_4_19", {{"withInternalQEMU", "false"}}, on("2026-11-21"));
    CHECK(mixed.inTree() == std::vector<std::string>{"seabios", "ovmf", "ipxe"});
}

TEST_CASE("recipe::evaluate lists exactly the in-tree components under Includes:", "[recipe]") {
    const auto& set = checkedInRecipes();
    for (const auto& name : set.packageNames()) {
        const std::vector<Overrides> choices = {Overrides{}, Overrides{{"withEFI", "false"}}};
        for (const auto& overrides : choices) {
            const BuildPlan plan = evaluate(set, name, overrides, on("2026-11-21"));
            INFO(name << (overrides.empty() ? "" : " withEFI=false") << "\n"
                      << plan.meta.longDescription);
            std::vector<std::string> expected;
            if (std::get<bool>(plan.args.at("withEFI"))) expected.emplace_back("xen.efi");
            for (const auto& component : plan.inTree())
                expected.push_back(component + "-xen");
            CHECK(includedNames(plan.meta.longDescription) == expected);
        }
    }
}

TEST_CASE("recipe::evaluate checks what a package builds in-tree, and hvmloader always",
          "[recipe]") {
    const auto& set = checkedInRecipes();
    const std::vector<std::string> common = {"pe32plus", "pkg-config", "hypervisor-version", "elf"};
    for (const auto& name : set.packageNames()) {
        INFO(name);
        const BuildPlan plan = evaluate(set, name, {}, on("2026-11-21"));
        auto expected = common;
        if (plan.variant == "standard") {
            expected.insert(expected.end(),
                            {"seabios", "uefi-firmware", "option-rom", "program-version"});
        }
        CHECK(checkKinds(plan) == expected);
    }
    const BuildPlan standard = evaluate(set, "xen_4_17", {}, on("2026-11-21"));
    const auto& seabios = std::get<SeabiosParams>(standard.checks.at(4).params);
    CHECK(seabios.path == "${outputs.out}/usr/lib/xen/boot/seabios.bin");
    CHECK(seabios.source == "seabios");
    CHECK(seabios.extraVersion == "-Xen");
    CHECK(seabios.sizesKiB == std::vector<unsigned>{128, 256});
    const auto& qemu = std::get<ProgramVersionParams>(standard.checks.at(7).params);
    CHECK(qemu.path == "${outputs.out}/usr/lib/xen/bin/qemu-system-i386");
    CHECK(qemu.args == std::vector<std::string>{"--version"});
    CHECK(qemu.libraryPath ==
          std::vector<std::string>{"${outputs.out}/usr/lib", "${outputs.out}/usr/lib/xen/lib"});
    // A component taken from the host drops its check.
    const BuildPlan noOvmf =
        evaluate(set, "xen_4_17", {{"withInternalOVMF", "false"}}, on("2026-11-21"));
    const auto noOvmfKinds = checkKinds(noOvmf);
    CHECK(std::count(noOvmfKinds.begin(), noOvmfKinds.end(), "uefi-firmware") == 0);
    CHECK(noOvmfKinds.size() == 7);
    // The prefix moves the checked paths with the install.
    const BuildPlan opt = evaluate(set, "xen_4_17", {{"prefix", "/opt/xen"}}, on("2026-11-21"));
    CHECK(std::get<ElfParams>(opt.checks.at(3).params).path ==
          "${outputs.out}/opt/xen/lib/xen/boot/hvmloader");
}
