#include "xenbuild/builder/fetcher.hpp"

#include "xenbuild/fetch/prefetch.hpp"

namespace xenbuild::builder {

StoreFetcher::StoreFetcher(store::Store& store, fetch::FetchOptions options)
    : store_(store), options_(std::move(options)) {}

FetchedInputs StoreFetcher::fetch(const recipe::BuildPlan& plan, util::ProgressObserver& observer) {
    FetchedInputs fetched;
    for (const auto& item : fetch::prefetchPlan(plan, store_, options_, observer).items) {
        auto& into = item.role == "source" ? fetched.sources : fetched.patches;
        into[item.name] = item.path;
    }
    return fetched;
}

} // namespace xenbuild::builder
