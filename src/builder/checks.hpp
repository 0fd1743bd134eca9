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
    // Output name -> where it is staged now, and where it will live in the store (the paths
    // the build baked in, e.g. pkg-config prefixes).
    std::map<std::string, std::filesystem::path> staged;
    std::map<std::string, std::filesystem::path> final;
};

// Replaces ${outputs.<name>} in `text` with the paths of `outputs`. Throws BuildError for an
// output the plan does not have.
std::string substituteOutputs(const std::string& text,
                              const std::map<std::string, std::filesystem::path>& outputs);

// Runs one check; never throws for a failing check (the result says why).
CheckResult runCheck(const recipe::Check& check, const CheckContext& context);

} // namespace xenbuild::builder::detail
