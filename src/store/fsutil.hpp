#pragma once
// File-system helpers shared by the store's source files (not part of the public API).

#include "xenbuild/store/store.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace xenbuild::store::detail {

// Makes every file and directory under `path` read-only, keeping executable bits.
void makeReadOnly(const std::filesystem::path& path);
// Flushes the file system holding `path` (syncfs).
void syncFileSystem(const std::filesystem::path& path);
// fsync of a directory, so a rename inside it is durable.
void syncDirectory(const std::filesystem::path& path);
// Total size of the regular files under `path` (symlinks not followed).
std::uint64_t diskUsage(const std::filesystem::path& path);

// The metadata file of an entry (<store>/.meta/<id>.json) and back. fromMetaJson throws
// nlohmann::json exceptions or ParseError for malformed metadata.
nlohmann::json metaJson(const EntryInfo& info);
EntryInfo fromMetaJson(const nlohmann::json& json);

// The full check of `store verify` and `store repair`: the metadata matches the entry's id and
// the content its hash. Returns the problem, empty when the entry is intact.
std::string verifyEntry(const Entry& entry);

} // namespace xenbuild::store::detail
