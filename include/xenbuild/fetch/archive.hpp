#pragma once
// Safe extraction of tarballs and zip files with libarchive. Refused, with the entry named:
// absolute paths, `..` components, entries written through a symlink, symlinks whose target
// leaves the tree (followed lexically through the symlinks already in it, and checked again once
// every member is out), hard links to anything outside the tree, device nodes, fifos and
// sockets. Archives over the FetchLimits (members, unpacked bytes, unpacked/packed ratio) are
// refused as soon as the limit is crossed.

#include "xenbuild/fetch/options.hpp"

#include <filesystem>
#include <string>

namespace xenbuild::fetch {

// Extracts `archive` into the new directory `dest`. With `stripTopLevel`, the archive must hold
// exactly one top-level directory, whose contents become `dest` (like nix-prefetch-url --unpack;
// members may start with "./"). Throws FetchError naming the archive as `label` (its URL; the
// path when empty) and the offending entry; nothing is left at `dest` after a failure.
void extractArchive(const std::filesystem::path& archive, const std::filesystem::path& dest,
                    bool stripTopLevel, const FetchLimits& limits = {},
                    const std::string& label = {});

} // namespace xenbuild::fetch
