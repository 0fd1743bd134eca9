#include "support/files.hpp"
#include "support/test_paths.hpp"
#include "xenbuild/update/xsa_import.hpp"

#include "support/fixtures.hpp"
#include "unit/fetch/gpg_fixture.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using Catch::Matchers::Contains;
using xenbuild::update::planXsaImport;
using xenbuild::update::readAdvisory;
using xenbuild::update::readAdvisoryFile;
using xenbuild::update::writeFileChanges;

namespace {

namespace fs = std::filesystem;

const fs::path kProjectRecipes = fs::path(::xenbuild::testing::sourceDir()) / "recipes";
const fs::path kAdvisoryPath =
    fs::path(::xenbuild::testing::testDataDir()) / "xsa-458-advisory.txt";

// A copy of the project's recipes whose XSA-458 entry is outdated (title, hash and CVEs).
struct Recipes {
    xenbuild::testing::TempDir dir;
    fs::path recipes = dir / "recipes";
    Recipes() {
        fs::create_directories(recipes);
        fs::copy(kProjectRecipes / "xen", recipes / "xen");
        const std::string text = xenbuild::testing::readFile(recipes / "xen" / "patches.json");
        const auto brace = text.find('{');
        auto body = nlohmann::ordered_json::parse(text.substr(brace), nullptr, true, true);
        auto& entry = body["patches"][3];
        REQUIRE(entry["id"] == "XSA-458");
        entry["title"] = "Old title";
        entry["sha256"] = std::string(64, '0');
        entry["cves"] = nlohmann::json::array();
        xenbuild::testing::writeFile(patches(), text.substr(0, brace) + body.dump(2) + "\n");
    }
    fs::path patches() const { return recipes / "xen" / "patches.json"; }
};

const std::string kAdvisoryText = R"(
                    Xen Security Advisory CVE-2099-0001 / XSA-990
                               version 1

                    x86: a test issue for the importer

ISSUE DESCRIPTION
=================

Something was wrong.

RESOLUTION
==========

$ sha256sum xsa990*
00000000000000000000000000000000000000000000000000000000000000aa  xsa990.patch
$
)";

} // namespace

TEST_CASE("update::planXsaImport records the real XSA-458 as the recipes have it",
          "[update][xsa]") {
    Recipes copy;
    const auto advisory = readAdvisoryFile(
        kAdvisoryPath, xenbuild::fetch::xenProjectVerifier(::xenbuild::testing::sourceDir()));
    const auto result = planXsaImport(advisory, copy.recipes, {});
    CHECK(result.id == "XSA-458");
    CHECK_FALSE(result.added);
    writeFileChanges(result.files);
    // Byte-identical to the hand-checked file: same place, same facts, same formatting.
    CHECK(xenbuild::testing::readFile(copy.patches()) ==
          xenbuild::testing::readFile(kProjectRecipes / "xen" / "patches.json"));
    const auto set = xenbuild::recipe::RecipeSet::load(copy.recipes);
    const auto& entry = set.patches().at("XSA-458");
    CHECK(entry.xsa == 458);
    CHECK(entry.cves == std::vector<std::string>{"CVE-2024-31143"});
    CHECK(entry.title == "Double unlock in x86 guest IRQ handling");
    CHECK(entry.url == "https://xenbits.xenproject.org/xsa/xsa458.patch");
    CHECK(entry.sha256 == "22dd1071755b1fd6b4ea3ce18a200f626ee796e77b7e7d93a3a5b33d2a896706");
    // Importing again changes nothing.
    CHECK(planXsaImport(advisory, copy.recipes, {}).files.empty());
}

TEST_CASE("update::readAdvisory refuses a tampered advisory before anything is planned",
          "[update][xsa]") {
    std::string text = xenbuild::testing::readFile(kAdvisoryPath);
    text.replace(text.find("22dd1071"), 8, "33dd1071");
    CHECK_THROWS_AS(
        readAdvisory(text, xenbuild::fetch::xenProjectVerifier(::xenbuild::testing::sourceDir()),
                     "tampered"),
        xenbuild::SignatureError);
}

TEST_CASE("update::planXsaImport adds a new XSA for every branch or for the ones asked",
          "[update][xsa]") {
    const auto& keys = xenbuild::testing::GpgFixture::instance();
    const xenbuild::fetch::SignatureVerifier verifier{{keys.signer.publicKey},
                                                      keys.signer.fingerprint};
    const auto advisory = readAdvisory(keys.clearSign(keys.signer, kAdvisoryText), verifier, "a");
    Recipes copy;

    SECTION("every branch") {
        const auto result = planXsaImport(advisory, copy.recipes, {});
        CHECK(result.added);
        CHECK(result.branches == std::vector<std::string>{"4.16", "4.17", "4.18", "4.19"});
        writeFileChanges(result.files);
        const auto set = xenbuild::recipe::RecipeSet::load(copy.recipes);
        CHECK(set.patches().at("XSA-990").title == "x86: a test issue for the importer");
        CHECK(set.patches().at("XSA-990").sha256 == std::string(62, '0') + "aa");
        CHECK(set.patches().at("XSA-990").project == "xen");
        CHECK(set.patches().at("XSA-990").notApplicable.empty());
        // The list is the application order: XSA-990 goes after the last XSA.
        CHECK(set.patchOrder().back() == "XSA-990");
        CHECK(set.patchesFor("4.16").back()->id == "XSA-990");
        CHECK(planXsaImport(advisory, copy.recipes, {}).files.empty());
    }
    SECTION("only 4.19: the other branches are marked not applicable") {
        const auto result = planXsaImport(advisory, copy.recipes, {"4.19"});
        CHECK(result.added);
        CHECK(result.branches == std::vector<std::string>{"4.19"});
        writeFileChanges(result.files);
        const auto set = xenbuild::recipe::RecipeSet::load(copy.recipes);
        CHECK(set.patchesFor("4.19").back()->id == "XSA-990");
        CHECK(set.patchesFor("4.18").back()->id == "XSA-462");
        CHECK(set.patches().at("XSA-990").notApplicable.at("4.16") == "imported for 4.19 only");
        CHECK(planXsaImport(advisory, copy.recipes, {"4.19"}).files.empty());
    }
    SECTION("an unknown branch is refused and nothing changes") {
        CHECK_THROWS_WITH(planXsaImport(advisory, copy.recipes, {"4.99"}),
                          Contains("advisory branch '4.99': no such branch"));
    }
    SECTION("a branch the patch is marked not applicable to is refused") {
        REQUIRE(planXsaImport(advisory, copy.recipes, {"4.19"}).added);
        writeFileChanges(planXsaImport(advisory, copy.recipes, {"4.19"}).files);
        CHECK_THROWS_WITH(planXsaImport(advisory, copy.recipes, {"4.18"}),
                          "XSA-990 is marked not applicable to 4.18: imported for 4.19 only");
    }
}

TEST_CASE("update::withNotApplicable marks patches in place", "[update][xsa]") {
    const std::string text = xenbuild::testing::readFile(kProjectRecipes / "xen" / "patches.json");
    const auto marked =
        xenbuild::update::withNotApplicable(text, "patches.json", {{"XSA-462", "4.19", "why"}});
    CHECK(marked.find("\"4.19\": \"why\"") != std::string::npos);
    CHECK(marked.rfind("// Upstream patches", 0) == 0); // the leading comment is kept
    CHECK_THROWS_WITH(
        xenbuild::update::withNotApplicable(text, "patches.json", {{"XSA-1", "4.19", "why"}}),
        "patches.json: no patch 'XSA-1'");
}
