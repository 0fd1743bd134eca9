#pragma once
// Safe extraction of tarballs and zip files with libarchive. Refused, with the entry named:
// absolute paths, `..` components, entries written through a symlink, symlinks whose target
// leaves the tree, hard links to anything outside the tree, device nodes, fifos and sockets.

#include <filesystem>

namespace xenbuild::fetch {

// Extracts `archive` into the new directory `dest`. With `stripTopLevel`, the archive must hold
// exactly one top-level directory, whose contents become `dest` (like nix-prefetch-url --unpack).
// Throws FetchError naming the archive and the offending entry.
void extractArchive(const std::filesystem::path& archive, const std::filesystem::path& dest,
                    bool stripTopLevel);

} // namespace xenbuild::fetch
