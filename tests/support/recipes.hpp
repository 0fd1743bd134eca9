#pragma once
// Test helpers for recipe and CLI tests: a copy of the checked-in recipes, and running the built
// binary in a directory holding it (so paths in messages are the stable "recipes/xen/...").

#include "support/files.hpp"
#include "support/golden.hpp"
#include "support/spawn.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::testing {

inline fs::path sourceRecipes() {
    return fs::path(sourceDir()) / "recipes";
}

// <dir>/recipes: a copy of the checked-in recipe directory.
inline fs::path copyRecipes(const fs::path& dir) {
    fs::copy(sourceRecipes(), dir / "recipes", fs::copy_options::recursive);
    return dir / "recipes";
}

using RunResult = Completed;

// Runs the built xenbuild in `cwd` (also its HOME) with a clean environment and a fixed
// XENBUILD_TODAY.
inline RunResult runXenbuild(const std::vector<std::string>& args, const fs::path& cwd,
                             const std::string& today = "2026-11-21") {
    return runXenbuild(cwd, args, {"XENBUILD_TODAY=" + today}, cwd);
}

} // namespace xenbuild::testing
