#include "xenbuild/util/file.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace xenbuild::util {

namespace {

std::string kindOf(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory, not a file";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe), not a regular file";
    if (S_ISCHR(mode)) return "a character device, not a regular file";
    if (S_ISBLK(mode)) return "a block device, not a regular file";
    if (S_ISSOCK(mode)) return "a socket, not a regular file";
    if (S_ISLNK(mode)) return "a symbolic link, not a regular file (links are not followed here)";
    return "not a regular file";
}

std::error_code lastError() {
    return {errno, std::generic_category()};
}

// " (a symbolic link to '<target>')" when `path` is a link, for messages about what it leads to.
std::string viaLink(const fs::path& path) {
    std::error_code error;
    const auto target = fs::read_symlink(path, error);
    return error ? "" : " (a symbolic link to " + quote(target.string()) + ")";
}

[[noreturn]] void refuse(const fs::path& path, const ReadLimits& limits, const std::string& why) {
    throw SystemError(limits.what + " " + quote(path.string()) +
                      (limits.followSymlinks ? viaLink(path) : "") + " is " + why);
}

[[noreturn]] void cannot(const char* verb, const fs::path& path, const ReadLimits& limits,
                         std::error_code error) {
    throw SystemError(std::string("cannot ") + verb + " " + limits.what + " " +
                      quote(path.string()) + ": " + describeFileError(path, error));
}

struct stat statOrThrow(const fs::path& path, const ReadLimits& limits) {
    struct stat st {};
    const int rc = limits.followSymlinks ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (rc != 0) cannot("read", path, limits, lastError());
    if (!S_ISREG(st.st_mode)) refuse(path, limits, kindOf(st.st_mode));
    return st;
}

[[noreturn]] void tooLarge(const fs::path& path, const ReadLimits& limits) {
    refuse(path, limits, "larger than the limit of " + formatSize(limits.maxBytes));
}

} // namespace

std::string formatSize(std::uint64_t bytes) {
    if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
    return std::to_string(bytes) + " bytes";
}

std::string describeFileError(const fs::path& path, const std::error_code& error) {
    if (error != std::errc::too_many_symbolic_link_levels) return error.message();
    fs::path prefix;
    for (const auto& part : path) {
        prefix /= part;
        struct stat st {};
        if (::stat(prefix.c_str(), &st) != 0 && errno == ELOOP) {
            return "symbolic link loop at " + quote(prefix.string());
        }
    }
    return "symbolic link loop at " + quote(path.string());
}

std::string readRegularFile(const fs::path& path, const ReadLimits& limits) {
    // stat first, so that a FIFO or device is never opened; then open without blocking and check
    // that the file opened is the one that was checked.
    const struct stat checked = statOrThrow(path, limits);
    if (static_cast<std::uint64_t>(checked.st_size) > limits.maxBytes) tooLarge(path, limits);
    const int flags =
        O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (limits.followSymlinks ? 0 : O_NOFOLLOW);
    const Fd fd(::open(path.c_str(), flags));
    if (fd.get() < 0) cannot("open", path, limits, lastError());
    struct stat opened {};
    if (::fstat(fd.get(), &opened) != 0) cannot("read", path, limits, lastError());
    if (!S_ISREG(opened.st_mode) || opened.st_dev != checked.st_dev ||
        opened.st_ino != checked.st_ino) {
        refuse(path, limits, "changing while it is read (it was replaced after it was checked)");
    }
    std::string content;
    content.reserve(static_cast<std::size_t>(opened.st_size));
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) cannot("read", path, limits, lastError());
        if (got == 0) return content;
        if (content.size() + static_cast<std::size_t>(got) > limits.maxBytes) {
            tooLarge(path, limits);
        }
        content.append(buffer, static_cast<std::size_t>(got));
    }
}

std::string readFile(const fs::path& path) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throwSystemError("cannot open", path.string());
    std::string content;
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) {
        content.reserve(static_cast<std::size_t>(st.st_size));
    }
    readChunks(fd.get(), path, [&](std::string_view chunk) { content.append(chunk); });
    return content;
}

void readChunks(int fd, const fs::path& path, const std::function<void(std::string_view)>& sink) {
    std::vector<char> buffer(std::size_t{1} << 16);
    for (;;) {
        const ssize_t got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throwSystemError("cannot read", path.string());
        if (got == 0) return;
        sink({buffer.data(), static_cast<std::size_t>(got)});
    }
}

std::error_code tryWriteAll(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return lastError();
        if (n == 0) return std::make_error_code(std::errc::no_space_on_device);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

void writeAll(int fd, std::string_view data, const fs::path& path) {
    if (const auto error = tryWriteAll(fd, data)) {
        throw SystemError("cannot write " + quote(path.string()) + ": " + error.message());
    }
}

namespace {

// Unique per process and per thread: two threads may record the same store entry's metadata at
// once, and two processes may link the same result.
fs::path temporaryBeside(const fs::path& path) {
    static std::atomic<unsigned> counter{0};
    return path.string() + ".tmp~" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

} // namespace

void writeFileAtomic(const fs::path& path, std::string_view content, unsigned mode) {
    const fs::path temp = temporaryBeside(path);
    Fd fd(
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode)));
    if (!fd.valid()) throwSystemError("cannot create", temp.string());
    try {
        writeAll(fd.get(), content, temp);
        if (::fsync(fd.get()) != 0 || fd.close() != 0)
            throwSystemError("cannot write", temp.string());
        if (::rename(temp.c_str(), path.c_str()) != 0)
            throwSystemError("cannot rename", temp.string());
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
}

void replaceWithSymlink(const fs::path& link, const fs::path& target) {
    const fs::path temp = temporaryBeside(link);
    if (::symlink(target.c_str(), temp.c_str()) != 0 || ::rename(temp.c_str(), link.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temp.c_str());
        throw SystemError("cannot link " + quote(link.string()) + ": " +
                          std::generic_category().message(saved));
    }
}

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
    if (error) throw SystemError("cannot remove " + quote(path.string()) + ": " + error.message());
}

} // namespace xenbuild::util
