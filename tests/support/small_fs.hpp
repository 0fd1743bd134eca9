#pragma once
// A small tmpfs for disk-full tests: mounted at construction, grown with grow(), detached at
// destruction. Mounting needs root; when it cannot be done, skipReason() says why and the test
// skips with a WARN (a non-root developer run), instead of failing.

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace xenbuild::testing {

class SmallFileSystem {
  public:
    SmallFileSystem(const std::filesystem::path& mountPoint, const std::string& size)
        : path_(mountPoint) {
        if (::geteuid() != 0) {
            skipReason_ = "mounting a small tmpfs needs root";
            return;
        }
        std::filesystem::create_directories(path_);
        if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0) {
            skipReason_ = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
            return;
        }
        mounted_ = true;
    }
    ~SmallFileSystem() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    SmallFileSystem(const SmallFileSystem&) = delete;
    SmallFileSystem& operator=(const SmallFileSystem&) = delete;

    // "" when mounted.
    const std::string& skipReason() const { return skipReason_; }
    const std::filesystem::path& path() const { return path_; }
    // Frees space the way an operator would: a bigger file system, same contents.
    bool grow(const std::string& size) const {
        return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
    }

  private:
    std::filesystem::path path_;
    std::string skipReason_;
    bool mounted_ = false;
};

} // namespace xenbuild::testing
