#include "xenbuild/builder/fetcher.hpp"

#include "xenbuild/fetch/prefetch.hpp"

namespace xenbuild::builder {

StoreFetcher::StoreFetcher(store::Store& store, fetch::FetchOptions options)
    : store_(store), options_(std::move(options)) {}

FetchedInputs StoreFetcher::fetch(const recipe::BuildPlan& plan, util::ProgressObserver& observer) {
    FetchedInputs fetched;
    const auto result = fetch::prefetchPlan(plan, store_, options_, observer);
    for (const auto& source : plan.sources)
        fetched.sources[source.name] = result.sourcePath(source.name);
    for (const auto& ref : plan.patches)
        fetched.patches[ref.id] = result.patchPath(ref.id);
    return fetched;
}

} // namespace xenbuild::builder
