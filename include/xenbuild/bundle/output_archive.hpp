#pragma once
// One output of a build as a reproducible tar.zst: what a host unpacks with `tar -C ROOT -x`.

#include "xenbuild/util/hash.hpp"

#include <cstdint>
#include <filesystem>

namespace xenbuild::bundle {

// Writes the tree at `root` (an output in the store) to `file` as a zstd-compressed POSIX tar:
// members named relative to `root` (no "./"), each directory's entries sorted by name and after
// the directory itself, owner and group 0 with no names, modification time `mtime` for all,
// permission bits kept without write bits (as the store keeps them), symbolic links as links.
// Returns the SHA-256 of the file written. Throws BuildError for a member that is neither a
// file, a directory nor a link, SystemError or ArchiveError naming what could not be read or
// written.
util::Hash writeOutputArchive(const std::filesystem::path& root, const std::filesystem::path& file,
                              std::int64_t mtime);

} // namespace xenbuild::bundle
