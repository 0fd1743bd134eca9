#pragma once
// One build of one plan, step by step: fetch its inputs (Fetcher), stage them in a fresh build
// directory where Xen's makefiles find them, apply the patch series, pack tarball sources, run
// configure and make (Sandbox), split what make installed under <build>/dist/install
// (DESTDIR) into the plan's outputs by their install paths (outputPaths), check them (the
// plan's checks and the builder's own: no file mentions the store), commit them to the store
// atomically and write the record. Only complete, checked outputs enter the store.
//
// Progress goes to the observer: a Started event per step (configure and make carry the
// seconds the same step took in the package's newest build as expectedSeconds), every output
// line (unit "line"), and while configure and make run, Progress events (unit "files") naming
// the file being compiled with the elapsed and expected seconds, at least once a second.

#include "xenbuild/builder/fetcher.hpp"
#include "xenbuild/builder/options.hpp"
#include "xenbuild/builder/output_index.hpp"
#include "xenbuild/builder/result.hpp"
#include "xenbuild/builder/toolchain.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/sandbox/sandbox.hpp"
#include "xenbuild/util/progress.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

namespace xenbuild::store {
class Store;
}

namespace xenbuild::builder {

// The keys of one build (build_key.hpp).
struct BuildKeys {
    std::string key;     // the build key: output ids, build directory, record, log
    std::string planKey; // the plan key: where the record is indexed as the newest result
};

class Executor {
  public:
    // options.cores must be set (not 0). `toolchain`: the one the build key covers, recorded
    // with the result. `progressTick`: how often the Progress events of a running command repeat
    // without output (0: only on output lines).
    Executor(store::Store& store, sandbox::Sandbox& sandbox, Fetcher& fetcher, Toolchain toolchain,
             BuildOptions options, util::ProgressObserver& observer,
             std::chrono::milliseconds progressTick = std::chrono::seconds(1));

    // Builds `plan` (its patch exclusions already applied) into the outputs of `keys.key`.
    // The caller holds the build's lock. Throws the step's error (BuildError, FetchError,
    // PatchError, SandboxError) with context; then nothing has entered the store and the build
    // directory is gone (kept with keepFailed). Checks options.cancel between steps.
    // When it throws and `attempt` is given, *attempt gets what the build got done: plan, key,
    // log, the steps' times, the checks run, and the failedStep.
    BuildResult run(const recipe::BuildPlan& plan, const BuildKeys& keys,
                    BuildResult* attempt = nullptr);

  private:
    void runSteps(const recipe::BuildPlan& plan, const BuildKeys& keys, BuildResult& result);
    FetchedInputs fetchInputs(const recipe::BuildPlan& plan);
    void runCommands(const recipe::BuildPlan& plan, const std::filesystem::path& srcDir,
                     const std::map<std::string, std::filesystem::path>& finalPaths,
                     BuildResult& result, const std::string& activity, const BuildResult* previous);
    // `roots`: each source's staged tree; `buildDir`: where programs the checks run may write.
    void runChecks(const recipe::BuildPlan& plan,
                   const std::map<std::string, std::filesystem::path>& staged,
                   const std::map<std::string, std::filesystem::path>& roots,
                   const std::filesystem::path& buildDir, BuildResult& result);
    void commitOutputs(const recipe::BuildPlan& plan, const std::string& key,
                       const std::map<std::string, std::filesystem::path>& staged,
                       const std::map<std::string, std::filesystem::path>& finalPaths,
                       BuildResult& result);
    void checkCancelled(const std::string& step) const;

    store::Store& store_;
    sandbox::Sandbox& sandbox_;
    Fetcher& fetcher_;
    Toolchain toolchain_;
    BuildOptions options_;
    util::ProgressObserver& observer_;
    std::chrono::milliseconds progressTick_;
    OutputIndex index_;
};

} // namespace xenbuild::builder
