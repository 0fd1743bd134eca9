#pragma once
// Sizes as users write them: "500M", "5G", "512MiB", "1000".

#include <cstdint>
#include <optional>
#include <string>

namespace xenbuild::util {

// A number of bytes with an optional K, M, G or T suffix (powers of 1024; "KiB", "KB" and "B"
// spellings and lower case accepted). std::nullopt when malformed or too large.
std::optional<std::uint64_t> parseByteSize(const std::string& text);

} // namespace xenbuild::util
