#include "xenbuild/recipe/branch_file.hpp"
#include "xenbuild/recipe/evaluate.hpp"
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
    options.today = "2026-11-21";
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
    SECTION("the patch list") {
        test::editFile(recipes / "xen/4.17.json", "\"QUBES-1102\",\n", "");
        const auto after = planHashes(recipes);
        CHECK(after.at("xen_4_17") != before.at("xen_4_17"));
        CHECK(after.at("xen_4_19") == before.at("xen_4_19"));
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
    // Sources come out in canonical order whatever order they were given in.
    std::reverse(branch.sources.begin(), branch.sources.end());
    const auto target = dir.path() / "4.18.json";
    test::writeFile(target, "old content");
    writeBranchFile(target, branch);
    const auto written = test::readFile(target);
    CHECK(written.find("\"version\": \"4.18.4\"") != std::string::npos);
    CHECK(written.find("\"xen\"") < written.find("\"qemu\""));
    CHECK(renderBranchJson(parseBranchFile(loadJsonFile(target))) == written);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
    REQUIRE_THROWS_AS(writeBranchFile(dir.path() / "missing" / "4.18.json", branch),
                      xenbuild::SystemError);
}
