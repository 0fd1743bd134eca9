#pragma once
// What a build produced, as `xenbuild build --json` prints it and the build record keeps it
// (<store>/builds/<key>.json, see output_index.hpp).

#include "xenbuild/builder/compiler_cache.hpp"
#include "xenbuild/builder/toolchain.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::builder {

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

// A stretch of a build step, in seconds from the step's start.
struct TimeSpan {
    double start = 0;
    double end = 0;
};

struct BuildResult {
    std::string plan;    // plan name
    std::string key;     // build key (nix32)
    bool cached = false; // outputs were already in the store
    // The binary cache the outputs were substituted from (docs/cache.md), empty when built here.
    std::string substitutedFrom;
    std::string sandboxMode;         // "namespaces" or "off"
    std::vector<OutputInfo> outputs; // plan order
    std::vector<CheckResult> checks;
    std::vector<AppliedPatch> patches;
    std::vector<std::string> skippedPatches;            // with skipInapplicablePatches
    std::vector<std::string> excludedPatches;           // left out on request
    std::map<std::string, std::string> sourceOverrides; // name -> directory
    std::filesystem::path log;
    double seconds = 0;
    // Seconds each step took ("fetch", "stage", "patch", "configure", "make", "install",
    // "check", "commit"): the next build of the package shows them as expected times.
    std::map<std::string, double> stepSeconds;
    // When make worked on each component staged inside the tree (qemu, seabios, ovmf, ipxe),
    // from the first to the last line of output naming its directory, in seconds from the start
    // of make: where the time of a standard build goes. Spans of a parallel make overlap.
    std::map<std::string, TimeSpan> componentTimes;
    std::vector<std::string> differingFiles; // --rebuild: output files whose content changed
    // What the build's compiler calls did with the compiler cache (--ccache); empty without it.
    std::optional<CompilerCacheStats> ccache;
    // The toolchain that built the outputs, and when the build started and finished (UTC):
    // what a bundle's SBOM and provenance report. Empty in records older than them.
    Toolchain toolchain;
    std::optional<std::chrono::sys_seconds> startedAt;
    std::optional<std::chrono::sys_seconds> finishedAt;
    // Of a failed build (Builder::build's `attempt`): the step that was running when it failed
    // ("fetch", "configure", "make", "check", ...). Empty for a build that succeeded.
    std::string failedStep;

    const OutputInfo* output(const std::string& name) const;
    // How this run got the outputs: "present" (cached), "substituted" or "built".
    std::string outputStatus() const;
    nlohmann::json toJson() const;
    // The inverse of toJson() (a build record); throws nlohmann::json exceptions or ParseError
    // for malformed input.
    static BuildResult fromJson(const nlohmann::json& json);
};

} // namespace xenbuild::builder
