#pragma once
// Building plans. The parts, each usable alone:
//   build_key.hpp     the build key and plan key: pure functions of plan, toolchain and inputs
//   output_index.hpp  output paths, build records, newest results and logs (no toolchain)
//   executor.hpp      one build, step by step, through a Sandbox and a Fetcher
//   scheduler.hpp     several packages at once, every failure reported
// and Builder, which puts them together for one package at a time: the toolchain's identity,
// the build's lock, temporary gc roots, the cache, then the executor.

#include "xenbuild/builder/build_key.hpp"
#include "xenbuild/builder/executor.hpp"
#include "xenbuild/builder/fetcher.hpp"
#include "xenbuild/builder/options.hpp"
#include "xenbuild/builder/output_index.hpp"
#include "xenbuild/builder/result.hpp"
#include "xenbuild/builder/toolchain.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/sandbox/sandbox.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/store/temp_roots.hpp"
#include "xenbuild/util/progress.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::builder {

class Builder {
  public:
    // Identifies the host toolchain (BuildError naming a missing program; with options.ccache
    // also ccache) and fetches into the store with options.fetch.
    Builder(store::Store& store, sandbox::Sandbox& sandbox, const BuildOptions& options,
            util::ProgressObserver& observer);
    // With the fetcher and toolchain given (tests use fakes).
    Builder(store::Store& store, sandbox::Sandbox& sandbox, Fetcher& fetcher, Toolchain toolchain,
            BuildOptions options, util::ProgressObserver& observer,
            std::chrono::milliseconds progressTick = std::chrono::seconds(1));

    // The key and output paths a plan builds to (no building, no fetching).
    std::string buildKey(const recipe::BuildPlan& plan) const;
    std::vector<OutputInfo> outputPaths(const recipe::BuildPlan& plan) const;

    // Builds (or finds cached) outputs. Throws BuildError, FetchError, PatchError,
    // SandboxError with context; on failure nothing is added to the store.
    // One build of a key runs at a time across processes (the others wait, then reuse it), and
    // the plan's sources, patches and outputs are temporary gc roots from before they are
    // fetched until this Builder is destroyed (so the CLI can link the results first).
    // Several threads may build at once. When it throws and `attempt` is given, *attempt gets
    // what the build got done (Executor::run), at least the plan's name.
    BuildResult build(const recipe::BuildPlan& requested, BuildResult* attempt = nullptr);

    const BuildOptions& options() const { return options_; }

  private:
    Builder(store::Store& store, sandbox::Sandbox& sandbox, std::unique_ptr<Fetcher> ownFetcher,
            Fetcher* fetcher, Toolchain toolchain, BuildOptions options,
            util::ProgressObserver& observer, std::chrono::milliseconds progressTick);
    void protectFromGc(const recipe::BuildPlan& plan);
    // Writes the log and record of a substituted build (the build's lock is held).
    void recordSubstitution(BuildResult& result, const BuildKeys& keys);

    store::Store& store_;
    BuildOptions options_;
    util::ProgressObserver& observer_;
    std::unique_ptr<Fetcher> ownFetcher_; // the StoreFetcher, unless one was given
    Toolchain toolchain_;
    KeyInputs keyInputs_;
    OutputIndex index_;
    Executor executor_;
    std::mutex tempRootsMutex_;
    std::unique_ptr<store::TempRoots> tempRoots_; // made by the first build()
};

// Lookups without building, for `xenbuild test` and `xenbuild store path`.

// The newest result of `plan` built with the key inputs of `options` (overrides, exclusions),
// through the output index: no toolchain needed. A store whose records predate the index is
// searched by the build key instead, when the host has a toolchain.
std::optional<BuildResult> findNewestResult(const store::Store& store,
                                            const recipe::BuildPlan& plan,
                                            const BuildOptions& options);

// findNewestResult, else the outputs from options.substituter (a binary cache), substituted
// under the build's lock and recorded, for commands that use a build without ever building it
// (`xenbuild test --substituter`). Needs the host toolchain only to substitute (BuildError
// naming a missing program). std::nullopt when neither has the build.
std::optional<BuildResult> findOrSubstitute(store::Store& store, const recipe::BuildPlan& plan,
                                            const BuildOptions& options,
                                            util::ProgressObserver& observer);

struct PlannedOutputs {
    std::vector<OutputInfo> outputs; // plan order; empty when unknown
    std::string unknownBecause;      // why, when `outputs` is empty
};

// Where the outputs of `plan` are: those of its newest result; for a plan never built here,
// where a build with the host's toolchain would put them; without a toolchain, unknown (and
// why: the toolchain's error).
PlannedOutputs plannedOutputs(const store::Store& store, const recipe::BuildPlan& plan,
                              const BuildOptions& options);

// Creates `result`, `result-boot`, ... symlinks next to `base` for the outputs, and registers
// them as gc roots of the store.
void linkResults(const BuildResult& result, const std::filesystem::path& base, store::Store& store);

} // namespace xenbuild::builder
