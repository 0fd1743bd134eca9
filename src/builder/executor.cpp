// Executor::run: the steps of one build, in order.

#include "xenbuild/builder/executor.hpp"

#include "install_layout.hpp"
#include "stage.hpp"
#include "xenbuild/builder/build_key.hpp"
#include "xenbuild/patch/apply.hpp"
#include "xenbuild/patch/series.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fault_point.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/paths.hpp"

#include <chrono>
#include <mutex>
#include <set>

namespace fs = std::filesystem;

namespace xenbuild::builder {

using Event = util::ProgressEvent;

namespace {

struct Paths {
    fs::path buildDir;    // <store>/.tmp/build-<key>: same path every time for reproducibility
    fs::path srcDir;      // the Xen tree
    fs::path installRoot; // DESTDIR of `make dist-*`
    fs::path stagedOut;   // <store>/.tmp/build-<key>~outputs: outputs before they enter the store
};

void removeIfExists(const fs::path& path) {
    std::error_code error;
    if (!fs::exists(fs::symlink_status(path, error))) return;
    util::removeReadOnly(path);
}

// Where `source` goes in the Xen tree at `srcDir` (srcDir itself for an empty stageAt). The
// recipe loader refuses a stageAt that is not a plain relative path; this refuses it again for a
// plan from elsewhere, and refuses a path that a symbolic link in the tree would carry outside.
fs::path confinedStagePath(const fs::path& srcDir, const recipe::SourcePin& source) {
    if (const auto problem = util::confinementProblem(srcDir, source.stageAt); !problem.empty()) {
        throw BuildError("source " + quote(source.name) + " cannot be staged at " +
                         quote(source.stageAt) + ": the path " + problem);
    }
    return source.stageAt.empty() ? srcDir : srcDir / source.stageAt;
}

// Passes fetch events on and offers the start, the first progress report and the end of each
// fetch as fault points "fetch:<source or patch>:started|files|done" (util/fault_point.hpp).
class FetchFaultPoints final : public util::ProgressObserver {
  public:
    explicit FetchFaultPoints(util::ProgressObserver& next) : next_(next) {}

    void onEvent(const Event& event) override {
        next_.onEvent(event);
        const auto colon = event.activity.rfind(':'); // "fetch <plan>:<name>"
        const std::string point = "fetch:" + event.activity.substr(colon + 1);
        if (event.kind == Event::Kind::Started) {
            util::faultPoint(point + ":started");
        } else if (event.kind == Event::Kind::Finished) {
            util::faultPoint(point + ":done");
        } else if (event.kind == Event::Kind::Progress && firstProgress(event.activity)) {
            util::faultPoint(point + ":" + event.unit);
        }
    }

  private:
    bool firstProgress(const std::string& activity) {
        std::lock_guard guard(mutex_);
        return reported_.insert(activity).second;
    }

