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

struct OutputCommit {
    std::string id;               // outputId(buildKey, name)
    std::filesystem::path staged; // the finished tree, on the store's file system
    std::string name;             // "xen-4.19.0-boot"
};

// Moves the finished trees of one build into the store (each atomically, read-only, its NAR
// hash recorded). One file-system flush covers them all: a build's outputs are committed
// together, right after the build directory is gone, so the flush writes little besides them.
// The caller holds the build's lock; the commit takes gc.lock shared and each output's own lock
// (so neither gc nor another process's sweep of leftovers interleaves with it). Returns the
// entries in order.
std::vector<Entry> commitOutputs(Store& store, const std::vector<OutputCommit>& outputs,
                                 const std::string& buildKey);

} // namespace xenbuild::store
