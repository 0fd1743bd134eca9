#pragma once
// Prefetching every source and patch of build plans into the store, in parallel (a small pool
// of threads), reporting progress events. Entries already in the store are served from it
// without touching the network or the repositories.

#include "xenbuild/fetch/options.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/progress.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::fetch {

struct PrefetchedItem {
    recipe::InputRole role = recipe::InputRole::Source;
    std::string name; // source name or patch id
    std::string url;
    std::string rev;
    util::Hash hash;
    std::filesystem::path path;
    bool fromStore = false;
};

struct PrefetchResult {
    std::string plan;                  // plan name
    std::vector<PrefetchedItem> items; // sources in plan order, then patches

    // The store path of the tree of source `name` / of the file of patch `id`. Throws FetchError
    // naming the plan when it was not fetched.
    const std::filesystem::path& sourcePath(const std::string& name) const;
    const std::filesystem::path& patchPath(const std::string& id) const;
};

// Fetches everything; when some fetches fail the others still complete, then the error is
// thrown (the single error itself, or a FetchError listing all of them). Records a plan gc root.
std::vector<PrefetchResult> prefetchPlans(const std::vector<recipe::BuildPlan>& plans,
                                          store::Store& store, const FetchOptions& options,
                                          util::ProgressObserver& observer);
PrefetchResult prefetchPlan(const recipe::BuildPlan& plan, store::Store& store,
                            const FetchOptions& options, util::ProgressObserver& observer);

} // namespace xenbuild::fetch
