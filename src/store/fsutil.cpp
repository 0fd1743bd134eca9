#include "store/fsutil.hpp"

#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::store {

namespace detail {

namespace {

void chmodNoFollow(const fs::path& path, mode_t mode) {
    if (::fchmodat(AT_FDCWD, path.c_str(), mode, 0) != 0) {
        throwSystemError("cannot change permissions of", path.string());
    }
}

mode_t readOnlyMode(const struct stat& st) {
    if (S_ISDIR(st.st_mode)) return 0555;
    return (st.st_mode & S_IXUSR) != 0 ? 0555 : 0444;
}

void syncFd(const fs::path& path, int flags, bool wholeFs) {
    const util::Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
    if (!fd.valid()) throwSystemError("cannot open", path.string());
    if ((wholeFs ? ::syncfs(fd.get()) : ::fsync(fd.get())) != 0) {
        throwSystemError("cannot flush", path.string());
    }
}

} // namespace

void makeReadOnly(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throwSystemError("cannot stat", path.string());
    if (S_ISLNK(st.st_mode)) return;
    if (S_ISDIR(st.st_mode)) {
        for (const auto& child : fs::directory_iterator(path))
            makeReadOnly(child.path());
    }
    if ((st.st_mode & 07777) != readOnlyMode(st)) chmodNoFollow(path, readOnlyMode(st));
}

void syncFileSystem(const fs::path& path) {
    syncFd(path, O_RDONLY, true);
}

void syncDirectory(const fs::path& path) {
    syncFd(path, O_RDONLY | O_DIRECTORY, false);
}

std::uint64_t diskUsage(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    if (S_ISREG(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
    if (!S_ISDIR(st.st_mode)) return 0;
    std::uint64_t total = 0;
    std::error_code error;
    for (const auto& child : fs::directory_iterator(path, error))
        total += diskUsage(child.path());
    return total;
}

} // namespace detail

} // namespace xenbuild::store
