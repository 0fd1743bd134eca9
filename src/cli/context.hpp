#pragma once
// What every subcommand shares: the global options and where the recipes are.

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::cli {

struct GlobalOptions {
    std::filesystem::path recipesDir;     // resolved by resolveRecipesDir() when left empty
    int verbosity = 0;                    // -v (repeatable)
    bool quiet = false;                   // -q
    std::filesystem::path storeDir;       // --store / XENBUILD_STORE, empty: default
    std::vector<std::string> mirrors;     // --mirror FROM=TO
    bool offline = false;                 // --offline
    std::vector<std::string> fetchLimits; // --fetch-limit NAME=VALUE
};

// --recipes, else $XENBUILD_RECIPES, else the installed share/xenbuild/recipes next to the
// executable, else the checked-out source tree's recipes/.
std::filesystem::path resolveRecipesDir(const GlobalOptions& options);

} // namespace xenbuild::cli
