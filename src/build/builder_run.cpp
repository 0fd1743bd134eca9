// Builder::runBuild: the steps of one real build, in order.

#include "checks.hpp"
#include "install_layout.hpp"
#include "record.hpp"
#include "stage.hpp"
#include "xenbuild/build/builder.hpp"
#include "xenbuild/build/pe.hpp"
#include "xenbuild/fetch/prefetch.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fault_point.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/paths.hpp"

#include <charconv>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>

namespace fs = std::filesystem;

namespace xenbuild::build {

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

std::int64_t sourceDateEpoch(const recipe::BuildPlan& plan) {
    const auto found = plan.env.find("SOURCE_DATE_EPOCH");
    if (found == plan.env.end()) return 0;
    const std::string& text = found->second;
    std::int64_t seconds = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc{} || end != text.data() + text.size()) {
        throw BuildError("the plan's SOURCE_DATE_EPOCH " + quote(text) +
                         " is not a number of seconds");
    }
    return seconds;
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

// Prefetches what the plan pins, except sources replaced by an override.
std::map<std::string, fs::path> prefetch(const recipe::BuildPlan& plan, store::Store& store,
                                         const BuildOptions& options,
                                         util::ProgressObserver& observer) {
    recipe::BuildPlan pinned = plan;
    std::erase_if(pinned.sources, [&](const recipe::SourcePin& source) {
        return options.sourceOverrides.count(source.name) != 0;
    });
    std::map<std::string, fs::path> fetched;
    FetchFaultPoints points(observer);
    for (const auto& item : fetch::prefetchPlan(pinned, store, options.fetch, points).items) {
        fetched[item.role + ":" + item.name] = item.path;
    }
    for (const auto& [name, dir] : options.sourceOverrides)
        fetched["source:" + name] = dir;
    return fetched;
}

// Stages every source; returns project name -> its root in the build directory. Tarball
// sources are staged as trees first (so patches can apply) and packed by packTarballs().
std::map<std::string, fs::path> stage(const recipe::BuildPlan& plan, const Paths& paths,
                                      const std::map<std::string, fs::path>& fetched) {
    std::map<std::string, fs::path> roots;
    for (const auto& source : plan.sources) {
        const fs::path from = fetched.at("source:" + source.name);
        fs::path to = source.stageAs == "tarball" ? paths.buildDir / ("tarball-" + source.name)
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
        if (source.stageAs != "tarball") continue;
        const fs::path file = confinedStagePath(paths.srcDir, source);
        detail::createDirectoriesWithin(paths.srcDir, fs::path(source.stageAt).parent_path());
        detail::writeTarball(roots.at(source.name), source.name, file, sourceDateEpoch(plan));
    }
}

std::vector<patch::PatchReport> applyPatches(const recipe::BuildPlan& plan,
                                             const std::map<std::string, fs::path>& roots,
                                             const std::map<std::string, fs::path>& fetched,
                                             bool skipInapplicable, BuildResult& result) {
    std::vector<patch::PatchJob> jobs;
    for (const auto& ref : plan.patches) {
        const auto root = roots.find(ref.project);
        if (root == roots.end()) {
            throw PatchError("patch " + quote(ref.id) + " targets " + quote(ref.project) +
                             ", which this build does not stage");
        }
        jobs.push_back({ref.id, fetched.at("patch:" + ref.id), root->second, ref.fuzz});
    }
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

} // namespace

BuildResult Builder::runBuild(const recipe::BuildPlan& plan, const std::string& key) {
    const auto started = std::chrono::steady_clock::now();
    const std::string activity = "build " + plan.name;
    auto step = [&](const std::string& text) {
        observer_.onEvent({Event::Kind::Started, activity, text, 0, 0, ""});
    };
    BuildResult result;
    result.plan = plan.name;
    result.key = key;
    result.sandboxMode = sandbox::toString(sandbox_.mode());
    result.log = detail::logPath(store_, key);
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
    fs::create_directories(result.log.parent_path());
    std::ofstream(result.log, std::ios::trunc)
        << "xenbuild: building " << plan.name << " (key " << key << ")\n";
    detail::linkLatestLog(store_, key, plan.name, result.log);
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
    step("fetching sources");
    const auto fetched = withContext("while fetching the sources of " + quote(plan.name),
                                     [&] { return prefetch(plan, store_, options_, observer_); });
    step("staging sources");
    const auto roots = stage(plan, paths, fetched);
    util::faultPoint("build:staged");
    step("applying " + std::to_string(plan.patches.size()) + " patches");
    for (const auto& report : applyPatches(
             plan, roots, fetched,
             options_.skipInapplicablePatches && !options_.sourceOverrides.empty(), result))
        result.patches.push_back({.id = report.id, .status = report.summary()});
    util::faultPoint("build:patched");
    packTarballs(plan, paths, roots);
    util::faultPoint("build:packed");

    std::map<std::string, fs::path> finalPaths;
    for (const auto& output : outputPaths(plan))
        finalPaths[output.name] = output.path;
    runCommands(plan, paths.srcDir, finalPaths, result, activity);
    util::faultPoint("build:made");

    step("installing outputs");
    std::map<std::string, fs::path> staged;
    for (const auto& [name, path] : finalPaths)
        staged[name] = paths.stagedOut / name;
    detail::splitInstallRoot(paths.installRoot, finalPaths, staged);
    util::faultPoint("build:installed");
    runChecks(plan, staged, finalPaths, result);
    util::faultPoint("build:checked");
    // The build tree goes before the outputs are flushed to disk: its gigabyte of object files
    // would otherwise be written back by that flush for nothing.
    removeIfExists(paths.buildDir);
    util::faultPoint("build:cleaned");
    commitOutputs(plan, key, staged, finalPaths, result);
    util::faultPoint("build:committed");

    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    detail::writeRecord(store_, result);
    util::faultPoint("build:recorded");
    succeeded = true;
    observer_.onEvent({Event::Kind::Finished, activity, "built " + plan.name, 0, 0, ""});
    return result;
}

} // namespace xenbuild::build
