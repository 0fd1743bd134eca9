#pragma once
// The build key: what a build's outputs are addressed by. Outputs are input-addressed: their
// store ids derive from the key, and a second build of the same key is a cache hit
// (docs/store.md). The key is a pure function of the plan, the host toolchain's identity and
// the build's other inputs (source overrides, patch exclusions); nothing here fetches, builds
// or probes. The store directory is not among them: builds install at the target host's paths
// (FHS, through DESTDIR), never at store paths, and the builder checks that no output mentions
// the store, so the same key gives the same outputs in every store (docs/ARCHITECTURE.md).

#include "xenbuild/builder/options.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/util/hash.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xenbuild::builder {

// What a build's outputs depend on besides the plan and the toolchain.
struct KeyInputs {
    std::map<std::string, util::Hash> sourceOverrides; // source name -> NAR hash of the tree
    bool skipInapplicablePatches = false;
    std::vector<std::string> excludedPatches; // as requested ("all" included)
};

// The inputs `options` give: hashes each override directory. Throws UsageError
// "<source override> NAME='DIR': not a directory" (Setting::SourceOverride).
KeyInputs keyInputs(const BuildOptions& options);

// sha256 over the plan hash, toolchain hash and the other inputs (nix32).
std::string buildKey(const recipe::BuildPlan& plan, const util::Hash& toolchain,
                     const KeyInputs& inputs);

// The same without the toolchain: names "this plan built with these inputs" whatever compiler
// built it, so its newest result can be found without probing one (OutputIndex::newest).
std::string planKey(const recipe::BuildPlan& plan, const KeyInputs& inputs);

// The plan with the excluded patches removed ("all": every upstream patch). Throws UsageError
// naming the plan's patches for an id it does not have.
recipe::BuildPlan effectivePlan(const recipe::BuildPlan& plan,
                                const std::vector<std::string>& excludedPatches);

// The plan's SOURCE_DATE_EPOCH in seconds (0 when its environment sets none): the time of
// everything the build packs (tarball sources, bundle archives). Throws BuildError when it is
// not a number.
std::int64_t sourceDateEpoch(const recipe::BuildPlan& plan);

// The store name of an output: "xen-4.19.0" for "out", "xen-4.19.0-boot" for "boot".
std::string outputName(const recipe::BuildPlan& plan, const std::string& output);

} // namespace xenbuild::builder
