#pragma once
// --override-source NAME=DIR, shared by the commands that compute a build key (build, test):
// overrides are part of the key, so `test` must be given the same ones as `build`.

#include "xenbuild/builder/options.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xenbuild::cli {

// Parses NAME=DIR items (DIR made absolute); UsageError for anything else.
std::map<std::string, std::filesystem::path>
parseSourceOverrides(const std::vector<std::string>& items);

// How a finished build was made, for the commands that look one up in the store (test, bundle):
// they must be given the same options as `build` was, since the options are part of the key.
struct BuiltWithArgs {
    std::vector<std::string> overrides; // NAME=DIR, as given to `build`
    bool skipInapplicable = false;
    std::vector<std::string> excludedPatches;
};

// --override-source, --skip-inapplicable-patches and --exclude-patch, described as "the package
// was built with".
void addBuiltWithOptions(CLI::App& command, BuiltWithArgs& args);

builder::BuildOptions buildOptionsFrom(const BuiltWithArgs& args);

} // namespace xenbuild::cli
