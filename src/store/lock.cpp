#include "xenbuild/store/lock.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/log.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace xenbuild::store {

namespace {

util::Fd openLockFile(const std::filesystem::path& path) {
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    util::Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid()) {
        const int saved = errno;
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
            throw StoreError("cannot open lock file " + quote(path.string()) +
                             ": it is not a regular file; remove it (lock files are created "
                             "again when needed and hold no data)");
        }
        errno = saved;
        throwSystemError("cannot open lock file", path.string());
    }
    return fd;
}

int lockOperation(FileLock::Mode mode) {
    return mode == FileLock::Mode::Exclusive ? LOCK_EX : LOCK_SH;
}

std::string commandLine(long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(text.begin(), text.end(), '\0', ' ');
    while (!text.empty() && text.back() == ' ')
        text.pop_back();
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    return text;
}

} // namespace

std::string FileLock::describeHolders(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "another process";
    // /proc/locks: "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5349453 0 EOF"; waiters have "->".
    std::ifstream in("/proc/locks");
    std::set<long> pids;
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string number, type, advisory, access, device;
        long pid = 0;
        if (!(fields >> number >> type) || type != "FLOCK") continue;
        if (!(fields >> advisory >> access >> pid >> device)) continue;
        unsigned major = 0, minor = 0;
        unsigned long inode = 0;
        if (std::sscanf(device.c_str(), "%x:%x:%lu", &major, &minor, &inode) != 3) continue;
        if (inode != st.st_ino || major != ::major(st.st_dev) || minor != ::minor(st.st_dev)) {
            continue;
        }
        if (pid > 0) pids.insert(pid);
    }
    if (pids.empty()) return "another process";
    std::string text;
    for (const long pid : pids) {
        if (!text.empty()) text += ", ";
        const std::string command = commandLine(pid);
        text += "process " + std::to_string(pid) + (command.empty() ? "" : " (" + command + ")");
    }
    return text;
}

FileLock FileLock::acquire(const std::filesystem::path& path, Mode mode,
                           const std::string& purpose) {
    util::Fd fd = openLockFile(path);
    bool waited = false;
    std::chrono::steady_clock::time_point started;
    int operation = lockOperation(mode) | LOCK_NB;
    while (::flock(fd.get(), operation) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK && !waited) {
            waited = true;
            started = std::chrono::steady_clock::now();
            util::logger()->warn("waiting for {} to release the lock {}{}", describeHolders(path),
                                 path.string(), purpose.empty() ? "" : " (" + purpose + ")");
            operation = lockOperation(mode);
            continue;
        }
        throwSystemError("cannot lock", path.string());
    }
    if (waited) {
        util::logger()->info(
            "got the lock {} after {:.1f} s", path.string(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    return FileLock(std::move(fd));
}

std::optional<FileLock> FileLock::tryAcquire(const std::filesystem::path& path, Mode mode) {
    util::Fd fd = openLockFile(path);
    if (::flock(fd.get(), lockOperation(mode) | LOCK_NB) == 0) return FileLock(std::move(fd));
    if (errno == EWOULDBLOCK) return std::nullopt;
    throwSystemError("cannot lock", path.string());
}

} // namespace xenbuild::store
