// `xenbuild update`, `verify` and `xsa import` run as a maintainer would, on an upstream made
// at test time (tests/unit/update/upstream_fixture.hpp) and on the real XSA-458 advisory.

#include "support/spawn.hpp"
#include "support/test_paths.hpp"
#include "unit/update/upstream_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

using Catch::Matchers::Contains;
using xenbuild::testing::runXenbuild;
using xenbuild::testing::Upstream;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> args(const Upstream& upstream, std::vector<std::string> extra) {
    std::vector<std::string> out = extra;
    out.insert(out.end(),
               {"--recipes", upstream.recipes.string(), "--store", upstream.store.string(),
                "--keyring", upstream.keys.signer.publicKey.string(), "--trust",
                upstream.keys.signer.fingerprint});
    return out;
}

} // namespace

TEST_CASE("xenbuild update writes, is idempotent, and --dry-run only prints the diff",
          "[e2e][update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    const fs::path home = upstream.dir / "home";
    fs::create_directories(home);
    const auto before = upstream.snapshot();

    const auto dry =
        runXenbuild(home, args(upstream, {"update", "--dry-run", "--today", "2026-11-21"}));
    INFO(dry.err);
    REQUIRE(dry.status == 0);
    CHECK_THAT(dry.out, Contains("--- a/recipes/xen/4.19.json"));
    CHECK_THAT(dry.out, Contains("+      \"tag\": \"RELEASE-4.19.0\","));
    CHECK_THAT(dry.err, Contains("dry run: nothing written"));
    CHECK(upstream.snapshot() == before);

    const auto first = runXenbuild(home, args(upstream, {"update", "--today", "2026-11-21"}));
    INFO(first.err);
    REQUIRE(first.status == 0);
    CHECK_THAT(first.out, Contains("4.19: 4.19.0"));
    CHECK_THAT(first.out, Contains("qemu: 000000000000 -> qemu-xen-4.19.0"));
    const auto written = upstream.snapshot();
    CHECK(written != before);

    const auto second = runXenbuild(home, args(upstream, {"update", "--today", "2026-11-21"}));
    REQUIRE(second.status == 0);
    CHECK_THAT(second.out, Contains("recipes are up to date"));
    CHECK(upstream.snapshot() == written);

    const auto json = runXenbuild(home, args(upstream, {"update", "--json", "--dry-run"}));
    REQUIRE(json.status == 0);
    const auto parsed = nlohmann::json::parse(json.out);
    CHECK(parsed["latest"] == "4.19");
    CHECK(parsed["branches"][0]["newVersion"] == "4.19.0");
    CHECK(parsed["files"].empty());
    CHECK(parsed["diff"] == "");

    const auto verify = runXenbuild(home, args(upstream, {"verify"}));
    INFO(verify.err);
    CHECK(verify.status == 0);
    CHECK_THAT(verify.out, Contains("4.19: RELEASE-4.19.0"));
}

TEST_CASE("xenbuild update refuses a tag signed by another key and writes nothing",
          "[e2e][update]") {
    Upstream upstream;
    auto release = xenbuild::testing::standardRelease(upstream, "4.19.0");
    release.signing = xenbuild::testing::XenRelease::Signing::Other;
    upstream.release(release);
    upstream.seedBranch("4.19", "4.19.0");
    const fs::path home = upstream.dir / "home";
    fs::create_directories(home);
    const auto before = upstream.snapshot();
    const auto result = runXenbuild(home, args(upstream, {"update"}));
    CHECK(result.status == 1);
    CHECK_THAT(result.err, Contains("error: "));
    CHECK_THAT(result.err, Contains("RELEASE-4.19.0"));
    CHECK(upstream.snapshot() == before);
}

