// NAR serialisation. Performance matters (whole Xen trees are hashed on every fetch and by
// `store verify`): the writer batches the small framing strings into one buffer, file contents
// are read with large reads into one reused buffer, and directories are walked through file
// descriptors (openat/fstatat) so no path strings are built except for error messages.

#include "xenbuild/store/nar.hpp"

#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xenbuild::store {

namespace {

constexpr std::size_t frameCapacity = 64 * 1024;
constexpr std::size_t readChunk = 1024 * 1024;

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

class NarWriter {
  public:
    explicit NarWriter(const NarSink& sink) : sink_(sink) {
        frame_.reserve(frameCapacity);
        data_ = std::make_unique<char[]>(readChunk);
    }

    void dumpRoot(const std::filesystem::path& root) {
        path_ = root.string();
        struct stat st {};
        if (::lstat(path_.c_str(), &st) != 0) throwSystemError("cannot stat", path_);
        str("nix-archive-1");
        dumpNode(AT_FDCWD, path_.c_str(), st);
        flush();
    }

  private:
    void dumpNode(int dirFd, const char* name, const struct stat& st) {
        str("(");
        str("type");
        if (S_ISREG(st.st_mode)) {
            dumpRegular(dirFd, name, st);
        } else if (S_ISLNK(st.st_mode)) {
            dumpSymlink(dirFd, name, st);
        } else if (S_ISDIR(st.st_mode)) {
            dumpDirectory(dirFd, name);
        } else {
            throw StoreError("cannot serialise " + quote(path_) +
                             ": not a regular file, directory or symlink (fifo, socket or "
                             "device); remove it from the tree");
        }
        str(")");
    }

    void dumpRegular(int dirFd, const char* name, const struct stat& st) {
        str("regular");
        if ((st.st_mode & S_IXUSR) != 0) {
            str("executable");
            str("");
        }
        str("contents");
        Fd fd(::openat(dirFd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0) throwSystemError("cannot open", path_);
        const auto size = static_cast<std::uint64_t>(st.st_size);
        number(size);
        std::uint64_t left = size;
        while (left > 0) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, readChunk));
            const ssize_t got = ::read(fd.get(), data_.get(), want);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throwSystemError("cannot read", path_);
            if (got == 0) throw StoreError("file " + quote(path_) + " shrank while hashing");
            bytes(data_.get(), static_cast<std::size_t>(got));
            left -= static_cast<std::uint64_t>(got);
        }
        pad(size);
    }

    void dumpSymlink(int dirFd, const char* name, const struct stat& st) {
        str("symlink");
        str("target");
        std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
        const ssize_t got = ::readlinkat(dirFd, name, target.data(), target.size());
        if (got < 0) throwSystemError("cannot read symlink", path_);
        target.resize(static_cast<std::size_t>(got));
        str(target);
    }

    std::vector<std::string> readNames(int fd) {
        Fd listFd(::dup(fd));
        if (listFd.get() < 0) throwSystemError("cannot open directory", path_);
        std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(listFd.get()), ::closedir);
        if (!dir) throwSystemError("cannot open directory", path_);
        listFd.release();
        std::vector<std::string> names;
        errno = 0;
        while (const dirent* entry = ::readdir(dir.get())) {
            const std::string_view n(entry->d_name);
            if (n != "." && n != "..") names.emplace_back(n);
            errno = 0;
        }
        if (errno != 0) throwSystemError("cannot list directory", path_);
        std::sort(names.begin(), names.end()); // std::string compares bytewise (char_traits)
        return names;
    }

    void dumpDirectory(int dirFd, const char* name) {
        str("directory");
        Fd fd(::openat(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0) throwSystemError("cannot open directory", path_);
        const auto names = readNames(fd.get());
        const std::size_t base = path_.size();
        for (const auto& child : names) {
            path_.append("/").append(child);
            struct stat st {};
            if (::fstatat(fd.get(), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                throwSystemError("cannot stat", path_);
            }
            str("entry");
            str("(");
            str("name");
            str(child);
            str("node");
            dumpNode(fd.get(), child.c_str(), st);
            str(")");
            path_.resize(base);
        }
    }

    void number(std::uint64_t n) {
        char le[8];
        for (int i = 0; i < 8; ++i)
            le[i] = static_cast<char>((n >> (8 * i)) & 0xff);
        bytes(le, 8);
    }

    void pad(std::uint64_t size) {
        static constexpr char zeros[8] = {};
        if (size % 8 != 0) bytes(zeros, 8 - static_cast<std::size_t>(size % 8));
    }

    void str(std::string_view s) {
        number(s.size());
        bytes(s.data(), s.size());
        pad(s.size());
    }

    void bytes(const char* data, std::size_t length) {
        if (frame_.size() + length <= frameCapacity) {
            frame_.insert(frame_.end(), data, data + length);
            return;
        }
        flush();
        if (length >= frameCapacity) {
            sink_(data, length);
        } else {
            frame_.insert(frame_.end(), data, data + length);
        }
    }

    void flush() {
        if (!frame_.empty()) sink_(frame_.data(), frame_.size());
        frame_.clear();
    }

    const NarSink& sink_;
    std::vector<char> frame_;
    std::unique_ptr<char[]> data_;
    std::string path_; // the node being serialised, for error messages
};

} // namespace

void dumpNar(const std::filesystem::path& path, const NarSink& sink) {
    NarWriter writer(sink);
    writer.dumpRoot(path);
}

util::Hash narHash(const std::filesystem::path& path) {
    util::Sha256 hasher;
    dumpNar(path, [&hasher](const void* data, std::size_t length) { hasher.update(data, length); });
    return hasher.finish();
}

} // namespace xenbuild::store
