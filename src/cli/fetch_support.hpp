#pragma once
// What the fetching commands (prefetch, store, and later build and update) share: opening the
// store and building FetchOptions from the global options, rendering progress events, and
// prefetching evaluated plans. `xenbuild prefetch PKG...` plugs the evaluator in by turning
// names into BuildPlans and calling runPrefetchPlans().

#include "cli/context.hpp"
#include "cli/render.hpp"
#include "xenbuild/fetch/options.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/progress.hpp"

#include <memory>
#include <vector>

namespace xenbuild::cli {

// --store, else $XENBUILD_STORE, else the XDG cache directory. `checkContent` (--check):
// re-hash every entry used instead of comparing its fingerprint.
store::Store openStore(const GlobalOptions& global, bool checkContent = false);

// Mirrors from the config file (Mirrors::defaultConfigFile(), if it exists) then --mirror
// (command-line rules are added last; the longest matching prefix wins), --offline and
// --fetch-limit.
fetch::FetchOptions fetchOptions(const GlobalOptions& global);

// Prefetches every source and patch of `plans` and prints what was fetched (JSON with --json).
void runPrefetchPlans(const std::vector<recipe::BuildPlan>& plans, const GlobalOptions& global,
                      bool json, bool checkContent = false);

} // namespace xenbuild::cli