TEST_CASE("xenbuild xsa import records the real XSA-458 and refuses a tampered copy",
          "[e2e][update]") {
    xenbuild::testing::TempDir dir;
    const fs::path recipes = dir / "recipes";
    fs::create_directories(recipes);
    fs::copy(fs::path(::xenbuild::testing::sourceDir()) / "recipes" / "xen", recipes / "xen");
    const fs::path patches = recipes / "xen" / "patches.json";
    const std::string original =
        xenbuild::testing::runOk("cat " + xenbuild::testing::shellQuote(patches.string()));
    // An outdated XSA-458 entry: the import brings it back to the advisory's facts.
    std::string outdated = original;
    outdated.replace(outdated.find("Double unlock"), 13, "Old title");
    xenbuild::testing::writeFile(patches, outdated);
    const fs::path home = dir / "home";
    fs::create_directories(home);
    const fs::path advisory = fs::path(::xenbuild::testing::testDataDir()) / "xsa-458-advisory.txt";

    std::string tampered =
        xenbuild::testing::runOk("cat " + xenbuild::testing::shellQuote(advisory.string()));
    tampered.replace(tampered.find("double unlock"), 6, "triple");
    xenbuild::testing::writeFile(dir / "tampered.txt", tampered);
    const auto refused = runXenbuild(
        home, {"xsa", "import", (dir / "tampered.txt").string(), "--recipes", recipes.string()});
    CHECK(refused.status == 1);
    CHECK_THAT(refused.err, Contains("error: "));
    CHECK(xenbuild::testing::runOk("cat " + xenbuild::testing::shellQuote(patches.string())) ==
          outdated);

    const auto imported =
        runXenbuild(home, {"xsa", "import", advisory.string(), "--recipes", recipes.string()});
    INFO(imported.err);
    REQUIRE(imported.status == 0);
    CHECK_THAT(imported.out,
               Contains("XSA-458: Double unlock in x86 guest IRQ handling (updated)"));
    CHECK(xenbuild::testing::runOk("cat " + xenbuild::testing::shellQuote(patches.string())) ==
          original);
}

TEST_CASE("xenbuild xsa import says what the advisory path is when it is not a file",
          "[e2e][update]") {
    xenbuild::testing::TempDir dir;
    const fs::path recipes = fs::path(::xenbuild::testing::sourceDir()) / "recipes";
    const fs::path home = dir / "home";
    fs::create_directories(home);
    const auto result =
        runXenbuild(home, {"xsa", "import", home.string(), "--recipes", recipes.string()});
    CHECK(result.status == 1);
    CHECK(result.err == "error: advisory '" + home.string() + "' is a directory, not a file\n");
}

// Regression: with `--recipes recipes/` (a trailing slash) update looked for local patches in
// recipes/patches/ while evaluation looked in patches/. Both use the one RecipeLayout now.
TEST_CASE("update and evaluation find local patches in the same place with --recipes recipes/",
          "[e2e][update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    const std::string patch = "0001-xen-fix-build-4.19.patch";
    xenbuild::testing::writeFile(upstream.dir / "patches" / "4.19" / patch,
                                 "--- a/xen/fix.c\n+++ b/xen/fix.c\n@@ -1 +1 @@\n-int fix = 0;\n"
                                 "+int fix = 2;\n");
    auto withSlash = [&](std::vector<std::string> extra) {
        auto out = args(upstream, std::move(extra));
        const auto at = std::find(out.begin(), out.end(), upstream.recipes.string());
        *at += "/";
        return out;
    };

    const auto update =
        runXenbuild(upstream.dir.path(), withSlash({"update", "--today", "2026-11-21"}));
    INFO(update.err);
    REQUIRE(update.status == 0);
    CHECK_THAT(update.out, Contains("local patches kept: " + patch));

    const auto show =
        runXenbuild(upstream.dir.path(),
                    {"--recipes", upstream.recipes.string() + "/", "show", "xen_4_19", "--json"});
    INFO(show.err);
    REQUIRE(show.status == 0);
    const auto plan = nlohmann::json::parse(show.out);
    REQUIRE(plan["patches"].size() == 1);
    CHECK(plan["patches"][0]["id"] == patch);
    CHECK(plan["patches"][0]["local"] == true);
}
