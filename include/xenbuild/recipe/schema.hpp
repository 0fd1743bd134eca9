#pragma once
// Validation of recipe files against docs/recipe.schema.json. The published schema is compiled
// into the library at build time (CMake embeds the file), so the schema users read is exactly
// the one enforced. The validator implements a JSON Schema subset (docs/schema.md): type,
// required, properties, additionalProperties, propertyNames, enum, const, pattern, items,
// minItems, uniqueItems, minimum, maximum, $ref (local), allOf, anyOf, if/then and boolean
// schemas; other keywords are ignored, and a test keeps docs/recipe.schema.json to the
// implemented ones. A string longer than 1024 bytes is refused before a pattern is matched.

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace xenbuild::recipe {

struct JsonDocument; // json.hpp

// The text of docs/recipe.schema.json as embedded at build time.
std::string_view recipeSchemaText();

class Schema {
  public:
    // Compiles a schema document (all patterns are compiled once, here).
    explicit Schema(nlohmann::json root);
    ~Schema();
    Schema(Schema&&) noexcept;
    Schema& operator=(Schema&&) noexcept;

    // Throws ParseError "<file>:<line>:<col>: <pointer>: expected <what>, got <value>" with the
    // offending line and a caret, for the first violation in document order.
    void validate(const JsonDocument& document) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

Schema loadRecipeSchema();

} // namespace xenbuild::recipe