    util::ProgressObserver& next_;
    std::mutex mutex_;
    std::set<std::string> reported_;
};

// Stages every source; returns project name -> its root in the build directory. Tarball
// sources are staged as trees first (so patches can apply) and packed by packTarballs().
std::map<std::string, fs::path> stage(const recipe::BuildPlan& plan, const Paths& paths,
                                      const FetchedInputs& fetched) {
    std::map<std::string, fs::path> roots;
    for (const auto& source : plan.sources) {
        const fs::path from = fetched.sources.at(source.name);
        fs::path to = source.stageAs == recipe::StageAs::Tarball
                          ? paths.buildDir / ("tarball-" + source.name)
                          : confinedStagePath(paths.srcDir, source);
        if (&source != &plan.sources.front() && to == paths.srcDir) {
            throw BuildError("source " + quote(source.name) + " has no staging location");
        }
        // Parents first, refusing links, so neither the removal nor the copy leaves the tree.
        if (to != paths.srcDir) {
            detail::createDirectoriesWithin(paths.buildDir,
                                            to.parent_path().lexically_relative(paths.buildDir));
        }
        removeIfExists(to); // a stale checkout shipped inside the xen tree
        detail::copyTree(from, to);
        roots[source.name] = to;
        util::faultPoint("stage:" + source.name);
    }
    return roots;
}

void packTarballs(const recipe::BuildPlan& plan, const Paths& paths,
                  const std::map<std::string, fs::path>& roots) {
    for (const auto& source : plan.sources) {
        if (source.stageAs != recipe::StageAs::Tarball) continue;
        const fs::path file = confinedStagePath(paths.srcDir, source);
        detail::createDirectoriesWithin(paths.srcDir, fs::path(source.stageAt).parent_path());
        detail::writeTarball(roots.at(source.name), source.name, file, sourceDateEpoch(plan));
    }
}

std::vector<patch::PatchReport> applyPatches(const recipe::BuildPlan& plan,
                                             const std::map<std::string, fs::path>& roots,
                                             const FetchedInputs& fetched, bool skipInapplicable,
                                             BuildResult& result) {
    const auto jobs = patch::patchSeries(plan, {.projects = roots, .patchFiles = fetched.patches});
    patch::SeriesOptions options;
    options.stopAtFailure = !skipInapplicable;
    auto reports = patch::applySeries(jobs, options);
    for (const auto& report : reports) {
        if (report.status == patch::PatchStatus::Failed ||
            report.status == patch::PatchStatus::AlreadyApplied) {
            result.skippedPatches.push_back(report.id + " (" + report.summary() + ")");
        }
    }
    return reports;
}

// Times the steps of a build into BuildResult::stepSeconds (configure and make time
// themselves).
class StepTimes {
  public:
    explicit StepTimes(BuildResult& result) : result_(result) {}
    ~StepTimes() { stop(); }
    void start(std::string step) {
        stop();
        result_.failedStep = step; // until the build succeeds: the step running
        step_ = std::move(step);
        started_ = std::chrono::steady_clock::now();
    }
    void stop() {
        if (step_.empty()) return;
        result_.stepSeconds[step_] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        step_.clear();
    }

