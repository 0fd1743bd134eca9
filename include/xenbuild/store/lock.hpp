#pragma once
// Advisory file locks (flock) for coordinating processes that share a store. A lock file is
// never deleted: removing it while another process waits on it would let two holders coexist.
// The kernel releases a flock lock when its holder dies, so a lock file left behind by a killed
// process is no lock at all: the next process takes it at once.

#include "xenbuild/util/fd.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace xenbuild::store {

class FileLock {
  public:
    enum class Mode { Shared, Exclusive };

    // Blocks until the lock is held. Creates the lock file (and its directory) if needed.
    // When another process holds it, logs a warning naming the holders (from /proc/locks) and
    // `purpose` ("source 'xen'") before waiting. A lock path that is not a regular file (a
    // directory left there) is a StoreError saying to remove it.
    static FileLock acquire(const std::filesystem::path& path, Mode mode = Mode::Exclusive,
                            const std::string& purpose = {});
    // Returns std::nullopt when another process holds a conflicting lock.
    static std::optional<FileLock> tryAcquire(const std::filesystem::path& path,
                                              Mode mode = Mode::Exclusive);

    FileLock(FileLock&& other) noexcept = default;
    FileLock& operator=(FileLock&& other) noexcept = default;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock() = default; // closing the file releases the lock

    // "process 1234 (xenbuild prefetch ...)" for each holder of a lock on `path`, or
    // "another process" when /proc/locks does not tell.
    static std::string describeHolders(const std::filesystem::path& path);

  private:
    explicit FileLock(util::Fd fd) : fd_(std::move(fd)) {}
    util::Fd fd_;
};

} // namespace xenbuild::store
