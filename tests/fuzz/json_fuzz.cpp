// Fuzz target: the JSON-with-comments reader (recipe/json.hpp) and the recipe schema validator
// (recipe/schema.hpp) on one document.
//
// Checked: bad input is a ParseError; a document we accept is accepted with the same value by
// nlohmann's own parser (comments ignored), and its dump parses back to the same value; every
// recorded position lies inside the text; error messages name the document.

#include "fuzz/fuzz_support.hpp"
#include "xenbuild/recipe/json.hpp"
#include "xenbuild/recipe/schema.hpp"

#include <algorithm>

namespace {

using namespace xenbuild;

const recipe::Schema& schema() {
    static const recipe::Schema compiled = recipe::loadRecipeSchema();
    return compiled;
}

void checkPositions(const recipe::JsonDocument& doc) {
    const auto lines = static_cast<std::size_t>(std::count(doc.text.begin(), doc.text.end(), '\n'));
    for (const auto* map : {&doc.positions, &doc.keyPositions}) {
        for (const auto& [pointer, position] : *map) {
            fuzz::check(position.line >= 1 && position.line <= lines + 1 && position.column >= 1,
                        "position of " + pointer + " outside the text");
        }
    }
}

void checkAccepted(std::string text, const recipe::JsonDocument& doc) {
    // In an accepted document, NUL and CR bytes are whitespace or in comments; nlohmann ends a
    // comment at either (we end // comments at LF only), so they are blanked for the comparison.
    std::replace(text.begin(), text.end(), '\0', ' ');
    std::replace(text.begin(), text.end(), '\r', ' ');
    const auto reference = nlohmann::json::parse(text, nullptr, false, true);
    fuzz::check(!reference.is_discarded(), "accepted a document nlohmann rejects");
    fuzz::check(reference == doc.value, "value differs from nlohmann's reading");
    checkPositions(doc);
    std::string dumped;
    recipe::JsonDocument again;
    fuzz::check(fuzz::expectOnlyErrors([&] {
                    dumped = doc.value.dump();
                    again = recipe::parseJson(dumped, "dump.json");
                }),
                "the dump of an accepted document is rejected: " + dumped);
    fuzz::check(again.value == doc.value, "the dump does not read back to the same value");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fuzz::asText(data, size));
    recipe::JsonDocument doc;
    const bool parsed = fuzz::expectOnlyErrors([&] { doc = recipe::parseJson(text, "in.json"); });
    if (!parsed) return 0;
    checkAccepted(text, doc);
    try {
        schema().validate(doc);
    } catch (const ParseError& e) {
        fuzz::check(std::string_view(e.what()).starts_with("in.json:"),
                    std::string("schema error without file:line:col: ") + e.what());
    } catch (const std::exception& e) {
        fuzz::fail(std::string("schema validation threw outside ParseError: ") + e.what());
    }
    return 0;
}