  private:
    BuildResult& result_;
    std::string step_;
    std::chrono::steady_clock::time_point started_;
};

} // namespace

Executor::Executor(store::Store& store, sandbox::Sandbox& sandbox, Fetcher& fetcher,
                   Toolchain toolchain, BuildOptions options, util::ProgressObserver& observer,
                   std::chrono::milliseconds progressTick)
    : store_(store), sandbox_(sandbox), fetcher_(fetcher), toolchain_(std::move(toolchain)),
      options_(std::move(options)), observer_(observer), progressTick_(progressTick),
      index_(store) {}

void Executor::checkCancelled(const std::string& step) const {
    if (options_.cancel != nullptr && options_.cancel->load()) {
        throw BuildError("interrupted before " + step);
    }
}

// Fetches what the plan pins, except sources replaced by an override.
FetchedInputs Executor::fetchInputs(const recipe::BuildPlan& plan) {
    recipe::BuildPlan pinned = plan;
    std::erase_if(pinned.sources, [&](const recipe::SourcePin& source) {
        return options_.sourceOverrides.count(source.name) != 0;
    });
    FetchFaultPoints points(observer_);
    FetchedInputs fetched = fetcher_.fetch(pinned, points);
    for (const auto& [name, dir] : options_.sourceOverrides)
        fetched.sources[name] = dir;
    return fetched;
}

BuildResult Executor::run(const recipe::BuildPlan& plan, const BuildKeys& keys,
                          BuildResult* attempt) {
    BuildResult result;
    try {
        runSteps(plan, keys, result);
    } catch (...) {
        if (attempt != nullptr) *attempt = result;
        throw;
    }
    return result;
}

void Executor::runSteps(const recipe::BuildPlan& plan, const BuildKeys& keys, BuildResult& result) {
    const std::string& key = keys.key;
    const auto started = std::chrono::steady_clock::now();
    const auto now = [] {
        return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    };
    const std::string activity = "build " + plan.name;
    // The package's newest build, read before this one replaces it: expected step times.
    const auto previous = index_.newestOfPackage(plan.name);
    StepTimes times(result);
    auto step = [&](const std::string& name, const std::string& text) {
        checkCancelled(text);
        times.start(name);
        observer_.onEvent({Event::Kind::Started, activity, text, 0, 0, ""});
    };
    result.plan = plan.name;
    result.key = key;
    result.toolchain = toolchain_;
    result.startedAt = now();
    result.sandboxMode = sandbox::toString(sandbox_.mode());
    result.log = index_.logPath(key);
    for (const auto& [name, dir] : options_.sourceOverrides)
        result.sourceOverrides[name] = dir;
    result.excludedPatches = options_.excludedPatches;

    Paths paths;
    paths.buildDir = store_.dir() / ".tmp" / ("build-" + key);
    paths.srcDir = paths.buildDir / plan.sources.at(0).name; // the tree: the first source
    paths.installRoot = paths.srcDir / "dist" / "install";
    paths.stagedOut = store_.dir() / ".tmp" / ("build-" + key + "~outputs");
    removeIfExists(paths.buildDir);
    removeIfExists(paths.stagedOut);
    fs::create_directories(paths.buildDir);
    index_.startLog(key, plan.name);
    bool succeeded = false;
    struct Cleanup {
        const Paths& paths;
        const bool& succeeded;
        bool keep;
        ~Cleanup() {
            if (!succeeded && keep) return;
            std::error_code ignored;
            try {
                removeIfExists(paths.buildDir);
                removeIfExists(paths.stagedOut);
            } catch (...) {
            }
        }
    } cleanup{paths, succeeded, options_.keepFailed};

    // Fault points (util/fault_point.hpp) name the step that comes next or was just done.
    util::faultPoint("build:fetch");
    step("fetch", "fetching sources");
    const auto fetched = withContext("while fetching the sources of " + quote(plan.name),
                                     [&] { return fetchInputs(plan); });
    step("stage", "staging sources");
    const auto roots = stage(plan, paths, fetched);
    util::faultPoint("build:staged");
    step("patch", "applying " + std::to_string(plan.patches.size()) + " patches");
    for (const auto& report : applyPatches(
             plan, roots, fetched,
             options_.skipInapplicablePatches && !options_.sourceOverrides.empty(), result))
        result.patches.push_back({.id = report.id, .status = report.summary()});
    util::faultPoint("build:patched");
    packTarballs(plan, paths, roots);
    util::faultPoint("build:packed");
    times.stop();

    std::map<std::string, fs::path> finalPaths;
    for (const auto& output : index_.outputPaths(plan, key))
        finalPaths[output.name] = output.path;
    runCommands(plan, paths.srcDir, finalPaths, result, activity, previous ? &*previous : nullptr);
    util::faultPoint("build:made");

    step("install", "installing outputs");
    std::map<std::string, fs::path> staged;
    for (const auto& [name, path] : finalPaths)
        staged[name] = paths.stagedOut / name;
    detail::splitInstallRoot(paths.installRoot, plan.outputs, plan.outputPaths, staged);
    util::faultPoint("build:installed");
    times.start("check");
    runChecks(plan, staged, roots, paths.buildDir, result);
    util::faultPoint("build:checked");
    checkCancelled("committing the outputs");
    times.start("commit");
    // The build tree goes before the outputs are flushed to disk: its gigabyte of object files
    // would otherwise be written back by that flush for nothing.
    removeIfExists(paths.buildDir);
    util::faultPoint("build:cleaned");
    commitOutputs(plan, key, staged, finalPaths, result);
    util::faultPoint("build:committed");
    times.stop();
    result.failedStep.clear();

    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    result.finishedAt = now();
    index_.record(result, keys.planKey);
    util::faultPoint("build:recorded");
    succeeded = true;
    observer_.onEvent({Event::Kind::Finished, activity, "built " + plan.name, 0, 0, ""});
}

} // namespace xenbuild::builder
