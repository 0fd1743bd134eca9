#pragma once
// Input-addressed store entries: build outputs. Their ids derive from the build key, not from
// their content, because the build bakes its own output paths in (configure --prefix); the
// content hash is recorded at commit time and checked by `store verify` like any other entry.

#include "xenbuild/store/store.hpp"

#include <filesystem>
#include <string>

namespace xenbuild::store {

// The id of the output named `name` (e.g. "xen-4.19.0-boot") of the build `buildKey`.
std::string outputId(const std::string& buildKey, const std::string& name);

// Moves the finished tree `staged` into the store as entry `id` (atomically; read-only; its
// NAR hash recorded). The caller holds the build's lock. Returns the entry.
Entry commitOutput(Store& store, const std::string& id, const std::filesystem::path& staged,
                   const std::string& name, const std::string& buildKey);

} // namespace xenbuild::store
