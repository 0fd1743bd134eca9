#pragma once
// Building a plan: prefetch its sources, stage them in a fresh build directory where Xen's
// makefiles find them, apply the patch series, run configure and make in the sandbox, move the
// installed files into the plan's outputs in the store, and check them.
//
// Outputs are input-addressed: their store ids derive from the build key (plan hash + host
// toolchain identity + any source override), so they are known before building, baked into
// the configure prefixes, and a second build of the same key is a cache hit. Xen installs into
// <build>/dist/install/<output path> (DESTDIR); only complete, checked outputs are moved into
// the store, atomically.

#include "xenbuild/build/toolchain.hpp"
#include "xenbuild/fetch/options.hpp"
#include "xenbuild/patch/apply.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/sandbox/sandbox.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/store/temp_roots.hpp"
#include "xenbuild/util/progress.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::build {

struct BuildOptions {
    unsigned cores = 0;      // make -jN; 0: the number of online CPUs
    bool keepFailed = false; // keep the build directory of a failed build
    bool rebuild = false;    // build again and report output files that differ
    // Source name -> local directory used instead of the pinned source (recorded in the
    // result and the build key; e.g. Debian's Xen tree for the real-Xen test).
    std::map<std::string, std::filesystem::path> sourceOverrides;
    // Upstream patches that do not apply to an overridden tree are skipped (and reported)
    // instead of failing the build. Only with sourceOverrides: pinned trees must take them.
    bool skipInapplicablePatches = false;
    // Upstream patch ids left out of the series ("all" for every upstream patch), e.g. when
    // they cannot be fetched offline and the overridden tree already carries the fixes.
    // Recorded in the result and the build key.
    std::vector<std::string> excludedPatches;
    std::chrono::seconds timeout{0};           // per command; 0: none
    const std::atomic<bool>* cancel = nullptr; // set by the CLI's SIGINT handler
    fetch::FetchOptions fetch;
};

struct OutputInfo {
    std::string name;           // "out", "boot", ...
    std::filesystem::path path; // <store>/<id>
};

struct CheckResult {
    std::string kind;
    bool passed = false;
    std::string detail; // what was found, or why it failed
};

// How one patch of the series applied, as the build record keeps it: "clean", "offset +12",
// "fuzz 2", "already applied". A string, so that a cached result reports what the build saw.
struct AppliedPatch {
    std::string id;
    std::string status;
};

struct BuildResult {
    std::string plan;                // plan name
    std::string key;                 // build key (nix32)
    bool cached = false;             // outputs were already in the store
    std::string sandboxMode;         // "namespaces" or "off"
    std::vector<OutputInfo> outputs; // plan order
    std::vector<CheckResult> checks;
    std::vector<AppliedPatch> patches;
    std::vector<std::string> skippedPatches;            // with skipInapplicablePatches
    std::vector<std::string> excludedPatches;           // left out on request
    std::map<std::string, std::string> sourceOverrides; // name -> directory
    std::filesystem::path log;
    double seconds = 0;
    std::vector<std::string> differingFiles; // --rebuild: output files whose content changed

    const OutputInfo* output(const std::string& name) const;
    nlohmann::json toJson() const;
};

class Builder {
  public:
    Builder(store::Store& store, sandbox::Sandbox& sandbox, BuildOptions options,
            util::ProgressObserver& observer);

    // The key and output paths a plan builds to (no building, no fetching).
    std::string buildKey(const recipe::BuildPlan& plan) const;
    std::vector<OutputInfo> outputPaths(const recipe::BuildPlan& plan) const;

    // Builds (or finds cached) outputs. Throws BuildError, FetchError, PatchError,
    // SandboxError with context; on failure nothing is added to the store.
    // One build of a key runs at a time across processes (the others wait, then reuse it), and
    // the plan's sources, patches and outputs are temporary gc roots from before they are
    // fetched until this Builder is destroyed (so the CLI can link the results first).
    BuildResult build(const recipe::BuildPlan& requested);

    // The result record of the newest build of `plan` with this toolchain, if any.
    std::optional<BuildResult> lastResult(const recipe::BuildPlan& plan) const;

  private:
    BuildResult runBuild(const recipe::BuildPlan& plan, const std::string& key);
    void protectFromGc(const recipe::BuildPlan& plan);
    // The plan with the excluded patches removed (throws UsageError for an unknown id).
    recipe::BuildPlan effectivePlan(const recipe::BuildPlan& plan) const;
    void runCommands(const recipe::BuildPlan& plan, const std::filesystem::path& srcDir,
                     const std::map<std::string, std::filesystem::path>& finalPaths,
                     BuildResult& result, const std::string& activity);
    void runChecks(const recipe::BuildPlan& plan,
                   const std::map<std::string, std::filesystem::path>& staged,
                   const std::map<std::string, std::filesystem::path>& finalPaths,
                   BuildResult& result);
    void commitOutputs(const recipe::BuildPlan& plan, const std::string& key,
                       const std::map<std::string, std::filesystem::path>& staged,
                       const std::map<std::string, std::filesystem::path>& finalPaths,
                       BuildResult& result);

    store::Store& store_;
    sandbox::Sandbox& sandbox_;
    BuildOptions options_;
    util::ProgressObserver& observer_;
    Toolchain toolchain_;
    std::map<std::string, util::Hash> overrideHashes_;
    std::mutex tempRootsMutex_;
    std::unique_ptr<store::TempRoots> tempRoots_; // made by the first build()
};

// The log of the newest build of the plan named `plan` (it may have failed).
std::filesystem::path latestLogPath(const store::Store& store, const std::string& plan);

// Creates `result`, `result-boot`, ... symlinks next to `base` for the outputs, and registers
// them as gc roots of the store.
void linkResults(const BuildResult& result, const std::filesystem::path& base, store::Store& store);

} // namespace xenbuild::build
