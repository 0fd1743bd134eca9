#include "cli/context.hpp"
#include "xenbuild/util/build_paths.hpp"

#include <cstdlib>
#include <unistd.h>

namespace xenbuild::cli {

namespace {

std::filesystem::path executableDir() {
    std::error_code error;
    auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::filesystem::path{} : self.parent_path();
}

} // namespace

std::filesystem::path resolveRecipesDir(const GlobalOptions& options) {
    if (!options.recipesDir.empty()) return options.recipesDir;
    if (const char* env = std::getenv("XENBUILD_RECIPES"); env != nullptr && *env != '\0') {
        return env;
    }
    const auto installed = executableDir() / ".." / "share" / "xenbuild" / "recipes";
    if (std::filesystem::is_directory(installed)) return installed.lexically_normal();
    return std::filesystem::path(::xenbuild::util::sourceDir()) / "recipes";
}

} // namespace xenbuild::cli
