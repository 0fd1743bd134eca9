#pragma once
// A plan's patch series as jobs for applySeries: each patch on the tree of the project it
// targets, with the recipe's fuzz allowance. The one place a series is put together (the
// builder, `xenbuild patches check` and `xenbuild update` all apply one).

#include "xenbuild/patch/apply.hpp"
#include "xenbuild/recipe/plan.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xenbuild::patch {

// Where a series applies: the tree of each project and the fetched file of each patch.
struct SeriesTrees {
    std::map<std::string, std::filesystem::path> projects;   // project name -> tree root
    std::map<std::string, std::filesystem::path> patchFiles; // patch id -> patch file
};

// One job per patch, in order. Throws PatchError naming the patch when its project has no tree
// or its file is missing from `trees`.
std::vector<PatchJob> patchSeries(const std::vector<recipe::PatchRef>& patches,
                                  const SeriesTrees& trees);
std::vector<PatchJob> patchSeries(const recipe::BuildPlan& plan, const SeriesTrees& trees);

} // namespace xenbuild::patch
