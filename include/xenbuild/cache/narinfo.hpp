#pragma once
// The narinfo files of a Nix-layout binary cache (docs/cache.md): one per store entry, named
// `<hash part>.narinfo`, a list of "Key: value" lines. They come from the network, so parsing
// is strict: a size limit, every field we need present once, values checked (store paths,
// hashes, sizes, a URL that stays inside the cache), unknown fields ignored as Nix does.

#include "xenbuild/util/hash.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace xenbuild::cache {

// The largest narinfo we read (real ones are a few hundred bytes).
inline constexpr std::size_t kMaxNarInfoBytes = 64 * 1024;

struct NarInfo {
    std::string storePath;   // "/…/<32 nix32>-<name>": the pusher's store path
    std::string url;         // "nar/<file hash, nix32>.nar.zst", relative to the cache
    std::string compression; // "zstd" or "none"
    util::Hash fileHash;     // sha256 of the file at `url`
    std::uint64_t fileSize = 0;
    util::Hash narHash; // sha256 of the uncompressed NAR
    std::uint64_t narSize = 0;
    std::vector<std::string> references; // base names of store paths ("<hash>-<name>")
    std::vector<std::string> sigs;       // "<key name>:<base64 Ed25519 signature>"

    // The store path's base name, "<hash>-<name>".
    std::string baseName() const;
    // What a signature signs, as Nix: "1;<StorePath>;sha256:<NarHash nix32>;<NarSize>;<refs>"
    // with the references as full store paths (in the store path's directory), comma-separated.
    std::string fingerprint() const;
    std::string format() const;
};

// Throws ParseError naming `origin` (the narinfo's URL) and the line for anything malformed.
NarInfo parseNarInfo(const std::string& text, const std::string& origin);

// True for "<32 Nix base32 characters>-<name>" with a name of [A-Za-z0-9+-._=], not starting
// with '.': what the store names entries (store::sanitiseName).
bool isStoreBaseName(const std::string& name);

// The hash part of a base name: what its narinfo is named by.
std::string hashPart(const std::string& baseName);

} // namespace xenbuild::cache
