// FetchLimits: parsing "NAME=VALUE" settings and printing sizes for messages.

#include "xenbuild/fetch/options.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/size.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace xenbuild::fetch {

namespace {

// "2G", "512MiB", "1000", "none" -> bytes (0 for none); nullopt when malformed.
std::optional<std::uint64_t> parseSize(const std::string& text, bool withUnits) {
    const bool none =
        text.size() == 4 && std::equal(text.begin(), text.end(), "none", [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
        });
    if (none) return 0;
    if (!withUnits && text.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    return util::parseByteSize(text);
}

} // namespace

void FetchLimits::set(const std::string& assignment) {
    const auto eq = assignment.find('=');
    const std::string name = assignment.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : assignment.substr(eq + 1);
    struct Field {
        const char* name;
        std::uint64_t FetchLimits::*field;
        bool size;
    };
    static constexpr Field fields[] = {
        {.name = "download", .field = &FetchLimits::downloadBytes, .size = true},
        {.name = "unpacked", .field = &FetchLimits::unpackedBytes, .size = true},
        {.name = "entries", .field = &FetchLimits::entries, .size = false},
        {.name = "ratio", .field = &FetchLimits::ratio, .size = false}};
    for (const auto& field : fields) {
        if (name != field.name) continue;
        const auto parsed = parseSize(value, field.size);
        if (!parsed) {
            throw UsageError(
                "invalid fetch limit " + quote(assignment) + ": expected " + name +
                (field.size ? "=SIZE (e.g. " + name + "=4G)" : "=NUMBER (e.g. " + name + "=1000)") +
                ", or " + name + "=none for no limit");
        }
        this->*field.field = *parsed;
        return;
    }
    throw UsageError("invalid fetch limit " + quote(assignment) +
                     ": expected download=SIZE, unpacked=SIZE, entries=NUMBER or ratio=NUMBER");
}

std::string describeBytes(std::uint64_t bytes) {
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    unsigned unit = 0;
    while (unit < 4 && bytes >= (std::uint64_t{1} << (10 * (unit + 1))))
        ++unit;
    if (unit == 0) return std::to_string(bytes) + " bytes";
    const unsigned shift = 10 * unit;
    const std::string name = units[unit - 1];
    if ((bytes & ((std::uint64_t{1} << shift) - 1)) == 0) {
        return std::to_string(bytes >> shift) + " " + name;
    }
    if (bytes < 10 * 1024) return std::to_string(bytes) + " bytes";
    // Not a round number (a ratio limit): one decimal is enough.
    const auto tenths = ((bytes >> (shift - 10)) * 10 + 512) >> 10;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " " + name;
}

} // namespace xenbuild::fetch
