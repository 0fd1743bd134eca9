#pragma once
// Where the recipe data lives: the recipes, the local patches and the trust anchors. Resolved
// once, with normalised paths, and passed to everything that reads them (evaluation,
// update, xsa import, signature checks), so that no two readers derive a directory differently
// (`recipes/` and `recipes` are the same layout).

#include <filesystem>

namespace xenbuild::recipe {

struct RecipeLayout {
    std::filesystem::path recipes; // holds the package directory: xen/*.json
    std::filesystem::path patches; // local patches: <patches>/<branch>/NNNN-*.patch
    std::filesystem::path keys;    // trust anchors, e.g. xen.org-code-signing.asc

    // The layout of a checkout or an installation: `recipesDir` with patches/ and keys/ beside
    // it. Every path is lexically normal, without a trailing slash; relative paths stay relative
    // (messages then name them as given), except "." and "..", which are made absolute.
    static RecipeLayout beside(const std::filesystem::path& recipesDir);

    // The recipe directory `given` (a setting, e.g. the command line's), else
    // $XENBUILD_RECIPES, else the installed share/xenbuild/recipes next to the running
    // executable, else the checked-out source tree's recipes/; laid out as beside().
    static RecipeLayout locate(const std::filesystem::path& given);
};

} // namespace xenbuild::recipe
