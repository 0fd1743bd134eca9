#pragma once
// File-system helpers shared by the store's source files (not part of the public API).

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
// Writes `content` to `path` atomically (temporary + fsync + rename).
void writeFileAtomic(const std::filesystem::path& path, const std::string& content);
std::string readFile(const std::filesystem::path& path);
// Total size of the regular files under `path` (symlinks not followed).
std::uint64_t diskUsage(const std::filesystem::path& path);

} // namespace xenbuild::store::detail
