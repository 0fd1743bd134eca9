#pragma once
// Staging sources into a build directory (internal to the build module).

#include <cstdint>
#include <filesystem>
#include <string>

namespace xenbuild::builder::detail {

// Copies the tree at `from` (a read-only store entry or a user's directory) to `to`, which must
// not exist (its parent must): directories, regular files (owner-writable, permission bits
// kept, setuid/setgid/sticky dropped) and symbolic links as links, their target text
// unchanged. Nothing is followed: paths are lexical, entries are examined with lstat, and
// nothing is created over an existing entry, so no link in the tree leads a read or a write
// outside it. `.git` entries (of an override) are skipped; a FIFO, device or socket is refused
// with a BuildError naming it.
void copyTree(const std::filesystem::path& from, const std::filesystem::path& to);

// Creates `root / relative` and the missing directories before it. `relative` must be relative
// without `..`; a component that is a symbolic link or not a directory is refused, so a link
// staged by one source cannot send a later source (or the iPXE tarball) outside `root`.
void createDirectoriesWithin(const std::filesystem::path& root,
                             const std::filesystem::path& relative);

// Writes `dir` as a gzip-compressed tar at `file`, every member under `prefix/` (as
// `git archive --prefix` does for Xen's ipxe.tar.gz), reproducibly: sorted names, owner 0:0,
// modification time `mtime`, no timestamp in the gzip header. Symbolic links become symlink
// members (never followed); `file` itself is never written through a link.
void writeTarball(const std::filesystem::path& dir, const std::string& prefix,
                  const std::filesystem::path& file, std::int64_t mtime);

} // namespace xenbuild::builder::detail
