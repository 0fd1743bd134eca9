#include "support/test_paths.hpp"
#include "xenbuild/recipe/json.hpp"
#include "xenbuild/recipe/schema.hpp"
#include "xenbuild/util/error.hpp"

#include "support/recipes.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild::recipe;

namespace {

void validate(const std::string& text) {
    loadRecipeSchema().validate(parseJson(text, "r.json"));
}

} // namespace

TEST_CASE("recipe::loadRecipeSchema enforces the published docs/recipe.schema.json", "[recipe]") {
    const auto published = xenbuild::testing::readFile(
        std::filesystem::path(::xenbuild::testing::sourceDir()) / "docs" / "recipe.schema.json");
    // CMake embeds the file at configure time; a stale build would enforce another schema.
    CHECK(std::string(recipeSchemaText()) == published);
}

TEST_CASE("recipe::Schema::validate names file, line, column and JSON pointer", "[recipe]") {
    SECTION("wrong type") {
        REQUIRE_THROWS_WITH(validate("{\"kind\": \"host-profile\", \"name\": 7, \"paths\": {}}"),
                            "r.json:1:34: schema violation at /name: expected a string, got 7\n"
                            "  {\"kind\": \"host-profile\", \"name\": 7, \"paths\": {}}\n"
                            "                                   ^");
    }
    SECTION("missing required key, reported at the object") {
        REQUIRE_THROWS_WITH(validate("{\n  \"kind\": \"variants\",\n  \"aliases\": {},\n"
                                     "  \"variants\": {\"a\": {\"suffix\": \"\", \"args\": {}, "
                                     "\"description\": \"\"}}\n}"),
                            "r.json:4:21: schema violation at /variants/a: missing required key "
                            "\"longDescription\"\n    \"variants\": {\"a\": {\"suffix\": \"\", "
                            "\"args\": {}, \"description\": \"\"}}\n                      ^");
    }
    SECTION("unknown key, reported at the key") {
        REQUIRE_THROWS_WITH(
            validate("{\"kind\": \"variants\", \"variants\": {}, \"aliases\": {}, \"alias\": 1}"),
            Catch::StartsWith("r.json:1:53: schema violation at /alias: unexpected key 'alias'; "
                              "expected one of: aliases, kind, variants\n"));
    }
    SECTION("pattern, with the schema's description") {
        REQUIRE_THROWS_WITH(
            validate("{\"kind\": \"builder\", \"pname\": \"xen\", \"parameters\": {}, "
                     "\"sources\": [], \"configureFlags\": [{\"if\": \"a ||b\", \"value\": \"x\"}],"
                     " \"makeFlags\": [], \"env\": {}, \"outputs\": [], \"checks\": [], \"meta\": "
                     "{\"homepage\": \"https://x\", \"licenses\": [], \"description\": [], "
                     "\"longDescription\": []}}"),
            Catch::StartsWith("r.json:1:96: schema violation at /configureFlags/0/if: expected "
                              "parameter names, each optionally negated with '!', joined by "
                              "' && ' and ' || ', got \"a ||b\"\n"));
    }
    SECTION("union of a string and a conditional object") {
        REQUIRE_THROWS_WITH(
            validate("{\"kind\": \"builder\", \"pname\": \"xen\", \"parameters\": {}, "
                     "\"sources\": [], \"configureFlags\": [true], \"makeFlags\": [], \"env\": {},"
                     " \"outputs\": [], \"checks\": [], \"meta\": {\"homepage\": \"https://x\", "
                     "\"licenses\": [], \"description\": [], \"longDescription\": []}}"),
            Catch::StartsWith("r.json:1:89: schema violation at /configureFlags/0: expected a "
                              "string or an object, got true\n"));
    }
    SECTION("unknown kind") {
        REQUIRE_THROWS_WITH(validate("{\"kind\": \"recipe\"}"),
                            Catch::StartsWith("r.json:1:10: schema violation at /kind: expected "
                                              "one of \"builder\", \"branch\", \"patches\", "
                                              "\"variants\", \"host-profile\", got \"recipe\""));
    }
}

TEST_CASE("recipe::Schema::validate accepts every checked-in recipe file", "[recipe]") {
    const auto schema = loadRecipeSchema();
    for (const auto& entry :
         std::filesystem::directory_iterator(xenbuild::testing::sourceRecipes() / "xen")) {
        INFO(entry.path().string());
        CHECK_NOTHROW(schema.validate(loadJsonFile(entry.path())));
    }
}
