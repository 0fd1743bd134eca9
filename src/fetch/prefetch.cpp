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
    const GitRequest request{.name = pin.name,
                             .url = pin.url,
                             .rev = pin.rev,
                             .hash = pin.hash,
                             .submodules = pin.submodules,
                             .activity = activity};
    auto result = fetchGit(store, request, options, observer);
    return {.role = recipe::InputRole::Source,
            .name = pin.name,
            .url = pin.url,
            .rev = result.rev,
            .hash = result.hash,
            .path = result.path,
            .fromStore = result.fromStore};
}

PrefetchedItem fetchPatch(const recipe::PatchRef& patch, const std::string& activity,
                          store::Store& store, const FetchOptions& options,
                          util::ProgressObserver& observer) {
    const UrlRequest request{.name = store::patchStoreName(patch),
                             .url = patch.url,
                             .hash = patch.sha256,
                             .stripTopLevel = false,
                             .activity = activity};
    auto result = fetchUrl(store, request, options, observer);
    return {.role = recipe::InputRole::Patch,
            .name = patch.id,
            .url = patch.url,
            .hash = result.hash,
            .path = result.path,
            .fromStore = result.fromStore};
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

namespace {

const std::filesystem::path& itemPath(const PrefetchResult& result, recipe::InputRole role,
                                      const std::string& name) {
    for (const auto& item : result.items) {
        if (item.role == role && item.name == name) return item.path;
    }
    throw FetchError("no " + std::string(recipe::toString(role)) + " " + quote(name) +
                     " was fetched for " + quote(result.plan));
}

} // namespace

const std::filesystem::path& PrefetchResult::sourcePath(const std::string& name) const {
    return itemPath(*this, recipe::InputRole::Source, name);
}

const std::filesystem::path& PrefetchResult::patchPath(const std::string& id) const {
    return itemPath(*this, recipe::InputRole::Patch, id);
}

PrefetchResult prefetchPlan(const recipe::BuildPlan& plan, store::Store& store,
                            const FetchOptions& options, util::ProgressObserver& observer) {
    return prefetchPlans({plan}, store, options, observer).front();
}

} // namespace xenbuild::fetch
