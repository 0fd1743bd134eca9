#include "xenbuild/builder/builder.hpp"

#include "xenbuild/builder/substituter.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/plan_paths.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <fstream>

#include <thread>

namespace fs = std::filesystem;

namespace xenbuild::builder {

using Event = util::ProgressEvent;

namespace {

BuildOptions withDefaults(BuildOptions options) {
    if (options.cores == 0) {
        const unsigned found = std::thread::hardware_concurrency();
        options.cores = found == 0 ? 1 : found;
    }
    return options;
}

// The build's lock, held from before the cache check and staging until the outputs are
// committed and recorded: a second process building the same key waits here (and says so),
// then finds the record and reuses the outputs.
store::FileLock lockBuild(store::Store& store, const std::string& planName, const std::string& key,
                          util::ProgressObserver& observer) {
    const fs::path path = store.lockPath("build-" + key);
    if (auto lock = store::FileLock::tryAcquire(path)) return std::move(*lock);
    observer.onEvent({Event::Kind::Message, "build " + planName,
                      "waiting for another process building it (lock " + path.string() + ")", 0, 0,
                      ""});
    return store::FileLock::acquire(path);
}

// Writes the log and record of a substituted build (the build's lock is held): the log of this
// run says where the outputs came from, and the record points at it.
void recordSubstituted(const OutputIndex& index, BuildResult& result, const std::string& key,
                       const std::string& planKey) {
    result.key = key; // the record is this build's, whatever the cache called it
    result.cached = false;
    result.log = index.startLog(result.key, result.plan);
    {
        std::ofstream log(result.log, std::ios::app);
        log << "substituted from " << result.substitutedFrom << " (outputs built elsewhere";
        if (result.finishedAt) log << ", finished " << util::formatTimestamp(*result.finishedAt);
        log << ")\n";
    }
    index.record(result, planKey);
}

} // namespace

Builder::Builder(store::Store& store, sandbox::Sandbox& sandbox, const BuildOptions& options,
                 util::ProgressObserver& observer)
    : Builder(store, sandbox, std::make_unique<StoreFetcher>(store, options.fetch), nullptr,
              identifyToolchain(), options, observer, std::chrono::seconds(1)) {
    if (options_.ccache) requireCompilerCache();
}

Builder::Builder(store::Store& store, sandbox::Sandbox& sandbox, Fetcher& fetcher,
                 Toolchain toolchain, BuildOptions options, util::ProgressObserver& observer,
                 std::chrono::milliseconds progressTick)
    : Builder(store, sandbox, nullptr, &fetcher, std::move(toolchain), std::move(options), observer,
              progressTick) {}

Builder::Builder(store::Store& store, sandbox::Sandbox& sandbox,
                 std::unique_ptr<Fetcher> ownFetcher, Fetcher* fetcher, Toolchain toolchain,
                 BuildOptions options, util::ProgressObserver& observer,
                 std::chrono::milliseconds progressTick)
    : store_(store), options_(withDefaults(std::move(options))), observer_(observer),
      ownFetcher_(std::move(ownFetcher)), toolchain_(std::move(toolchain)),
      keyInputs_(keyInputs(options_)), index_(store),
      executor_(store, sandbox, fetcher != nullptr ? *fetcher : *ownFetcher_, toolchain_, options_,
                observer, progressTick) {}

std::string Builder::buildKey(const recipe::BuildPlan& plan) const {
    return builder::buildKey(plan, toolchain_.hash, keyInputs_);
}

std::vector<OutputInfo> Builder::outputPaths(const recipe::BuildPlan& plan) const {
    return index_.outputPaths(plan, buildKey(plan));
}

BuildResult Builder::build(const recipe::BuildPlan& requested, BuildResult* attempt) {
    if (attempt != nullptr) attempt->plan = requested.name;
    const recipe::BuildPlan plan = effectivePlan(requested, options_.excludedPatches);
    const BuildKeys keys{buildKey(plan), planKey(plan, keyInputs_)};
    if (attempt != nullptr) {
        attempt->key = keys.key;
        attempt->excludedPatches = options_.excludedPatches;
        for (const auto& [name, dir] : options_.sourceOverrides)
            attempt->sourceOverrides[name] = dir;
    }
    return withContext("while building " + quote(plan.name), [&] {
        auto lock = lockBuild(store_, plan.name, keys.key, observer_);
        protectFromGc(plan);
        if (auto cached = index_.result(keys.key); cached && !options_.rebuild) {
            if (index_.outputsPresent(*cached)) {
                cached->cached = true;
                index_.markNewest(*cached, keys.planKey);
                observer_.onEvent(
                    {Event::Kind::Finished, "build " + plan.name, "cached", 0, 0, ""});
                return *cached;
            }
        }
        if (options_.substituter && !options_.rebuild) {
            if (auto substituted = options_.substituter->substitute(
                    store_, plan, keys.key, index_.outputPaths(plan, keys.key), observer_)) {
                recordSubstitution(*substituted, keys);
                observer_.onEvent({Event::Kind::Finished, "build " + plan.name,
                                   "substituted from " + substituted->substitutedFrom, 0, 0, ""});
                return *substituted;
            }
        }
        return executor_.run(plan, keys, attempt);
    });
}

void Builder::recordSubstitution(BuildResult& result, const BuildKeys& keys) {
    recordSubstituted(index_, result, keys.key, keys.planKey);
}

void Builder::protectFromGc(const recipe::BuildPlan& plan) {
    std::vector<std::string> ids;
    for (const auto& entry : store::planEntries(plan, store_))
        ids.push_back(entry.id);
    for (const auto& output : outputPaths(plan))
        ids.push_back(output.path.filename().string());
    std::lock_guard guard(tempRootsMutex_);
    if (!tempRoots_) tempRoots_ = std::make_unique<store::TempRoots>(store_);
    tempRoots_->add(ids);
}

std::optional<BuildResult> findNewestResult(const store::Store& store,
                                            const recipe::BuildPlan& plan,
                                            const BuildOptions& options) {
    const KeyInputs inputs = keyInputs(options);
    const OutputIndex index(store);
    if (auto newest = index.newest(planKey(plan, inputs))) return newest;
    // A record written before the index: found by the build key, if there is a toolchain.
    try {
        return index.result(buildKey(plan, identifyToolchain().hash, inputs));
    } catch (const BuildError&) {
        return std::nullopt;
    }
}

std::optional<BuildResult> findOrSubstitute(store::Store& store, const recipe::BuildPlan& plan,
                                            const BuildOptions& options,
                                            util::ProgressObserver& observer) {
    if (auto newest = findNewestResult(store, plan, options)) {
        newest->cached = true;
        return newest;
    }
    if (!options.substituter) return std::nullopt;
    const KeyInputs inputs = keyInputs(options);
    const recipe::BuildPlan effective = effectivePlan(plan, options.excludedPatches);
    // The build key needs the host toolchain's identity (what a build here would be).
    const BuildKeys keys{buildKey(effective, identifyToolchain().hash, inputs),
                         planKey(effective, inputs)};
    const OutputIndex index(store);
    auto lock = lockBuild(store, effective.name, keys.key, observer);
    if (auto result = index.result(keys.key); result && index.outputsPresent(*result)) {
        result->cached = true; // another process substituted it meanwhile
        return result;
    }
    auto substituted = options.substituter->substitute(
        store, effective, keys.key, index.outputPaths(effective, keys.key), observer);
    if (substituted) {
        recordSubstituted(index, *substituted, keys.key, keys.planKey);
        observer.onEvent({Event::Kind::Finished, "build " + effective.name,
                          "substituted from " + substituted->substitutedFrom, 0, 0, ""});
    }
    return substituted;
}

PlannedOutputs plannedOutputs(const store::Store& store, const recipe::BuildPlan& plan,
                              const BuildOptions& options) {
    const KeyInputs inputs = keyInputs(options);
    const OutputIndex index(store);
    if (const auto newest = index.newest(planKey(plan, inputs))) {
        PlannedOutputs planned; // in plan order (a record lists them by name)
        for (const auto& name : plan.outputs) {
            if (const auto* output = newest->output(name)) planned.outputs.push_back(*output);
        }
        return planned;
    }
    try {
        return {index.outputPaths(plan, buildKey(plan, identifyToolchain().hash, inputs)), ""};
    } catch (const BuildError& error) {
        return {{}, error.what()};
    }
}

void linkResults(const BuildResult& result, const fs::path& base, store::Store& store) {
    for (const auto& output : result.outputs) {
        const fs::path link =
            output.name == "out" ? base : fs::path(base.string() + "-" + output.name);
        util::replaceWithSymlink(link, output.path); // an older link is replaced atomically
        store.addRoot(util::sha256(fs::absolute(link).string()).nix32().substr(0, 16) + "-" +
                          link.filename().string(),
                      fs::absolute(link));
    }
}

} // namespace xenbuild::builder
