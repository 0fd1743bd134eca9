// The recipe language's constructs: conditions with '||', the meta texts assembled from
// fragments, the latest branch derived from the branch names, patch applicability stated in
// patches.json alone. Malformed input is an error at file:line:column.

#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include "support/recipes.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace xenbuild::recipe;
namespace test = xenbuild::testing;
namespace fs = std::filesystem;

namespace {

EvalOptions today() {
    EvalOptions options;
    options.today = xenbuild::util::parseDate("2026-11-21");
    return options;
}

bool hasFlag(const BuildPlan& plan, const std::string& flag) {
    return std::find(plan.configureFlags.begin(), plan.configureFlags.end(), flag) !=
           plan.configureFlags.end();
}

// Puts `item` (JSON text) first in builder.json's configureFlags.
void addConfigureFlag(const fs::path& recipes, const std::string& item) {
    test::editFile(recipes / "xen/builder.json", "\"configureFlags\": [\n",
                   "\"configureFlags\": [\n    " + item + ",\n");
}

// Replaces the builder's meta.longDescription by `items` (JSON text).
void setLongDescription(const fs::path& recipes, const std::string& items) {
    const auto path = recipes / "xen/builder.json";
    std::string text = test::readFile(path);
    const auto begin = text.find("\"longDescription\": [");
    const auto end = text.find("\n    ]\n  }\n}", begin);
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    text.replace(begin, end + 6 - begin, "\"longDescription\": " + items);
    test::writeFile(path, text);
}

} // namespace

TEST_CASE("recipe conditions join terms with '&&' and '||', '&&' binding tighter", "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    addConfigureFlag(recipes,
                     R"({"if": "withFlask || withStubdom && !withEFI", "value": "--or-test"})");
    const auto set = RecipeSet::load(recipes);
    auto with = [&set](Overrides overrides) {
        return hasFlag(evaluate(set, "xen_4_19", overrides, today()), "--or-test");
    };
    CHECK_FALSE(with({}));
    CHECK(with({{"withFlask", "true"}}));
    CHECK_FALSE(with({{"withStubdom", "true"}}));
    CHECK(with({{"withStubdom", "true"}, {"withEFI", "false"}}));
    CHECK(with({{"withFlask", "true"}, {"withEFI", "false"}}));
    // The flag sits where the item is, and only there.
    CHECK(evaluate(set, "xen_4_19", {{"withFlask", "true"}}, today()).configureFlags.at(0) ==
          "--or-test");
}

TEST_CASE("recipe conditions: every term is checked, whatever the others decide", "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    addConfigureFlag(recipes, R"({"if": "withEFI || withFlak", "value": "--x"})");
    const auto set = RecipeSet::load(recipes);
    REQUIRE_THROWS_WITH(evaluate(set, "xen_4_19", {}, today()),
                        Catch::Contains("builder.json:119:12: condition names unknown parameter "
                                        "'withFlak'; did you mean 'withFlask'?"));
    test::editFile(recipes / "xen/builder.json", "withEFI || withFlak", "withEFI || hostQEMU");
    REQUIRE_THROWS_WITH(evaluate(RecipeSet::load(recipes), "xen_4_19", {}, today()),
                        Catch::Contains("condition needs a bool parameter, but 'hostQEMU' is a "
                                        "string"));
}

TEST_CASE("recipe conditions: a malformed '||' is a schema violation at its position", "[recipe]") {
    for (const char* bad : {"withEFI ||", "|| withEFI", "withEFI ||| withFlask",
                            "withEFI|| withFlask", "withEFI ||withFlask", "withEFI || || withFlask",
                            "withEFI or withFlask", "withEFI || !", "(withEFI || withFlask)"}) {
        DYNAMIC_SECTION(bad) {
            test::TempDir dir;
            const auto recipes = test::copyRecipes(dir.path());
            addConfigureFlag(recipes, std::string(R"({"if": ")") + bad + R"(", "value": "--x"})");
            REQUIRE_THROWS_AS(RecipeSet::load(recipes), xenbuild::ParseError);
            REQUIRE_THROWS_WITH(
                RecipeSet::load(recipes),
                Catch::StartsWith((recipes / "xen/builder.json").string() +
                                  ":119:12: schema violation at /configureFlags/0/if: expected "
                                  "parameter names, each optionally negated with '!', joined by "
                                  "' && ' and ' || ', got \"" +
                                  std::string(bad) + "\"\n"));
        }
    }
}

TEST_CASE("recipe meta texts are assembled from the builder's fragments", "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    SECTION("a list whose items all are left out is left out, with its heading") {
        setLongDescription(recipes, R"([
      "First ${variant}.",
      {"if": "withFlask", "value": ["Flask one.", "Flask two."], "else": "No flask."},
      {"heading": "Extras:", "items": [{"if": "withStubdom", "value": "stubdom"}]},
      {"if": "withEFI || withFlask", "heading": "Maybe:", "items": ["always"]},
      "",
      {"advisories": "${advisory.id} (#${advisory.number}): ${advisory.title}", "none": "-"}
    ])");
        const auto set = RecipeSet::load(recipes);
        const auto plain = evaluate(set, "xen_4_17", {}, today()).meta.longDescription;
        CHECK(plain.rfind("First standard.\n\nNo flask.\n\nMaybe:\n* always\n\nXSA-462 (#462): "
                          "x86: Deadlock in vlapic_error()\nIn x86's APIC",
                          0) == 0);
        const auto other =
            evaluate(set, "xen_4_17",
                     {{"withFlask", "true"}, {"withStubdom", "true"}, {"withEFI", "false"}},
                     today())
                .meta.longDescription;
        CHECK(other.rfind("First standard.\n\nFlask one.\n\nFlask two.\n\nExtras:\n* stubdom\n\n"
                          "Maybe:\n* always\n\nXSA-462",
                          0) == 0);
    }
    SECTION("the advisories' `none` when no advisory applies") {
        setLongDescription(recipes,
                           R"x([{"advisories": "XSA ${advisory.number}", "none": "(none)"}])x");
        test::editFile(recipes / "xen/patches.json", "\"id\": \"XSA-462\",",
                       "\"id\": \"XSA-462\", \"notApplicable\": {\"4.17\": \"test\"},");
        const auto set = RecipeSet::load(recipes);
        CHECK(evaluate(set, "xen_4_17", {}, today()).meta.longDescription == "(none)");
        CHECK(evaluate(set, "xen_4_18", {}, today())
                  .meta.longDescription.rfind("XSA 462\nIn x86's", 0) == 0);
    }
    SECTION("the description concatenates its fragments") {
        test::editFile(
            recipes / "xen/builder.json", "\" (${variant.description})\"",
            "{\"if\": \"withFlask\", \"value\": [\" with\", \" FLASK\"]}, \" [${branch}]\"");
        const auto set = RecipeSet::load(recipes);
        CHECK(evaluate(set, "xen_4_18-slim", {{"withFlask", "true"}}, today()).meta.description ==
              "Xen Project Hypervisor with FLASK [4.18]");
    }
    SECTION("advisory variables exist only in the advisories' template") {
        setLongDescription(recipes, R"(["${advisory.title}"])");
        const auto set = RecipeSet::load(recipes);
        REQUIRE_THROWS_WITH(evaluate(set, "xen_4_17", {}, today()),
                            Catch::Contains("unknown variable '${advisory.title}'"));
    }
}

