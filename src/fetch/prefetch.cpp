#include "xenbuild/fetch/prefetch.hpp"

#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/store/plan_paths.hpp"
#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <thread>

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

[[noreturn]] void throwCollected(const std::vector<std::exception_ptr>& errors) {
    std::vector<std::exception_ptr> failed;
    std::copy_if(errors.begin(), errors.end(), std::back_inserter(failed),
                 [](const std::exception_ptr& e) { return e != nullptr; });
    if (failed.size() == 1) std::rethrow_exception(failed.front());
    std::string message = std::to_string(failed.size()) + " fetches failed:";
    for (const auto& error : failed) {
        try {
            std::rethrow_exception(error);
        } catch (const Error& e) {
            message += "\n- " + e.describeMentions();
        } catch (const std::exception& e) {
            message += "\n- " + std::string(e.what());
        }
    }
    throw FetchError(message);
}

void runPool(const std::vector<Task>& tasks, unsigned jobs, std::vector<PrefetchedItem>& items,
             std::vector<std::exception_ptr>& errors, util::ProgressObserver& observer) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i = next++; i < tasks.size(); i = next++) {
            try {
                items[i] = tasks[i].run();
            } catch (const std::exception& e) {
                errors[i] = std::current_exception();
                observer.onEvent(
                    {util::ProgressEvent::Kind::Failed, tasks[i].activity, e.what(), 0, 0, ""});
            }
        }
    };
    const std::size_t count = std::min<std::size_t>(std::max(1U, jobs), tasks.size());
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < count; ++t)
        threads.emplace_back(worker);
    for (auto& thread : threads)
        thread.join();
}

} // namespace

std::vector<PrefetchResult> prefetchPlans(const std::vector<recipe::BuildPlan>& plans,
                                          store::Store& store, const FetchOptions& options,
                                          util::ProgressObserver& observer) {
    const auto tasks = makeTasks(plans, store, options, observer);
    std::vector<PrefetchedItem> items(tasks.size());
    std::vector<std::exception_ptr> errors(tasks.size());
    runPool(tasks, options.jobs, items, errors, observer);
    if (std::any_of(errors.begin(), errors.end(), [](auto& e) { return e != nullptr; })) {
        throwCollected(errors);
    }
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
