#pragma once
// Staging sources into a build directory (internal to the build module).

#include <cstdint>
#include <filesystem>
#include <string>

namespace xenbuild::build::detail {

// Copies the tree at `from` (a read-only store entry or a user's directory) to `to`, which must
// not exist: directories, regular files (owner-writable, executable bits kept) and symbolic
// links (as links). Other file types and `.git` directories of an override are skipped.
void copyTree(const std::filesystem::path& from, const std::filesystem::path& to);

// Writes `dir` as a gzip-compressed tar at `file`, every member under `prefix/` (as
// `git archive --prefix` does for Xen's ipxe.tar.gz), reproducibly: sorted names, owner 0:0,
// modification time `mtime`, no timestamp in the gzip header.
void writeTarball(const std::filesystem::path& dir, const std::string& prefix,
                  const std::filesystem::path& file, std::int64_t mtime);

} // namespace xenbuild::build::detail
