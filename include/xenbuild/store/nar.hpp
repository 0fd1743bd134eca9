#pragma once
// NAR ("Nix ARchive") serialisation and its sha256, exactly as `nix-hash --type sha256` computes
// it: regular files (with the executable bit), symlinks (not followed) and directories whose
// entries are sorted bytewise. Any other file type (fifo, socket, device) is an error naming the
// path. Hashing streams the serialisation into util::Sha256 without materialising it.

#include "xenbuild/util/hash.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>

namespace xenbuild::store {

// Receives the NAR byte stream in chunks; chunks are only valid during the call.
using NarSink = std::function<void(const void* data, std::size_t length)>;

// Writes the NAR serialisation of `path` to `sink`. Throws StoreError for unsupported file
// types and SystemError when a file cannot be read, both naming the path.
void dumpNar(const std::filesystem::path& path, const NarSink& sink);

// sha256 of the NAR serialisation of `path` (what Nix calls a recursive hash).
util::Hash narHash(const std::filesystem::path& path);

} // namespace xenbuild::store
