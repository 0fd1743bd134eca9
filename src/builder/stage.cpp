#include "stage.hpp"

#include "xenbuild/util/archive.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace xenbuild::builder::detail {

namespace {

using util::Fd;

// Every path below is built lexically (`dir / name`) and every entry is examined with lstat:
// a symbolic link in a tree is data, never a way to somewhere else.

struct stat lstatOrThrow(const fs::path& path, const std::string& what) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) throwSystemError(what, path.string());
    return info;
}

std::string typeName(mode_t mode) {
    if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "of an unknown file type";
}

[[noreturn]] void refuseType(const std::string& what, const fs::path& path, mode_t mode) {
    throw BuildError(what + " " + quote(path.string()) + ": it is " + typeName(mode) +
                     "; a source tree may hold only directories, regular files and symbolic "
                     "links");
}

// Opens a regular file for reading without following a symbolic link and without blocking on
// a FIFO that replaced it since it was examined.
Fd openRegular(const fs::path& path, const std::string& what, struct stat& info) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) throwSystemError(what, path.string());
    if (::fstat(fd.get(), &info) != 0) throwSystemError(what, path.string());
    if (!S_ISREG(info.st_mode)) refuseType(what, path, info.st_mode);
    return fd;
}

// 1 s after the epoch: older than anything a build makes, and the same for every staged file.
constexpr struct timespec kStagedTimes[2] = {{1, 0}, {1, 0}};

void copyContents(int in, int out, const fs::path& source, const fs::path& target) {
    // copy_file_range shares extents where the filesystem can; read/write where it cannot.
    for (;;) {
        const auto copied = ::copy_file_range(in, nullptr, out, nullptr, std::size_t{1} << 30, 0);
        if (copied == 0) return;
        if (copied > 0) continue;
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) break;
        throwSystemError("cannot copy " + quote(source.string()) + " to", target.string());
    }
    util::readChunks(in, source,
                     [&](std::string_view chunk) { util::writeAll(out, chunk, target); });
}

void copyFile(const fs::path& source, const fs::path& target) {
    struct stat info {};
    const Fd in = openRegular(source, "cannot stage", info);
    // O_EXCL: never write through anything already at the target, a link above all.
    const Fd out(
        ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (out.get() < 0) throwSystemError("cannot create", target.string());
    copyContents(in.get(), out.get(), source, target);
    // Permission bits only (no setuid, setgid or sticky), owner-writable for patches.
    if (::fchmod(out.get(), (info.st_mode & 0777) | 0600) != 0) {
        throwSystemError("cannot set the mode of", target.string());
    }
    // Every staged file gets the same time, as in a Nix store: with copy times, whether make
    // regenerates a shipped generated file (Xen's flex output libxlu_disk_l.c beside its .l)
    // depended on whether a clock tick fell between two copies, and two builds of one plan
    // differed. With equal times, make uses what the source ships, every time.
    if (::futimens(out.get(), kStagedTimes) != 0) {
        throwSystemError("cannot set the time of", target.string());
    }
}

void copyLink(const fs::path& source, const fs::path& target) {
    std::error_code error;
    const fs::path text = fs::read_symlink(source, error);
    if (error)
        throw BuildError("cannot read link " + quote(source.string()) + ": " + error.message());
    if (::symlink(text.c_str(), target.c_str()) != 0)
        throwSystemError("cannot create link", target.string());
}

void makeDirectory(const fs::path& target) {
    if (::mkdir(target.c_str(), 0777) != 0)
        throwSystemError("cannot create directory", target.string());
}

std::vector<fs::path> childNames(const fs::path& dir) {
    std::vector<fs::path> names;
    std::error_code error;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
        names.push_back(it->path().filename());
    }
    if (error) throw BuildError("cannot list " + quote(dir.string()) + ": " + error.message());
    std::sort(names.begin(), names.end());
    return names;
}

