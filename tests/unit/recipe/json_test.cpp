#include "xenbuild/recipe/json.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using xenbuild::ParseError;
using xenbuild::recipe::parseJson;

TEST_CASE("recipe::parseJson records the position of every value", "[recipe]") {
    const auto doc = parseJson("{\n  \"a\": [1, {\"b\": true}],\n  \"c~/d\": \"x\"\n}\n", "t.json");
    CHECK(doc.value["a"][1]["b"] == true);
    CHECK(doc.positionOf("").line == 1);
    CHECK(doc.positionOf("/a").line == 2);
    CHECK(doc.positionOf("/a").column == 8);
    CHECK(doc.positionOf("/a/1/b").column == 18);
    CHECK(doc.positionOf("/c~0~1d").line == 3);
    CHECK(doc.keyPositionOf("/c~0~1d").column == 3);
    // Unknown pointers fall back to the closest recorded ancestor.
    CHECK(doc.positionOf("/a/7").column == 8);
}

TEST_CASE("recipe::parseJson accepts // and /* */ comments", "[recipe]") {
    const auto doc =
        parseJson("// header\n{ /* inline */ \"a\": \"x // not a comment\" // end\n}", "t.json");
    CHECK(doc.value == nlohmann::json{{"a", "x // not a comment"}});
}

TEST_CASE("recipe::parseJson decodes strings and numbers like JSON", "[recipe]") {
    const auto doc =
        parseJson(R"({"s": "a\"\\\/\n\u00e9\ud83d\ude00", "i": -12, "f": 1.5e2})", "t.json");
    CHECK(doc.value["s"] == "a\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(doc.value["i"] == -12);
    CHECK(doc.value["f"] == 150.0);
}

TEST_CASE("recipe::parseJson reports errors at file:line:column with a caret", "[recipe]") {
    SECTION("missing comma: the caret goes where the comma belongs") {
        REQUIRE_THROWS_MATCHES(parseJson("{\n  \"a\": 1\n  \"b\": 2\n}", "r.json"), ParseError,
                               Catch::Message("r.json:2:9: expected ',' or '}' after object "
                                              "member, got '\"' on line 3\n    \"a\": 1\n"
                                              "          ^"));
        REQUIRE_THROWS_WITH(parseJson("[1 2]", "r.json"),
                            "r.json:1:4: expected ',' or ']' after array element, got '2'\n"
                            "  [1 2]\n     ^");
    }
    SECTION("invalid UTF-8") {
        REQUIRE_THROWS_WITH(parseJson("\"a\xc3(\"", "r.json"),
                            Catch::StartsWith("r.json:1:3: invalid UTF-8 in string"));
        REQUIRE_THROWS_WITH(parseJson("\"\xed\xa0\x80\"", "r.json"), // a surrogate
                            Catch::StartsWith("r.json:1:2: invalid UTF-8 in string"));
        CHECK(parseJson("\"\xe2\x82\xac\"", "r.json").value == "\xe2\x82\xac");
    }
    SECTION("trailing comma") {
        REQUIRE_THROWS_WITH(parseJson("[1, 2, ]", "r.json"),
                            "r.json:1:8: trailing comma before ']'\n  [1, 2, ]\n         ^");
    }
    SECTION("duplicate key") {
        REQUIRE_THROWS_WITH(parseJson("{\"a\": 1, \"a\": 2}", "r.json"),
                            "r.json:1:10: duplicate key 'a'\n  {\"a\": 1, \"a\": 2}\n           ^");
    }
    SECTION("unterminated string and comment") {
        REQUIRE_THROWS_WITH(parseJson("{\"a\": \"x", "r.json"),
                            "r.json:1:7: unterminated string\n  {\"a\": \"x\n        ^");
        REQUIRE_THROWS_WITH(parseJson("/* x", "r.json"),
                            "r.json:1:1: unterminated /* comment\n  /* x\n  ^");
    }
    SECTION("bad literal and trailing garbage") {
        REQUIRE_THROWS_WITH(
            parseJson("{\"a\": tru}", "r.json"),
            "r.json:1:7: expected a JSON value, got 'tru'\n  {\"a\": tru}\n        ^");
        REQUIRE_THROWS_WITH(parseJson("{} x", "r.json"),
                            "r.json:1:4: unexpected 'x' after the JSON value\n  {} x\n     ^");
    }
    SECTION("empty input") {
        REQUIRE_THROWS_WITH(parseJson("", "r.json"),
                            "r.json:1:1: expected a JSON value, got end of file\n  \n  ^");
    }
    SECTION("control characters of the file never reach the terminal") {
        // An escape sequence, and the markers of a setting mention (found by the fuzzer: a long
        // digit run between them overflowed).
        REQUIRE_THROWS_WITH(parseJson("[\x1b[2J, \x1e"
                                      "99999999999\x1f]",
                                      "r.json"),
                            "r.json:1:2: expected a JSON value, got control character\n"
                            "  [?[2J, ?99999999999?]\n"
                            "   ^");
    }
}

TEST_CASE("recipe::parseJson rejects pathological nesting without crashing", "[recipe]") {
    REQUIRE_THROWS_AS(parseJson(std::string(100000, '['), "deep.json"), ParseError);
}
