#pragma once
// Which upstream patches of a branch the new release already contains. Private to update.

#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/update/updater.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace xenbuild::update::detail {

// Fetches the upstream patches that apply to the branch (patches.json) whose project tree is in
// `trees` (project -> the prefetched new tree) and applies them in a dry run. Patches that
// apply in reverse are reported in report.alreadyApplied (and, with `drop`, in report.dropped:
// the caller marks them notApplicable to the branch); patches that no longer apply are
// reported in report.failing and kept.
void checkUpstreamPatches(const recipe::RecipeSet& set, const recipe::BranchFile& branch,
                          const std::map<std::string, std::filesystem::path>& trees, bool drop,
                          BranchReport& report, const UpdateContext& context);

} // namespace xenbuild::update::detail
