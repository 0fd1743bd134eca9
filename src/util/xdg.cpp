#include "xenbuild/util/xdg.hpp"

#include <cstdlib>

namespace xenbuild::util {

namespace {

std::filesystem::path xdgHome(const char* variable, const char* fallback) {
    if (const char* value = std::getenv(variable); value != nullptr && *value == '/') return value;
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') return {};
    return std::filesystem::path(home) / fallback;
}

} // namespace

std::filesystem::path xdgCacheHome() {
    return xdgHome("XDG_CACHE_HOME", ".cache");
}

std::filesystem::path xdgConfigHome() {
    return xdgHome("XDG_CONFIG_HOME", ".config");
}

} // namespace xenbuild::util
