#include "xenbuild/fetch/prefetch.hpp"

#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/store/plan_paths.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/parallel.hpp"

#include <functional>

namespace xenbuild::fetch {

namespace {

struct Task {
    std::size_t plan;
    std::string activity;
    std::function<PrefetchedItem()> run;
};

PrefetchedItem fetchSource(const recipe::SourcePin& pin, const std::string& activity,
                           store::Store& store, const FetchOptions& options,
                           util::ProgressObserver& observer) {
    GitRequest request{pin.name, pin.url, pin.rev, pin.hash, pin.submodules, false, activity};
    auto result = fetchGit(store, request, options, observer);
    return {"source", pin.name, pin.url, result.rev, result.hash, result.path, result.fromStore};
}

PrefetchedItem fetchPatch(const recipe::PatchRef& patch, const std::string& activity,
                          store::Store& store, const FetchOptions& options,
                          util::ProgressObserver& observer) {
    UrlRequest request{
        store::patchStoreName(patch), patch.url, patch.sha256, false, false, false, activity};
    auto result = fetchUrl(store, request, options, observer);
    return {"patch", patch.id, patch.url, "", result.hash, result.path, result.fromStore};
}

std::vector<Task> makeTasks(const std::vector<recipe::BuildPlan>& plans, store::Store& store,
                            const FetchOptions& options, util::ProgressObserver& observer) {
    std::vector<Task> tasks;
    for (std::size_t p = 0; p < plans.size(); ++p) {
        const auto& plan = plans[p];
        for (const auto& pin : plan.sources) {
            const std::string activity = "fetch " + plan.name + ":" + pin.name;
            tasks.push_back(
                {p, activity, [&, activity] {
                     return withContext(
                         "while fetching source " + quote(pin.name) + " of " + quote(plan.name),
                         [&] { return fetchSource(pin, activity, store, options, observer); });
                 }});
        }
        for (const auto& patch : plan.patches) {
            const std::string activity = "fetch " + plan.name + ":" + patch.id;
            tasks.push_back(
                {p, activity, [&, activity] {
                     return withContext(
                         "while fetching patch " + quote(patch.id) + " of " + quote(plan.name),
                         [&] { return fetchPatch(patch, activity, store, options, observer); });
                 }});
        }
    }
    return tasks;
}

// Runs every task (a failure does not stop the others), reporting each failure to the observer
// as it happens; then throws them all: one as it is, several as one FetchError
// "<n> fetches failed:" listing each.
void runAll(const std::vector<Task>& tasks, unsigned jobs, std::vector<PrefetchedItem>& items,
            util::ProgressObserver& observer) {
    const auto failures = util::parallelFor(tasks.size(), jobs, [&](std::size_t i) {
        try {
            items[i] = tasks[i].run();
        } catch (const std::exception& e) {
            observer.onEvent(
                {util::ProgressEvent::Kind::Failed, tasks[i].activity, e.what(), 0, 0, ""});
            throw;
        }
    });
    util::throwFailures<FetchError>(failures, "fetches failed");
}

} // namespace

std::vector<PrefetchResult> prefetchPlans(const std::vector<recipe::BuildPlan>& plans,
                                          store::Store& store, const FetchOptions& options,
                                          util::ProgressObserver& observer) {
    const auto tasks = makeTasks(plans, store, options, observer);
    std::vector<PrefetchedItem> items(tasks.size());
    runAll(tasks, options.jobs, items, observer);
    std::vector<PrefetchResult> results(plans.size());
    for (std::size_t p = 0; p < plans.size(); ++p)
        results[p].plan = plans[p].name;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        results[tasks[i].plan].items.push_back(std::move(items[i]));
    }
    for (std::size_t p = 0; p < plans.size(); ++p) {
        std::vector<std::string> ids;
        for (const auto& item : results[p].items)
            ids.push_back(item.path.filename().string());
        const auto key =
            plans[p].hash == util::Hash{} ? util::sha256(plans[p].name).hex() : plans[p].hash.hex();
        store.addPlanRoot(key, plans[p].name, ids);
    }
    return results;
}

PrefetchResult prefetchPlan(const recipe::BuildPlan& plan, store::Store& store,
                            const FetchOptions& options, util::ProgressObserver& observer) {
    return prefetchPlans({plan}, store, options, observer).front();
}

} // namespace xenbuild::fetch
