#include "xenbuild/util/size.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace xenbuild::util {

std::optional<std::uint64_t> parseByteSize(const std::string& text) {
    std::string value = text;
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto digits = value.find_first_not_of("0123456789");
    if (digits == 0 || value.empty()) return std::nullopt;
    const std::string number = value.substr(0, digits);
    const std::string unit = digits == std::string::npos ? "" : value.substr(digits);
    unsigned shift = 0;
    if (!unit.empty() && unit != "b") {
        const std::string prefixes = "kmgt";
        const auto index = prefixes.find(unit[0]);
        const std::string rest = unit.substr(1);
        if (index == std::string::npos || !(rest.empty() || rest == "b" || rest == "ib")) {
            return std::nullopt;
        }
        shift = 10 * static_cast<unsigned>(index + 1);
    }
    if (number.size() > 19) return std::nullopt;
    const std::uint64_t base = std::stoull(number);
    if (base > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
    return base << shift;
}

} // namespace xenbuild::util
