#include "cli/source_overrides.hpp"

#include "xenbuild/util/error.hpp"

namespace xenbuild::cli {

std::map<std::string, std::filesystem::path>
parseSourceOverrides(const std::vector<std::string>& items) {
    std::map<std::string, std::filesystem::path> overrides;
    for (const auto& item : items) {
        const auto equals = item.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == item.size()) {
            throw UsageError("--override-source expects NAME=DIR, got " + quote(item));
        }
        overrides[item.substr(0, equals)] =
            std::filesystem::absolute(item.substr(equals + 1)).lexically_normal();
    }
    return overrides;
}

} // namespace xenbuild::cli
