#pragma once
// Where builds leave their results in the store, and finding them again. Needs no toolchain:
// `xenbuild store path`, `xenbuild test` and `xenbuild log` look results up through it on a
// machine without a compiler.
//
//   <store>/<id>                               an output (id from the build key, store::outputId)
//   <store>/builds/<key>.json                  the record of a finished build (written last)
//   <store>/builds/plan-<plan key>.json        -> <key>.json: the newest result of that plan
//                                              with those inputs, whatever toolchain built it
//   <store>/builds/package-<plan name>.json    -> <key>.json: the package's newest result (any
//                                              plan): where the expected step times come from
//   <store>/logs/<key>.log                     the full log of a build (also a failed one)
//   <store>/logs/<plan name>.log               -> <key>.log: the newest attempt's log

#include "xenbuild/builder/result.hpp"
#include "xenbuild/recipe/plan.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::store {
class Store;
}

namespace xenbuild::builder {

class OutputIndex {
  public:
    explicit OutputIndex(const store::Store& store);

    // <store>/<id> of each output a build of `plan` with this key makes (plan order).
    std::vector<OutputInfo> outputPaths(const recipe::BuildPlan& plan,
                                        const std::string& key) const;

    // The record of the build `key`, if it finished. An unreadable record is no result.
    std::optional<BuildResult> result(const std::string& key) const;
    // The newest result of the plan key (build_key.hpp), if any.
    std::optional<BuildResult> newest(const std::string& planKey) const;
    // The newest result of any plan named `planName`.
    std::optional<BuildResult> newestOfPackage(const std::string& planName) const;

    // Every output of `result` is still a valid store entry. Throws StoreError for an output
    // that fails its check (store::Store::lookupChecked): a corrupt output is never reused.
    bool outputsPresent(const BuildResult& result) const;

    std::filesystem::path logPath(const std::string& key) const;
    std::filesystem::path latestLogPath(const std::string& planName) const;

    // Writers; the caller holds the build's lock (store::FileLock on "build-<key>").
    // Starts the log of a build of `planName` (truncated, one header line) and points
    // logs/<planName>.log at it; returns its path.
    std::filesystem::path startLog(const std::string& key, const std::string& planName) const;
    // Writes the record of `result` (temporary + rename), then points the plan's and the
    // package's newest results at it.
    void record(const BuildResult& result, const std::string& planKey) const;
    // Points the plan's and the package's newest results at the existing record of `result`
    // (a cache hit is the newest result too).
    void markNewest(const BuildResult& result, const std::string& planKey) const;

  private:
    const store::Store& store_;
};

// The log of the newest build of the plan named `plan` (it may have failed).
std::filesystem::path latestLogPath(const store::Store& store, const std::string& plan);

} // namespace xenbuild::builder
