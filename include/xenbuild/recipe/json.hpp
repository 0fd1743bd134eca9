#pragma once
// A JSON reader that remembers where every value came from. Recipes are hand-written (comments
// allowed) and machine-written; both deserve errors that point at file:line:column with the
// offending line and a caret, so the parser records the position of every value under its
// JSON pointer ("/sources/xen/rev").

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>

namespace xenbuild::recipe {

struct Position {
    std::size_t line = 1;   // 1-based
    std::size_t column = 1; // 1-based, in bytes
};

struct JsonDocument {
    std::string path; // as given to the parser, used in messages
    std::string text;
    nlohmann::json value;
    std::unordered_map<std::string, Position> positions;    // JSON pointer -> start of the value
    std::unordered_map<std::string, Position> keyPositions; // member pointer -> start of its key

    // Position of the value at `pointer`, or of its closest recorded ancestor.
    Position positionOf(const std::string& pointer) const;
    // Position of the key of the object member at `pointer` (falls back to positionOf).
    Position keyPositionOf(const std::string& pointer) const;

    // "<path>:<line>:<col>: <message>" followed by the offending line and a caret under
    // the column, the form every recipe error takes.
    std::string describeAt(Position position, const std::string& message) const;
    std::string describeAt(const std::string& pointer, const std::string& message) const;
};

// Parses JSON text with // and /* */ comments. Throws ParseError with file:line:column.
JsonDocument parseJson(std::string text, std::string path);

// The largest recipe file read (the checked-in ones are a few kilobytes).
inline constexpr std::uint64_t kMaxRecipeBytes = std::uint64_t{16} << 20;

// Reads and parses a regular file of at most kMaxRecipeBytes; I/O errors, directories, FIFOs,
// devices and larger files are SystemError naming the path.
JsonDocument loadJsonFile(const std::filesystem::path& path);

// quote(text), cut to at most 60 bytes (at a UTF-8 boundary) with "..." when longer: for
// quoting keys and words from the input in messages without echoing megabytes.
std::string quoteShort(const std::string& text);

// Appends one reference token to a JSON pointer, escaping '~' and '/'.
std::string appendPointer(const std::string& pointer, const std::string& token);

} // namespace xenbuild::recipe
