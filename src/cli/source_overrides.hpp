#pragma once
// --override-source NAME=DIR, shared by the commands that compute a build key (build, test):
// overrides are part of the key, so `test` must be given the same ones as `build`.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xenbuild::cli {

// Parses NAME=DIR items (DIR made absolute); UsageError for anything else.
std::map<std::string, std::filesystem::path>
parseSourceOverrides(const std::vector<std::string>& items);

} // namespace xenbuild::cli
