#pragma once
// Temporary gc roots: the entries a running process uses (a build's sources, patches and
// outputs), kept by `store gc` for as long as that process lives, whatever the permanent roots
// say. Each TempRoots object owns one file <store>/roots/temp/<pid>-<random> listing entry ids,
// one a line, and holds an exclusive flock on it; the kernel drops the lock when the process
// dies, so a file whose lock is free is stale and removed (by gc, or by the next TempRoots).
//
// Ids are appended under gc.lock taken shared while gc holds it exclusively, so a gc either
// finished before the ids were recorded (and the caller fetches what it removed again) or sees
// them. Register entries before using them: a build registers the ids of its plan's sources,
// patches and outputs (all known before fetching) before it fetches or looks at its cache.

#include "xenbuild/util/fd.hpp"

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace xenbuild::store {

class Store;

class TempRoots {
  public:
    explicit TempRoots(const Store& store);
    TempRoots(const TempRoots&) = delete;
    TempRoots& operator=(const TempRoots&) = delete;
    ~TempRoots(); // removes the file

    // Records `ids` as live until this object is destroyed. Thread-safe.
    void add(const std::vector<std::string>& ids);

    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path storeDir_;
    std::filesystem::path gcLock_;
    std::filesystem::path path_;
    util::Fd fd_;
    std::mutex mutex_;
};

// The ids listed by live temporary roots; removes stale root files. Called by gc, which holds
// gc.lock exclusively.
std::vector<std::string> liveTempRoots(const std::filesystem::path& storeDir);

// Removes the root files of dead processes (what TempRoots does on creation).
void sweepTempRoots(const std::filesystem::path& storeDir);

} // namespace xenbuild::store