TEST_CASE("recipe meta fragments: malformed ones are schema violations at their position",
          "[recipe]") {
    struct Case {
        const char* items;
        const char* message;
    };
    for (const Case& c :
         {Case{R"([{"heading": "Includes:"}])",
               ":262:25: schema violation at /meta/longDescription/0: missing required key "
               "\"items\""},
          Case{R"([{"heading": "H", "items": [], "value": "v"}])",
               ":262:55: schema violation at /meta/longDescription/0/value: unexpected key "
               "'value'; expected one of: heading, if, items"},
          Case{R"([{"advisories": "A"}])",
               ":262:25: schema violation at /meta/longDescription/0: missing required key "
               "\"none\""},
          Case{R"([{"advisories": "A", "none": "-", "items": []}])",
               ":262:58: schema violation at /meta/longDescription/0/items: unexpected key "
               "'items'; expected one of: advisories, if, none"},
          Case{R"([{}])", ":262:25: schema violation at /meta/longDescription/0: missing "
                          "required key \"if\""},
          Case{R"([{"items": ["x"]}])",
               ":262:25: schema violation at /meta/longDescription/0: missing required key "
               "\"if\""},
          Case{R"([{"heading": 7, "items": []}])",
               ":262:37: schema violation at /meta/longDescription/0/heading: expected a string, "
               "got 7"},
          Case{R"([{"if": "a |", "heading": "H", "items": []}])",
               ":262:32: schema violation at /meta/longDescription/0/if: expected parameter "
               "names"},
          Case{R"([7])", ":262:25: schema violation at /meta/longDescription/0: expected a string "
                         "or an object, got 7"},
          Case{R"("text")", ":262:24: schema violation at /meta/longDescription: expected an "
                            "array, got \"text\""}}) {
        DYNAMIC_SECTION(c.items) {
            test::TempDir dir;
            const auto recipes = test::copyRecipes(dir.path());
            setLongDescription(recipes, c.items);
            REQUIRE_THROWS_AS(RecipeSet::load(recipes), xenbuild::ParseError);
            REQUIRE_THROWS_WITH(
                RecipeSet::load(recipes),
                Catch::StartsWith((recipes / "xen/builder.json").string() + c.message));
        }
    }
}

TEST_CASE("recipe::RecipeSet::latestBranch is the highest branch, compared numerically",
          "[recipe]") {
    CHECK(branchNameLess("4.9", "4.19"));
    CHECK_FALSE(branchNameLess("4.19", "4.9"));
    CHECK_FALSE(branchNameLess("4.19", "4.19"));
    CHECK(branchNameLess("4.19", "10.0"));
    CHECK(branchNameLess("4.019", "4.20"));
    CHECK(branchNameLess("4.99999999999999999999", "5.0"));
    CHECK(branchNameLess("4.9", "4.100000000000000000000"));

    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    auto addBranch = [&recipes](const std::string& branch) {
        std::string text = test::readFile(recipes / "xen/4.16.json");
        text.replace(text.find("\"4.16\""), 6, "\"" + branch + "\"");
        text.replace(text.find("\"4.16.6\""), 8, "\"" + branch + ".0\"");
        test::writeFile(recipes / "xen" / (branch + ".json"), text);
    };
    addBranch("4.9");
    CHECK(RecipeSet::load(recipes).latestBranch() == "4.19");
    addBranch("4.20");
    const auto set = RecipeSet::load(recipes);
    CHECK(set.latestBranch() == "4.20");
    CHECK(evaluate(set, "xen-slim", {}, today()).name == "xen_4_20-slim");
    // The branch's patches are those of patches.json not marked for it: all of them.
    CHECK(evaluate(set, "xen_4_20", {}, today()).patches.size() == 7);
}
