#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;

namespace {

std::string_view flags(Setting setting) {
    return setting == Setting::FetchLimit ? "--fetch-limit" : "--other";
}

} // namespace

TEST_CASE("Error: messages name settings by concept, a front end spells them its way", "[util]") {
    FetchError error("too large; raise the limit with " + mention(Setting::FetchLimit) +
                     " download=SIZE");
    error.addTrace("while fetching " + quote("x") + " (" + mention(Setting::Offline) + ")");
    CHECK(std::string(error.what()) ==
          "too large; raise the limit with the fetch-limit setting download=SIZE");
    CHECK(error.describe() == "while fetching 'x' (offline mode):\n  too large; raise the limit "
                              "with the fetch-limit setting download=SIZE");
    CHECK(error.describe(flags) ==
          "while fetching 'x' (--other):\n  too large; raise the limit with --fetch-limit "
          "download=SIZE");

    SECTION("an error quoting another keeps its mentions") {
        const FetchError outer("two failures:\n- " + error.describeMentions());
        CHECK(outer.describe(flags) == "two failures:\n- while fetching 'x' (--other):\n  too "
                                       "large; raise the limit with --fetch-limit download=SIZE");
    }
    SECTION("text that only looks like a mention is kept") {
        CHECK(spellSettings("a\x1e"
                            "99\x1f"
                            "b\x1e"
                            "1") == "a\x1e"
                                    "99\x1f"
                                    "b\x1e"
                                    "1");
        CHECK(spellSettings("plain") == "plain");
        const std::string digits = "x\x1e" + std::string(40, '9') + "\x1f";
        CHECK(spellSettings(digits) == digits);
    }
}

TEST_CASE("quote and escapeControl keep control characters of hostile input off the terminal",
          "[util]") {
    CHECK(quote("plain name") == "'plain name'");
    CHECK(quote("a\x1b[31mb\nc\x7f") == "'a\\x1b[31mb\\x0ac\\x7f'");
    CHECK(quote("\x1e"
                "1\x1f") == "'\\x1e1\\x1f'"); // cannot forge a mention
    CHECK(escapeControl("line\n\tnext\r", "\n\t") == "line\n\tnext\\x0d");
    CHECK(escapeControl("caf\xc3\xa9") == "caf\xc3\xa9"); // UTF-8 is kept
}
