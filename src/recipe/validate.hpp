#pragma once
// Internal to loading: the checks on recipe content that the schema cannot express (or that are
// repeated here so that a loosened schema cannot let them through), each reported at the
// offending value's file:line:column.

#include "xenbuild/recipe/json.hpp"

#include <cstdint>
#include <string>

namespace xenbuild::recipe::detail {

// Integer ranges; docs/recipe.schema.json states the same bounds.
inline constexpr std::int64_t kMaxXsa = 99999;
inline constexpr std::int64_t kMaxFuzz = 100;
inline constexpr std::int64_t kMaxImageKiB = 1048576; // a check's sizesKiB: up to 1 GiB

// The integer at `pointer` in `doc`, which must lie in [min, max]; ParseError at its position
// for a non-integer or an out-of-range value (never a silent truncation).
std::int64_t boundedInteger(const JsonDocument& doc, const std::string& pointer, std::int64_t min,
                            std::int64_t max);

// builder.json: sources (unique names, the first is the unconditional tree with an empty
// stageAt, the others have a plain relative stageAt of their own), the first output is "out",
// check paths stay inside a declared output, a check's source is one of the builder's and its
// versionFile a plain relative path, and a path parameter's default is absolute.
void checkBuilder(const JsonDocument& builder);

} // namespace xenbuild::recipe::detail
