#pragma once
// Build records: <store>/builds/<key>.json describes a finished build (outputs, checks,
// patches, log, sandbox mode, step times); <store>/logs/<key>.log is its full log. A record is
// written last, after the outputs are in the store, so its presence means the build completed.
// OutputIndex (output_index.hpp) is the interface; these are its pieces.

#include "xenbuild/builder/result.hpp"
#include "xenbuild/store/store.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace xenbuild::builder::detail {

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

// Temporaries of a build's small files live in <store>/.tmp under the build's name, so that
// Store::open sweeps those of a killed build (their lock, the build's, is free then).
std::filesystem::path temporaryPath(const store::Store& store, const std::string& key,
                                    const std::string& what);

} // namespace xenbuild::builder::detail
