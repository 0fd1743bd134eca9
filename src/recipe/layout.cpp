#include "xenbuild/recipe/layout.hpp"

#include "xenbuild/util/build_paths.hpp"

#include <cstdlib>
#include <system_error>

namespace fs = std::filesystem;

namespace xenbuild::recipe {

namespace {

fs::path executableDir() {
    std::error_code error;
    auto self = fs::read_symlink("/proc/self/exe", error);
    return error ? fs::path{} : self.parent_path();
}

} // namespace

RecipeLayout RecipeLayout::beside(const fs::path& recipesDir) {
    fs::path recipes = recipesDir.lexically_normal();
    if (recipes.filename().empty() && recipes != recipes.root_path()) {
        recipes = recipes.parent_path(); // "recipes/" -> "recipes"
    }
    // "." and ".." name their directory only by where they are: resolve to find the parent.
    if (recipes.empty() || recipes.filename() == "." || recipes.filename() == "..") {
        recipes = fs::absolute(recipes.empty() ? fs::path(".") : recipes).lexically_normal();
        if (recipes.filename().empty() && recipes != recipes.root_path()) {
            recipes = recipes.parent_path();
        }
    }
    const fs::path base = recipes.parent_path();
    return {recipes, base / "patches", base / "keys"};
}

RecipeLayout RecipeLayout::locate(const fs::path& given) {
    if (!given.empty()) return beside(given);
    if (const char* env = std::getenv("XENBUILD_RECIPES"); env != nullptr && *env != '\0') {
        return beside(env);
    }
    const fs::path installed = executableDir() / ".." / "share" / "xenbuild" / "recipes";
    std::error_code error;
    if (fs::is_directory(installed, error)) return beside(installed);
    return beside(fs::path(util::sourceDir()) / "recipes");
}

} // namespace xenbuild::recipe
