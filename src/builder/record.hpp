#pragma once
// Build records: <store>/builds/<key>.json describes a finished build (outputs, checks,
// patches, log, sandbox mode); <store>/logs/<key>.log is its full log. A record is written
// last, after the outputs are in the store, so its presence means the build completed.

#include "xenbuild/builder/builder.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace xenbuild::builder::detail {

std::string outputName(const recipe::BuildPlan& plan, const std::string& output);

std::filesystem::path recordPath(const store::Store& store, const std::string& key);
std::filesystem::path logPath(const store::Store& store, const std::string& key);
// <store>/logs/<plan>.log -> <key>.log: what `xenbuild log PKG` shows, even for failed builds.
// The caller holds the build's lock (like writeRecord's).
void linkLatestLog(const store::Store& store, const std::string& key, const std::string& plan,
                   const std::filesystem::path& log);

std::optional<BuildResult> readRecord(const store::Store& store, const std::string& key);
void writeRecord(const store::Store& store, const BuildResult& result);

// Every output of the record is still a valid store entry. Throws StoreError for an output
// that fails its check (store::Store::lookupChecked): a corrupt output is never reused.
bool outputsPresent(const store::Store& store, const BuildResult& result);

BuildResult resultFromJson(const nlohmann::json& json);

} // namespace xenbuild::builder::detail
