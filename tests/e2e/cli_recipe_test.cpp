// End-to-end tests of `xenbuild list`, `eval` and `show`: the built binary runs in a temporary
// directory holding a copy of the recipes (so paths in messages are the stable
// "recipes/xen/..."), with XENBUILD_TODAY fixed so security-support columns do not rot.
// Outputs and error messages are pinned by golden files (XENBUILD_UPDATE_GOLDENS=1 rewrites them).

#include "support/recipes.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace test = xenbuild::testing;

namespace {

struct Fixture {
    test::TempDir dir;
    std::filesystem::path recipes = test::copyRecipes(dir.path());

    test::RunResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--recipes", "recipes"});
        return test::runXenbuild(args, dir.path());
    }
};

void expectOutput(const test::RunResult& result, const std::string& golden) {
    INFO("stderr: " << result.err);
    CHECK(result.status == 0);
    CHECK(result.err.empty());
    test::checkGolden("recipe/" + golden, result.out);
}

void expectError(const test::RunResult& result, int status, const std::string& golden) {
    INFO("stdout: " << result.out);
    CHECK(result.status == status);
    CHECK(result.out.empty());
    test::checkGolden("recipe/" + golden, result.err);
}

} // namespace

TEST_CASE("cli list prints every package", "[recipe][e2e]") {
    const Fixture fixture;
    expectOutput(fixture.run({"list"}), "list.txt");
    expectOutput(fixture.run({"list", "--json"}), "list.json");
}

TEST_CASE("cli list honours XENBUILD_TODAY", "[recipe][e2e]") {
    const Fixture fixture;
    const auto result = test::runXenbuild({"--recipes", "recipes", "list", "--json"},
                                          fixture.dir.path(), "2024-01-01");
    REQUIRE(result.status == 0);
    const auto rows = nlohmann::json::parse(result.out);
    for (const auto& row : rows)
        CHECK(row["securitySupport"] == "supported");
    const auto bad =
        test::runXenbuild({"--recipes", "recipes", "list"}, fixture.dir.path(), "21/11/2026");
    CHECK(bad.status == 2);
    CHECK(bad.err == "error: XENBUILD_TODAY='21/11/2026': expected a date YYYY-MM-DD, e.g. "
                     "2026-11-21\n");
}

TEST_CASE("cli show prints the plan", "[recipe][e2e]") {
    const Fixture fixture;
    expectOutput(fixture.run({"show", "xen_4_19-slim", "--json"}), "show-xen_4_19-slim.json");
    expectOutput(fixture.run({"show", "xen_4_17", "--json"}), "show-xen_4_17.json");
    expectOutput(fixture.run({"show", "xen_4_19-slim"}), "show-xen_4_19-slim.txt");
    // Aliases show the plan they stand for.
    CHECK(fixture.run({"show", "xen-slim", "--json"}).out ==
          fixture.run({"show", "xen_4_19-slim", "--json"}).out);
}

TEST_CASE("cli eval prints one attribute", "[recipe][e2e]") {
    const Fixture fixture;
    expectOutput(fixture.run({"eval", "xen_4_19-slim.meta.longDescription"}),
                 "longDescription-xen_4_19-slim.txt");
    const auto description = fixture.run({"eval", "xen_4_19-slim.meta.description"});
    CHECK(description.out == "Xen Project Hypervisor (Without Internal Components)\n");
    const auto asJson = fixture.run({"eval", "xen_4_19-slim.meta.description", "--json"});
    CHECK(asJson.out == "\"Xen Project Hypervisor (Without Internal Components)\"\n");
    const auto rev = fixture.run({"eval", "xen.sources.qemu.rev"});
    CHECK(rev.out == "0df9387c8983e1b1e72d8c574356f572342c03e6\n");
    const auto arg = fixture.run({"eval", "xen.args.withEFI", "--arg", "withEFI=false"});
    CHECK(arg.out == "false\n");
    const auto xsas = fixture.run({"eval", "xen_4_16.meta.xsas"});
    CHECK(xsas.out == "[\n  458,\n  460,\n  461,\n  462\n]\n");
}

TEST_CASE("cli errors name the closest packages and attributes", "[recipe][e2e]") {
    const Fixture fixture;
    expectError(fixture.run({"show", "xen_4_91"}), 1, "error-unknown-package.txt");
    expectError(fixture.run({"eval", "xen-slim.meta.descripton"}), 1,
                "error-unknown-attribute.txt");
}

