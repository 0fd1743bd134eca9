#pragma once
// Advisory file locks (flock) for coordinating processes that share a store. A lock file is
// never deleted: removing it while another process waits on it would let two holders coexist.

#include <filesystem>
#include <optional>

namespace xenbuild::store {

class FileLock {
  public:
    enum class Mode { Shared, Exclusive };

    // Blocks until the lock is held. Creates the lock file (and its directory) if needed.
    static FileLock acquire(const std::filesystem::path& path, Mode mode = Mode::Exclusive);
    // Returns std::nullopt when another process holds a conflicting lock.
    static std::optional<FileLock> tryAcquire(const std::filesystem::path& path,
                                              Mode mode = Mode::Exclusive);

    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

  private:
    explicit FileLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

} // namespace xenbuild::store
