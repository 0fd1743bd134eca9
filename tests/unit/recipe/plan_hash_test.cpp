#include "xenbuild/recipe/branch_file.hpp"
#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include "support/recipes.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace xenbuild::recipe;
namespace test = xenbuild::testing;

namespace {

std::map<std::string, std::string> planHashes(const std::filesystem::path& recipes) {
    const auto set = RecipeSet::load(recipes);
    EvalOptions options;
    options.today = xenbuild::util::parseDate("2026-11-21");
    std::map<std::string, std::string> hashes;
    for (const auto& name : set.packageNames()) {
        hashes[name] = evaluate(set, name, {}, options).hash.sri();
    }
    return hashes;
}

} // namespace

TEST_CASE("recipe::computePlanHash ignores recipe formatting", "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    const auto before = planHashes(recipes);
    // Re-render every file: comments dropped, keys sorted, other indentation.
    for (const auto& entry : std::filesystem::directory_iterator(recipes / "xen")) {
        const auto doc = loadJsonFile(entry.path());
        test::writeFile(entry.path(), "/* reformatted */\n" + doc.value.dump(4) + "\n");
    }
    CHECK(planHashes(recipes) == before);
    // Distinct packages have distinct plans.
    std::set<std::string> distinct;
    for (const auto& [name, hash] : before)
        distinct.insert(hash);
    CHECK(distinct.size() == 8);
}

TEST_CASE("recipe::computePlanHash changes with every input of the build", "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    const auto before = planHashes(recipes);
    SECTION("a source revision") {
        test::editFile(recipes / "xen/4.19.json", "026c9fa29716b0ff0f8b7c687908e71ba29cf239",
                       "126c9fa29716b0ff0f8b7c687908e71ba29cf239");
        const auto after = planHashes(recipes);
        CHECK(after.at("xen_4_19") != before.at("xen_4_19"));
        CHECK(after.at("xen_4_19-slim") != before.at("xen_4_19-slim"));
        CHECK(after.at("xen_4_18") == before.at("xen_4_18"));
    }
    SECTION("a configure flag") {
        test::editFile(recipes / "xen/builder.json", "\"--disable-qemu-traditional\",", "");
        const auto after = planHashes(recipes);
        for (const auto& [name, hash] : before)
            CHECK(after.at(name) != hash);
    }
    SECTION("a patch's applicability") {
        test::editFile(recipes / "xen/patches.json", "\"id\": \"XSA-462\",",
                       "\"id\": \"XSA-462\", \"notApplicable\": {\"4.17\": \"test\"},");
        const auto after = planHashes(recipes);
        CHECK(after.at("xen_4_17") != before.at("xen_4_17"));
        CHECK(after.at("xen_4_19") == before.at("xen_4_19"));
    }
    SECTION("the patch order") {
        const auto path = recipes / "xen/patches.json";
        std::string text = test::readFile(path);
        const auto first = text.find("    {\n      \"id\": \"QUBES-1101\"");
        const auto second = text.find("    {\n      \"id\": \"QUBES-1102\"");
        const auto third = text.find("    {\n      \"id\": \"XSA-458\"");
        REQUIRE(first < second);
        REQUIRE(second < third);
        // QUBES-1102 before QUBES-1101.
        text = text.substr(0, first) + text.substr(second, third - second - 2) + ",\n" +
               text.substr(first, second - first - 2) + ",\n" + text.substr(third);
        test::writeFile(path, text);
        const auto after = planHashes(recipes);
        CHECK(after.at("xen_4_17") != before.at("xen_4_17"));
        CHECK(after.at("xen_4_16") == before.at("xen_4_16")); // neither applies to 4.16
    }
    SECTION("a source URL, for every branch") {
        test::editFile(recipes / "xen/builder.json", "git-http/ovmf.git", "git-http/ovmf2.git");
        const auto after = planHashes(recipes);
        CHECK(after.at("xen_4_16") != before.at("xen_4_16"));
        CHECK(after.at("xen_4_19") != before.at("xen_4_19"));
        CHECK(after.at("xen_4_19-slim") == before.at("xen_4_19-slim")); // no OVMF in slim
    }
    SECTION("a fuzz allowance") {
        test::editFile(recipes / "xen/patches.json", "\"4.19\": 2", "\"4.19\": 3");
        const auto after = planHashes(recipes);
        CHECK(after.at("xen_4_19") != before.at("xen_4_19"));
        CHECK(after.at("xen_4_18") == before.at("xen_4_18"));
    }
    SECTION("but not the meta texts") {
        test::editFile(recipes / "xen/variants.json", "Standard Xen", "Standard Xen!");
        const auto after = planHashes(recipes);
        CHECK(after == before);
    }
}

TEST_CASE("recipe::renderBranchJson reproduces the checked-in branch files byte for byte",
          "[recipe]") {
    for (const char* branch : {"4.16", "4.17", "4.18", "4.19"}) {
        const auto path = test::sourceRecipes() / "xen" / (std::string(branch) + ".json");
        INFO(path.string());
        CHECK(renderBranchJson(parseBranchFile(loadJsonFile(path))) == test::readFile(path));
    }
}

TEST_CASE("recipe::writeBranchFile writes the canonical form atomically", "[recipe]") {
    test::TempDir dir;
    const auto source = test::sourceRecipes() / "xen" / "4.18.json";
    BranchFile branch = parseBranchFile(loadJsonFile(source));
    branch.version = "4.18.4";
    // Sources are written in the order given (the updater gives the builder's), read back in
    // the order of the file.
    std::reverse(branch.sources.begin(), branch.sources.end());
    const auto target = dir.path() / "4.18.json";
    test::writeFile(target, "old content");
    writeBranchFile(target, branch);
    const auto written = test::readFile(target);
    CHECK(written.find("\"version\": \"4.18.4\"") != std::string::npos);
    CHECK(written.find("\"ipxe\"") < written.find("\"xen\""));
    CHECK(parseBranchFile(loadJsonFile(target)).sources.front().first == "ipxe");
    CHECK(renderBranchJson(parseBranchFile(loadJsonFile(target))) == written);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
    REQUIRE_THROWS_AS(writeBranchFile(dir.path() / "missing" / "4.18.json", branch),
                      xenbuild::SystemError);
}
