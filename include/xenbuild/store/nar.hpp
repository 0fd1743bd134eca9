#pragma once
// NAR ("Nix ARchive") serialisation and its sha256, exactly as `nix-hash --type sha256` computes
// it: regular files (with the executable bit), symlinks (not followed) and directories whose
// entries are sorted bytewise. Any other file type (fifo, socket, device) is an error naming the
// path. Hashing streams the serialisation into util::Sha256 without materialising it.

#include "xenbuild/util/hash.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace xenbuild::store {

// Receives the NAR byte stream in chunks; chunks are only valid during the call.
using NarSink = std::function<void(const void* data, std::size_t length)>;

// Writes the NAR serialisation of `path` to `sink`. Throws StoreError for unsupported file
// types and SystemError when a file cannot be read, both naming the path.
void dumpNar(const std::filesystem::path& path, const NarSink& sink);

// sha256 of the NAR serialisation of `path` (what Nix calls a recursive hash).
util::Hash narHash(const std::filesystem::path& path);

} // namespace xenbuild::store

namespace xenbuild::store {

// Reads up to `length` bytes of a NAR into `data`; returns how many (0 only at the end).
using NarSource = std::function<std::size_t(void* data, std::size_t length)>;

// Bounds on a NAR from an untrusted source (a binary cache).
struct NarLimits {
    std::uint64_t bytes = std::uint64_t{16} << 30; // the whole serialisation
    std::uint64_t entries = 1'000'000;             // files, directories and symlinks
    std::uint64_t nameLength = 255;                // one directory entry's name
    std::uint64_t targetLength = 4096;             // one symlink's target
    std::uint64_t depth = 256;                     // directory nesting
};

// Unpacks the NAR read from `source` at `dest` (which must not exist; its parent must), and
// returns the sha256 of the bytes read. Strict: the magic, every token, zero padding, entry
// names (no "", ".", "..", '/' or NUL; strictly increasing, so no duplicates) and the end of
// the stream (nothing after the root) are checked, and the limits enforced; files are created
// with O_EXCL and O_NOFOLLOW under directories this call made, so nothing is written outside
// `dest`. Throws StoreError naming `what` and the offset on malformed input; `dest` may then
// hold a partial tree, which the caller removes.
util::Hash restoreNar(const NarSource& source, const std::filesystem::path& dest,
                      const std::string& what, const NarLimits& limits = {});

} // namespace xenbuild::store
