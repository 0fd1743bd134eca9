#pragma once
// Text helpers shared by the patch parser and applier (private to the patch module).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::patch::detail {

// Splits into lines that keep their terminators; a last line without "\n" is kept as is.
std::vector<std::string_view> splitLines(std::string_view text);

// The line without its "\n" or "\r\n".
std::string_view stripLineEnd(std::string_view line);

// Decodes a git C-style quoted name ("a/tab\there"); nullopt when malformed.
std::optional<std::string> unquoteC(std::string_view quoted);

} // namespace xenbuild::patch::detail