TEST_CASE("cli errors point into malformed recipes", "[recipe][e2e]") {
    const Fixture fixture;
    SECTION("syntax") {
        test::editFile(fixture.recipes / "xen/4.19.json", "\"version\": \"4.19.0\",",
                       "\"version\": \"4.19.0\"");
        expectError(fixture.run({"list"}), 1, "error-malformed-recipe.txt");
    }
    SECTION("schema") {
        test::editFile(fixture.recipes / "xen/4.18.json",
                       "\"rev\": \"bd51e573a730efc569646379cd59ccba967cde97\"",
                       "\"rev\": \"RELEASE-4.18.3\"");
        expectError(fixture.run({"show", "xen"}), 1, "error-schema-violation.txt");
    }
}

TEST_CASE("cli --arg errors", "[recipe][e2e]") {
    const Fixture fixture;
    expectError(fixture.run({"show", "xen", "--arg", "withEFI=maybe"}), 1, "error-arg-type.txt");
    expectError(fixture.run({"show", "xen", "--arg", "withEFI"}), 2, "error-arg-syntax.txt");
    expectError(fixture.run({"show", "xen", "--arg", "withEfi=false"}), 1, "error-arg-unknown.txt");
}

TEST_CASE("cli --help works on every recipe command", "[recipe][e2e]") {
    const Fixture fixture;
    for (const char* command : {"list", "eval", "show"}) {
        INFO(command);
        const auto result = fixture.run({command, "--help"});
        CHECK(result.status == 0);
        CHECK(result.out.find(std::string("Usage: xenbuild ") + command) != std::string::npos);
    }
    CHECK(fixture.run({"show"}).status == 2);
}

TEST_CASE("cli --host-profile replaces the host paths of slim builds", "[recipe][e2e]") {
    const Fixture fixture;
    test::writeFile(fixture.dir.path() / "fedora.json",
                    R"({"kind": "host-profile", "name": "fedora", "paths": {
                        "qemu": "/usr/bin/qemu-system-x86_64",
                        "seabios": "/usr/share/seabios/bios.bin",
                        "ovmf": "/usr/share/edk2/ovmf/OVMF_CODE.fd",
                        "ipxe": "/usr/share/ipxe/10ec8139.rom"}})");
    const auto flags =
        fixture.run({"eval", "xen-slim.configureFlags", "--host-profile", "fedora.json"});
    REQUIRE(flags.status == 0);
    CHECK(flags.out.find("\"--with-system-qemu=/usr/bin/qemu-system-x86_64\"") !=
          std::string::npos);
    CHECK(flags.out.find("\"--with-system-ovmf=/usr/share/edk2/ovmf/OVMF_CODE.fd\"") !=
          std::string::npos);

    test::writeFile(fixture.dir.path() / "broken.json",
                    R"({"kind": "host-profile", "name": "x", "paths": {"qemu": "qemu"}})");
    const auto broken = fixture.run({"show", "xen-slim", "--host-profile", "broken.json"});
    CHECK(broken.status == 1);
    CHECK(broken.err.rfind("error: broken.json:1:57: schema violation at /paths/qemu: expected "
                           "an absolute path, got \"qemu\"",
                           0) == 0);
    // The builder's host paths must all be there.
    test::writeFile(fixture.dir.path() / "partial.json",
                    R"({"kind": "host-profile", "name": "partial", "paths": {"qemu": "/q"}})");
    const auto partial = fixture.run({"show", "xen-slim", "--host-profile", "partial.json"});
    CHECK(partial.status == 1);
    CHECK(partial.err == "error: while evaluating 'xen_4_19-slim':\n  host profile 'partial' has "
                         "no path 'ipxe', which parameter 'hostIPXE' takes its default from (add "
                         "it to the profile's \"paths\")\n");
}

TEST_CASE("cli errors say what a recipe path is when it is not a file", "[recipe][e2e]") {
    const Fixture fixture;
    SECTION("a directory named like a recipe") {
        std::filesystem::create_directory(fixture.recipes / "xen/X.json");
        const auto result = fixture.run({"list"});
        CHECK(result.status == 1);
        CHECK(result.err == "error: recipe file 'recipes/xen/X.json' is a directory, not a file\n");
    }
    SECTION("a recipes directory that is a symbolic link loop") {
        std::filesystem::create_symlink("loop", fixture.dir.path() / "loop");
        const auto result = test::runXenbuild({"--recipes", "loop", "list"}, fixture.dir.path());
        CHECK(result.status == 1);
        CHECK(result.err ==
              "error: cannot use recipe directory 'loop': symbolic link loop at 'loop'\n");
    }
}