// Copies the children of `from` into the existing directory `to`.
void copyChildren(const fs::path& from, const fs::path& to) {
    for (const auto& name : childNames(from)) {
        if (name == ".git") continue;
        const fs::path source = from / name;
        const fs::path target = to / name;
        const auto info = lstatOrThrow(source, "cannot stage");
        if (S_ISLNK(info.st_mode)) {
            copyLink(source, target);
        } else if (S_ISDIR(info.st_mode)) {
            makeDirectory(target);
            copyChildren(source, target);
        } else if (S_ISREG(info.st_mode)) {
            copyFile(source, target);
        } else {
            refuseType("cannot stage", source, info.st_mode);
        }
    }
}

// Every path under `dir` (relative, lexical, not entering linked directories), sorted.
void collectMembers(const fs::path& dir, const fs::path& relative, std::vector<fs::path>& out) {
    for (const auto& name : childNames(dir / relative)) {
        const fs::path member = relative.empty() ? name : relative / name;
        out.push_back(member);
        const auto info = lstatOrThrow(dir / member, "cannot pack");
        if (S_ISDIR(info.st_mode)) collectMembers(dir, member, out);
    }
}

void writeMember(util::ArchiveWriter& writer, const fs::path& dir, const fs::path& relative,
                 const std::string& prefix) {
    const fs::path path = dir / relative;
    auto info = lstatOrThrow(path, "cannot pack");
    const std::string name = prefix + "/" + relative.string();
    if (S_ISLNK(info.st_mode)) {
        std::error_code error;
        const fs::path target = fs::read_symlink(path, error);
        if (error)
            throw BuildError("cannot read link " + quote(path.string()) + ": " + error.message());
        writer.addSymlink(name, target.string());
    } else if (S_ISDIR(info.st_mode)) {
        writer.addDirectory(name, 0755);
    } else if (S_ISREG(info.st_mode)) {
        const Fd content = openRegular(path, "cannot pack", info);
        writer.addFile(name, (info.st_mode & S_IXUSR) ? 0755 : 0644, content.get(),
                       static_cast<std::uint64_t>(info.st_size), path);
    } else {
        refuseType("cannot pack", path, info.st_mode);
    }
}

} // namespace

void copyTree(const fs::path& from, const fs::path& to) {
    struct stat info {};
    if (::stat(from.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        throw BuildError("cannot stage " + quote(from.string()) + ": not a directory");
    }
    makeDirectory(to);
    copyChildren(from, to);
}

void createDirectoriesWithin(const fs::path& root, const fs::path& relative) {
    fs::path current = root;
    for (const auto& part : relative) {
        if (part.empty() || part == ".") continue;
        if (relative.is_absolute() || part == "..") {
            throw BuildError("cannot stage at " + quote(relative.string()) +
                             ": the location must be a relative path inside the tree");
        }
        current /= part;
        struct stat info {};
        if (::lstat(current.c_str(), &info) != 0) {
            if (errno != ENOENT) throwSystemError("cannot examine", current.string());
            makeDirectory(current);
        } else if (S_ISLNK(info.st_mode)) {
            throw BuildError("cannot stage at " + quote(relative.string()) + ": " +
                             quote(current.string()) +
                             " is a symbolic link, and staging never writes through links");
        } else if (!S_ISDIR(info.st_mode)) {
            throw BuildError("cannot stage at " + quote(relative.string()) + ": " +
                             quote(current.string()) + " is not a directory");
        }
    }
}

void writeTarball(const fs::path& dir, const std::string& prefix, const fs::path& file,
                  std::int64_t mtime) {
    // O_NOFOLLOW: a link left at the tarball's place must not redirect the write.
    Fd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (out.get() < 0) throwSystemError("cannot create tarball", file.string());
    std::vector<fs::path> members;
    collectMembers(dir, {}, members);
    std::sort(members.begin(), members.end());
    translateError<BuildError, ArchiveError>([&] {
        util::ArchiveWriter writer(out.get(), util::ArchiveWriter::Format::TarGz, file.string(),
                                   mtime);
        for (const auto& member : members) {
            writeMember(writer, dir, member, prefix);
        }
        writer.finish();
    });
}

} // namespace xenbuild::builder::detail
