// NAR reading: unpacking a NAR from an untrusted source (a binary cache) into a new tree.
// Every token is checked against the grammar `dumpNar` writes, with limits on sizes, names,
// nesting and entry counts; the tree is written only through file descriptors of directories
// this reader created.

#include "xenbuild/store/nar.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xenbuild::store {

namespace {

using util::Fd;

class NarReader {
  public:
    NarReader(const NarSource& source, std::string what, const NarLimits& limits)
        : source_(source), what_(std::move(what)), limits_(limits) {}

    util::Hash restore(const std::filesystem::path& dest) {
        expect("nix-archive-1", "the NAR magic");
        Fd parent(::open(dest.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (parent.get() < 0)
            throwSystemError("cannot open directory", dest.parent_path().string());
        node(parent.get(), dest.filename().string(), 0);
        std::array<char, 1> extra{};
        if (read(extra.data(), extra.size()) != 0) fail("data after the end of the archive");
        return hash_.finish();
    }

  private:
    [[noreturn]] void fail(const std::string& problem) const {
        throw StoreError("malformed NAR " + what_ + " at byte " + std::to_string(offset_) + ": " +
                         problem);
    }

    std::size_t read(void* data, std::size_t length) {
        std::size_t done = 0;
        while (done < length) {
            const std::size_t got = source_(static_cast<char*>(data) + done, length - done);
            if (got == 0) break;
            done += got;
        }
        hash_.update(data, done);
        offset_ += done;
        if (limits_.bytes != 0 && offset_ > limits_.bytes) {
            fail("larger than the limit of " + std::to_string(limits_.bytes) + " bytes");
        }
        return done;
    }

    void readExact(void* data, std::size_t length) {
        if (read(data, length) != length) fail("truncated");
    }

    std::uint64_t number() {
        std::array<unsigned char, 8> bytes{};
        readExact(bytes.data(), bytes.size());
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < bytes.size(); ++i)
            value |= std::uint64_t{bytes[i]} << (8 * i);
        return value;
    }

    void padding(std::uint64_t length) {
        const auto pad = static_cast<std::size_t>((8 - length % 8) % 8);
        std::array<char, 8> zeros{};
        readExact(zeros.data(), pad);
        for (std::size_t i = 0; i < pad; ++i) {
            if (zeros[i] != 0) fail("non-zero padding");
        }
    }

    std::string string(std::uint64_t maxLength, const char* what) {
        const std::uint64_t length = number();
        if (length > maxLength) {
            fail(std::string(what) + " of " + std::to_string(length) + " bytes is too long");
        }
        std::string text(static_cast<std::size_t>(length), '\0');
        readExact(text.data(), text.size());
        padding(length);
        return text;
    }

    // The grammar's tokens are short.
    std::string token() { return string(64, "a token"); }

    void expect(std::string_view wanted, const char* where) {
        const std::string got = token();
        if (got != wanted) fail("expected '" + std::string(wanted) + "' (" + where + ")");
    }

    void countEntry() {
        if (limits_.entries != 0 && ++entries_ > limits_.entries) {
            fail("more than " + std::to_string(limits_.entries) + " entries");
        }
    }

    void node(int dirFd, const std::string& name, std::uint64_t depth) {
        countEntry();
        expect("(", "start of a node");
        expect("type", "a node's type");
        const std::string type = token();
        if (type == "regular") {
            regular(dirFd, name);
        } else if (type == "symlink") {
            expect("target", "a symlink's target");
            const std::string target = string(limits_.targetLength, "a symlink target");
            if (target.empty() || target.find('\0') != std::string::npos) {
                fail("invalid symlink target");
            }
            if (::symlinkat(target.c_str(), dirFd, name.c_str()) != 0) {
                throwSystemError("cannot create symlink", name);
            }
            expect(")", "end of a symlink");
        } else if (type == "directory") {
            directory(dirFd, name, depth);
        } else {
            fail("unknown node type");
        }
    }

    void regular(int dirFd, const std::string& name) {
        std::string next = token();
        bool executable = false;
        if (next == "executable") {
            executable = true;
            expect("", "the executable marker");
            next = token();
        }
        if (next != "contents") fail("expected 'contents'");
        const std::uint64_t size = number();
        if (limits_.bytes != 0 && size > limits_.bytes) fail("a file larger than the limit");
        Fd fd(::openat(dirFd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       executable ? 0755 : 0644));
        if (fd.get() < 0) throwSystemError("cannot create", name);
        std::array<char, 256 * 1024> buffer{};
        std::uint64_t left = size;
        while (left > 0) {
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
            readExact(buffer.data(), want);
            if (const auto error = util::tryWriteAll(fd.get(), {buffer.data(), want})) {
                errno = error.value();
                throwSystemError("cannot write", name);
            }
            left -= want;
        }
        padding(size);
        expect(")", "end of a file");
    }

    void directory(int dirFd, const std::string& name, std::uint64_t depth) {
        if (depth >= limits_.depth) fail("directories nested too deeply");
        if (::mkdirat(dirFd, name.c_str(), 0755) != 0) throwSystemError("cannot create", name);
        Fd fd(::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0) throwSystemError("cannot open directory", name);
        std::string previous;
        bool first = true;
        for (;;) {
            const std::string next = token();
            if (next == ")") return;
            if (next != "entry") fail("expected 'entry' or ')'");
            expect("(", "start of an entry");
            expect("name", "an entry's name");
            const std::string child = string(limits_.nameLength, "an entry name");
            if (child.empty() || child == "." || child == ".." ||
                child.find('/') != std::string::npos || child.find('\0') != std::string::npos) {
                fail("invalid entry name '" + child + "'");
            }
            if (!first && child <= previous) fail("entries not sorted or repeated");
            first = false;
            previous = child;
            expect("node", "an entry's node");
            node(fd.get(), child, depth + 1);
            expect(")", "end of an entry");
        }
    }

    const NarSource& source_;
    std::string what_;
    NarLimits limits_;
    util::Sha256 hash_;
    std::uint64_t offset_ = 0;
    std::uint64_t entries_ = 0;
};

} // namespace

util::Hash restoreNar(const NarSource& source, const std::filesystem::path& dest,
                      const std::string& what, const NarLimits& limits) {
    return NarReader(source, what, limits).restore(dest);
}

} // namespace xenbuild::store
