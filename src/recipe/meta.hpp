#pragma once
// Internal to evaluation: the human-facing meta of a plan (description and longDescription
// assembled from the builder's fragments, with the advisory list; security support as of a
// given day).

#include "eval_context.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/recipe/recipe_set.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace xenbuild::recipe::detail {

Meta renderMeta(const RecipeSet& set, const BranchFile& branch, const EvalContext& ctx,
                const std::vector<PatchRef>& patches, const std::chrono::year_month_day& today);

// Supported when `today` is on or before the security-support end date.
SecuritySupport securitySupportStatus(const SupportDates& support,
                                      const std::chrono::year_month_day& today);

} // namespace xenbuild::recipe::detail
