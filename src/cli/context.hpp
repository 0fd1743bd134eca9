#pragma once
// What every subcommand shares: the global options and where the recipes are.

#include "xenbuild/recipe/layout.hpp"
#include "xenbuild/util/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::cli {

struct GlobalOptions {
    std::filesystem::path recipesDir;     // --recipes; empty: RecipeLayout::locate's default
    int verbosity = 0;                    // -v (repeatable)
    bool quiet = false;                   // -q
    std::filesystem::path storeDir;       // --store / XENBUILD_STORE, empty: default
    std::vector<std::string> mirrors;     // --mirror FROM=TO
    bool offline = false;                 // --offline
    std::vector<std::string> fetchLimits; // --fetch-limit NAME=VALUE
};

// --recipes, else $XENBUILD_RECIPES, else the installed share/xenbuild/recipes next to the
// executable, else the checked-out source tree's recipes/; with patches/ and keys/ beside it.
recipe::RecipeLayout recipeLayout(const GlobalOptions& options);

// How the command line spells the settings library messages mention ("--fetch-limit"): the
// SettingNames for Error::describe() and the texts the library renders.
std::string_view optionName(Setting setting);

} // namespace xenbuild::cli
