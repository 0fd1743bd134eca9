#pragma once
// An owned file descriptor, closed on destruction. The one way the code base holds a
// descriptor: no raw ::close on an error path, no second descriptor class.

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace xenbuild::util {

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        reset(other.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const { return fd_; }
    // Whether it holds a descriptor (an open() that failed gives one that does not).
    bool valid() const { return fd_ >= 0; }
    int release() { return std::exchange(fd_, -1); }
    // Closes the descriptor held (errno is kept) and holds `fd` instead.
    void reset(int fd = -1) {
        if (fd_ >= 0) {
            const int saved = errno;
            ::close(fd_);
            errno = saved;
        }
        fd_ = fd;
    }
    // Closes now and says how that went: 0, or -1 with errno set (a write-back error of a file
    // written through this descriptor shows here). Holds nothing afterwards.
    int close() {
        const int fd = release();
        return fd < 0 ? 0 : ::close(fd);
    }

  private:
    int fd_ = -1;
};

} // namespace xenbuild::util
