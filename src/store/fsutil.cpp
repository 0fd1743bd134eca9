#include "store/fsutil.hpp"

#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"

#include <atomic>
#include <fstream>
#include <sstream>

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
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) throwSystemError("cannot open", path.string());
    const int rc = wholeFs ? ::syncfs(fd) : ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0) throwSystemError("cannot flush", path.string());
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

void writeFileAtomic(const fs::path& path, const std::string& content) {
    // Unique per thread too: two threads may record the same entry's metadata at once.
    static std::atomic<unsigned> counter{0};
    const fs::path temp =
        path.string() + ".tmp~" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throwSystemError("cannot create", temp.string());
    auto fail = [&](const char* what) {
        const int saved = errno;
        ::unlink(temp.c_str());
        errno = saved;
        throwSystemError(what, temp.string());
    };
    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            errno = saved;
            fail("cannot write");
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        fail("cannot write");
    }
    if (::close(fd) != 0) fail("cannot write");
    if (::rename(temp.c_str(), path.c_str()) != 0) fail("cannot rename");
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throwSystemError("cannot read", path.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
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

void removeReadOnly(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        ::chmod(path.c_str(), 0755);
        std::error_code error;
        for (const auto& child : fs::directory_iterator(path, error))
            removeReadOnly(child.path());
    }
    std::error_code error;
    fs::remove(path, error);
    if (error) {
        throw StoreError("cannot remove " + quote(path.string()) + ": " + error.message());
    }
}

} // namespace xenbuild::store
