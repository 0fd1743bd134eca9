// NAR serialisation. Performance matters (whole Xen trees are hashed on every fetch and by
// `store verify`, and sha256 itself is the floor): a walker thread serialises the tree into a
// small pool of large chunks (framing strings and file contents read straight into the chunk,
// no other copies) while the caller's thread feeds full chunks to the sink, so the system calls
// overlap with hashing. Directories are walked through file descriptors (openat/fstatat), so
// no path strings are built except the one kept for error messages.

#include "xenbuild/store/nar.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xenbuild::store {

namespace {

constexpr std::size_t chunkSize = 256 * 1024;
constexpr std::size_t chunkCount = 8;

struct Chunk {
    std::unique_ptr<char[]> data = std::make_unique<char[]>(chunkSize);
    std::size_t used = 0;
};

// A bounded hand-off of chunks from the walker (producer) to the sink (consumer).
class ChunkPipe {
  public:
    ChunkPipe() {
        for (auto& chunk : chunks_)
            free_.push_back(&chunk);
    }

    Chunk* acquire() { // producer; nullptr once the consumer gave up
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return cancelled_ || !free_.empty(); });
        if (cancelled_) return nullptr;
        Chunk* chunk = free_.front();
        free_.pop_front();
        chunk->used = 0;
        return chunk;
    }
    void publish(Chunk* chunk) { push(full_, chunk); }
    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        changed_.notify_all();
    }

    Chunk* next() { // consumer; nullptr at the end
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return closed_ || !full_.empty(); });
        if (full_.empty()) return nullptr;
        Chunk* chunk = full_.front();
        full_.pop_front();
        return chunk;
    }
    void release(Chunk* chunk) { push(free_, chunk); }
    void cancel() {
        std::lock_guard lock(mutex_);
        cancelled_ = true;
        changed_.notify_all();
    }

  private:
    void push(std::deque<Chunk*>& queue, Chunk* chunk) {
        std::lock_guard lock(mutex_);
        queue.push_back(chunk);
        changed_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::array<Chunk, chunkCount> chunks_;
    std::deque<Chunk*> free_;
    std::deque<Chunk*> full_;
    bool closed_ = false;
    bool cancelled_ = false;
};

struct Cancelled {}; // unwinds the walker when the consumer stopped

using util::Fd;

class NarWriter {
  public:
    explicit NarWriter(ChunkPipe& pipe) : pipe_(pipe) {}

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
            Chunk& chunk = room();
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(left, chunkSize - chunk.used));
            const ssize_t got = ::read(fd.get(), chunk.data.get() + chunk.used, want);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throwSystemError("cannot read", path_);
            if (got == 0) throw StoreError("file " + quote(path_) + " shrank while hashing");
            chunk.used += static_cast<std::size_t>(got);
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

    // The current chunk, with at least one free byte.
    Chunk& room() {
        if (current_ != nullptr && current_->used == chunkSize) {
            pipe_.publish(current_);
            current_ = nullptr;
        }
        if (current_ == nullptr) {
            current_ = pipe_.acquire();
            if (current_ == nullptr) throw Cancelled{};
        }
        return *current_;
    }

    void bytes(const char* data, std::size_t length) {
        while (length > 0) {
            Chunk& chunk = room();
            const std::size_t n = std::min(length, chunkSize - chunk.used);
            std::memcpy(chunk.data.get() + chunk.used, data, n);
            chunk.used += n;
            data += n;
            length -= n;
        }
    }

    void flush() {
        if (current_ != nullptr && current_->used > 0) pipe_.publish(current_);
        current_ = nullptr;
    }

    ChunkPipe& pipe_;
    Chunk* current_ = nullptr;
    std::string path_; // the node being serialised, for error messages
};

} // namespace

void dumpNar(const std::filesystem::path& path, const NarSink& sink) {
    ChunkPipe pipe;
    std::exception_ptr walkError;
    std::thread walker([&] {
        try {
            NarWriter writer(pipe);
            writer.dumpRoot(path);
        } catch (const Cancelled&) {
        } catch (...) {
            walkError = std::current_exception();
        }
        pipe.close();
    });
    try {
        while (Chunk* chunk = pipe.next()) {
            sink(chunk->data.get(), chunk->used);
            pipe.release(chunk);
        }
    } catch (...) {
        pipe.cancel();
        walker.join();
        throw;
    }
    walker.join();
    if (walkError) std::rethrow_exception(walkError);
}

util::Hash narHash(const std::filesystem::path& path) {
    util::Sha256 hasher;
    dumpNar(path, [&hasher](const void* data, std::size_t length) { hasher.update(data, length); });
    return hasher.finish();
}

} // namespace xenbuild::store
