#pragma once
// The post-install checks a plan declares, run on the staged outputs before they enter the
// store: a failing check fails the build.

#include "xenbuild/builder/result.hpp"
#include "xenbuild/recipe/plan.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace xenbuild::builder::detail {

struct CheckContext {
    // Output name -> where it is staged now (holding its install paths: <boot>/boot/xen.gz).
    std::map<std::string, std::filesystem::path> staged;
};

// Replaces ${outputs.<name>} in `text` with the paths of `outputs`. Throws BuildError for an
// output the plan does not have.
std::string substituteOutputs(const std::string& text,
                              const std::map<std::string, std::filesystem::path>& outputs);

// Runs one check; never throws for a failing check (the result says why).
CheckResult runCheck(const recipe::Check& check, const CheckContext& context);

// The builder's own check, run on every build (kind "relocatable"): no file of the staged
// `outputs` (plan order), nor the target of a symbolic link, mentions `storeDir` (as given, or
// with its links resolved) followed by '/', which also covers the build directory
// (<store>/.tmp/build-<key>) and every store path.
// Outputs hold the target host's paths only, so the same build is the same bytes in every
// store (the build key leaves the store out). A failure names the files (up to five) and the
// outputs holding them. `compilerCache`, when not empty: where the build saw the compiler cache
// (--ccache in the namespace sandbox; its host path is in the store), which no file may mention
// either.
CheckResult checkNoStoreReferences(const std::map<std::string, std::filesystem::path>& staged,
                                   const std::vector<std::string>& outputs,
                                   const std::filesystem::path& storeDir,
                                   const std::filesystem::path& compilerCache = {});

} // namespace xenbuild::builder::detail
