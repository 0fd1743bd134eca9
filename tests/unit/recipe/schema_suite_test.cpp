// The recipe schema validator against the official JSON Schema Test Suite (Debian package
// json-schema-test-suite, draft 7: the newest draft it ships; the recipe schema's keywords mean
// the same there). Every test group whose schema uses only keywords the validator implements
// (docs/schema.md) must get every "valid" verdict right; groups using other keywords are
// skipped and counted.

#include "xenbuild/recipe/json.hpp"
#include "xenbuild/recipe/schema.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace fs = std::filesystem;
using namespace xenbuild::recipe;

namespace {

fs::path suiteDir() {
    if (const char* dir = std::getenv("XENBUILD_JSON_SCHEMA_SUITE")) return dir;
    return "/usr/share/json-schema-test-suite/tests/draft7";
}

// The keywords the validator implements, and the ones it may ignore (annotations).
const std::set<std::string> kSupported = {
    "type",     "required",   "properties", "additionalProperties",
    "enum",     "const",      "pattern",    "items",
    "minimum",  "maximum",    "$ref",       "allOf",
    "anyOf",    "if",         "then",       "propertyNames",
    "minItems", "uniqueItems"};
const std::set<std::string> kIgnored = {"$schema",     "title", "description", "default",
                                        "definitions", "$defs", "$comment",    "examples"};
// The suite's files for those keywords (others test keywords we do not implement).
const char* const kFiles[] = {"type",          "required",
                              "properties",    "additionalProperties",
                              "enum",          "const",
                              "pattern",       "items",
                              "minimum",       "maximum",
                              "propertyNames", "minItems",
                              "uniqueItems",   "ref",
                              "allOf",         "anyOf",
                              "if-then-else",  "boolean_schema",
                              "default",       "definitions"};

// Why the validator cannot run a schema, or "" when it can: an unimplemented keyword, the
// array form of "items", a "$ref" outside the document or an "$id" changing the base URI.
std::string unsupported(const nlohmann::json& schema, bool isRoot = false) {
    if (schema.is_boolean()) return {};
    if (!schema.is_object()) return "a schema that is not an object";
    for (const auto& [keyword, value] : schema.items()) {
        if (keyword == "$id" && !isRoot) return "$id";
        if (keyword == "$id") continue; // names the document; every $ref must still be local
        if (kIgnored.count(keyword) != 0) {
            if (keyword == "definitions" || keyword == "$defs") {
                for (const auto& [name, sub] : value.items())
                    if (auto why = unsupported(sub); !why.empty()) return why;
            }
            continue;
        }
        if (kSupported.count(keyword) == 0) return keyword;
        if (keyword == "$ref" && !value.get<std::string>().starts_with("#"))
            return "$ref to another document";
        if (keyword == "items" && value.is_array()) return "items as an array";
        if (keyword == "properties") {
            for (const auto& [name, sub] : value.items())
                if (auto why = unsupported(sub); !why.empty()) return why;
        } else if (keyword == "allOf" || keyword == "anyOf") {
            for (const auto& sub : value)
                if (auto why = unsupported(sub); !why.empty()) return why;
        } else if (keyword == "items" || keyword == "if" || keyword == "then" ||
                   keyword == "propertyNames" ||
                   (keyword == "additionalProperties" && value.is_object())) {
            if (auto why = unsupported(value); !why.empty()) return why;
        }
    }
    return {};
}

bool validates(const Schema& schema, const nlohmann::json& data) {
    try {
        schema.validate(parseJson(data.dump(), "case.json"));
        return true;
    } catch (const xenbuild::ParseError&) {
        return false;
    }
}

} // namespace

TEST_CASE("recipe::Schema agrees with the JSON Schema Test Suite on its keywords",
          "[recipe][schema-suite]") {
    const fs::path dir = suiteDir();
    INFO("JSON Schema Test Suite in " << dir
                                      << " (scripts/install-deps.sh installs "
                                         "json-schema-test-suite; XENBUILD_JSON_SCHEMA_SUITE "
                                         "points elsewhere)");
    REQUIRE(fs::is_directory(dir));
    std::size_t checked = 0;
    std::size_t skipped = 0;
    std::set<std::string> skippedFor;
    std::vector<std::string> disagreements;
    for (const char* file : kFiles) {
        const fs::path path = dir / (std::string(file) + ".json");
        std::ifstream in(path);
        REQUIRE(in);
        for (const auto& group : nlohmann::json::parse(in)) {
            const std::string why = unsupported(group.at("schema"), false);
            if (!why.empty()) {
                skipped += group.at("tests").size();
                skippedFor.insert(why);
                continue;
            }
            const Schema schema(group.at("schema"));
            for (const auto& test : group.at("tests")) {
                ++checked;
                const bool expected = test.at("valid").get<bool>();
                if (validates(schema, test.at("data")) != expected) {
                    disagreements.push_back(std::string(file) + ": " +
                                            group.at("description").get<std::string>() + ": " +
                                            test.at("description").get<std::string>() +
                                            (expected ? " (valid)" : " (invalid)"));
                }
            }
        }
    }
    std::string skippedList;
    for (const auto& why : skippedFor)
        skippedList += (skippedList.empty() ? "" : ", ") + why;
    INFO(checked << " cases checked, " << skipped << " skipped for: " << skippedList);
    std::string list;
    for (const auto& line : disagreements)
        list += line + "\n";
    INFO("disagreements:\n" << list);
    CHECK(disagreements.empty());
    // The suite has 200+ cases for these keywords: a broken loader must not pass quietly.
    CHECK(checked >= 150);
}

TEST_CASE("recipe::Schema rejects any value under a false schema", "[recipe]") {
    const Schema schema(nlohmann::json::parse(R"({"properties": {"old": false}})"));
    REQUIRE_NOTHROW(schema.validate(parseJson("{\"new\": 1}", "r.json")));
    REQUIRE_THROWS_WITH(schema.validate(parseJson("{\"old\": 1}", "r.json")),
                        "r.json:1:9: schema violation at /old: no value is allowed here, got 1\n"
                        "  {\"old\": 1}\n"
                        "          ^");
}

TEST_CASE("recipe::loadRecipeSchema uses only the keywords the validator implements", "[recipe]") {
    // Any other keyword would be ignored, not enforced: implement it in src/recipe/schema.cpp
    // first (and list it in docs/schema.md).
    CHECK(unsupported(nlohmann::json::parse(recipeSchemaText()), true) == "");
}

TEST_CASE("recipe::Schema matches patterns against long strings without recursing", "[recipe]") {
    // Found while fuzzing: std::regex's default executor overflowed the stack on a 50 kB string.
    // Strings over 1024 bytes are refused before matching; up to that, the polynomial executor.
    const Schema schema(nlohmann::json::parse(R"({"pattern": "^[0-9]+\\.[0-9]+$"})"));
    const std::string digits(1020, '1');
    REQUIRE_NOTHROW(schema.validate(parseJson("\"" + digits + ".1\"", "r.json")));
    REQUIRE_THROWS_WITH(schema.validate(parseJson("\"" + digits + "x\"", "r.json")),
                        Catch::Matchers::StartsWith(
                            "r.json:1:1: schema violation at (document root): expected a string "
                            "matching '^[0-9]+\\.[0-9]+$', got \"111"));
    const std::string huge(1 << 20, '1');
    REQUIRE_THROWS_WITH(schema.validate(parseJson("\"" + huge + ".1\"", "r.json")),
                        Catch::Matchers::StartsWith(
                            "r.json:1:1: schema violation at (document root): expected at most "
                            "1024 bytes for a string checked against a pattern, got 1048578"));
}
