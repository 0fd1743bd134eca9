#include "xenbuild/store/lock.hpp"

#include "xenbuild/util/error.hpp"

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace xenbuild::store {

namespace {

int openLockFile(const std::filesystem::path& path) {
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throwSystemError("cannot open lock file", path.string());
    return fd;
}

int lockOperation(FileLock::Mode mode) {
    return mode == FileLock::Mode::Exclusive ? LOCK_EX : LOCK_SH;
}

} // namespace

FileLock FileLock::acquire(const std::filesystem::path& path, Mode mode) {
    const int fd = openLockFile(path);
    while (::flock(fd, lockOperation(mode)) != 0) {
        if (errno == EINTR) continue;
        const int saved = errno;
        ::close(fd);
        errno = saved;
        throwSystemError("cannot lock", path.string());
    }
    return FileLock(fd);
}

std::optional<FileLock> FileLock::tryAcquire(const std::filesystem::path& path, Mode mode) {
    const int fd = openLockFile(path);
    if (::flock(fd, lockOperation(mode) | LOCK_NB) == 0) return FileLock(fd);
    const int saved = errno;
    ::close(fd);
    if (saved == EWOULDBLOCK) return std::nullopt;
    errno = saved;
    throwSystemError("cannot lock", path.string());
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);
}

} // namespace xenbuild::store
