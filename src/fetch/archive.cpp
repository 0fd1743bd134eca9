// Safe archive extraction. util::ArchiveReader reads the members; they are written here with
// our own system calls (not libarchive's archive_write_disk) so every rule is explicit: each
// parent directory is checked not to be a symlink before anything is created below it, and
// nothing is followed.

#include "xenbuild/fetch/archive.hpp"

#include "xenbuild/util/archive.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::fetch {

namespace {

// Splits an entry path into components, dropping "" and "."; nullopt when it must be refused.
std::optional<std::vector<std::string>> components(const std::string& path) {
    if (path.empty() || path[0] == '/') return std::nullopt;
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        const std::string part = path.substr(start, end - start);
        if (part == "..") return std::nullopt;
        if (!part.empty() && part != ".") parts.push_back(part);
        start = end + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i)
        out += (i == 0 ? "" : "/") + parts[i];
    return out;
}

enum class LinkWalk { Inside, Outside, TooDeep };

// Follows `target`, a symlink's text, from the directory `at` (components below `base`), through
// the symlinks that exist below `base`, lexically: every component is looked at with lstat, and
// a symlink's own target is walked in turn (at most 40 of them, like the kernel). Missing
// components and ".." after them are taken as plain directories would be. `at` ends as where
// the target leads.
LinkWalk walkLink(const std::string& base, std::vector<std::string>& at, const std::string& target,
                  unsigned& hops) {
    if (target.empty() || target[0] == '/') return LinkWalk::Outside;
    std::size_t start = 0;
    while (start <= target.size()) {
        const auto end = std::min(target.find('/', start), target.size());
        const std::string part = target.substr(start, end - start);
        start = end + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (at.empty()) return LinkWalk::Outside;
            at.pop_back();
            continue;
        }
        at.push_back(part);
        const std::string path = base + "/" + join(at, at.size());
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) continue;
        if (++hops > 40) return LinkWalk::TooDeep;
        std::string next(static_cast<std::size_t>(st.st_size) + 1, '\0');
        const ssize_t n = ::readlink(path.c_str(), next.data(), next.size());
        if (n < 0 || static_cast<std::size_t>(n) >= next.size()) return LinkWalk::Outside;
        next.resize(static_cast<std::size_t>(n));
        at.pop_back();
        if (const auto walked = walkLink(base, at, next, hops); walked != LinkWalk::Inside) {
            return walked;
        }
    }
    return LinkWalk::Inside;
}

std::string listNames(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < 10; ++i)
        out += (i == 0 ? "" : ", ") + quote(names[i]);
    if (names.size() > 10) out += ", ...";
    return out;
}

class Extractor {
  public:
    Extractor(fs::path archivePath, fs::path root, bool strip, const FetchLimits& limits,
              std::string label)
        : archivePath_(std::move(archivePath)), root_(std::move(root)), strip_(strip),
          limits_(limits), label_(std::move(label)) {
        std::error_code error;
        const auto size = fs::file_size(archivePath_, error);
        if (!error && limits_.ratio != 0) {
            const auto scaled =
                size > UINT64_MAX / limits_.ratio ? UINT64_MAX : size * limits_.ratio;
            ratioLimit_ = std::max(scaled, limits_.ratioFloor);
            archiveSize_ = size;
        }
    }

    void run() {
        util::ArchiveReader reader(archivePath_, label_);
        while (const auto member = reader.next()) {
            if (limits_.entries != 0 && ++entries_ > limits_.entries) {
                overLimit("it has more than " + std::to_string(limits_.entries) +
                              " entries (the entry limit)",
                          "entries=NUMBER");
            }
            extract(reader, *member);
        }
        // A later member may have changed what an earlier link goes through: check them all
        // again in the finished tree.
        for (const auto& parts : links_) {
            struct stat st {};
            if (::lstat(fullPath(parts, parts.size()).c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
                continue;
            }
            checkLink(join(parts, parts.size()), parts,
                      fs::read_symlink(fullPath(parts, parts.size())).string());
        }
    }

  private:
    [[noreturn]] void refuse(const std::string& entry, const std::string& why) {
        throw FetchError("refusing to unpack " + quote(label_) + ": entry " + quote(entry) + " " +
                         why);
    }

    [[noreturn]] void overLimit(const std::string& what, const std::string& setting) {
        throw FetchError("refusing to unpack " + quote(label_) + ": " + what +
                         "; if that is expected, raise the limit with " +
                         mention(Setting::FetchLimit) + " " + setting);
    }

    // Counts `more` bytes of file content against the unpacked size and ratio limits.
    void charge(std::uint64_t more) {
        bytes_ += more;
        if (limits_.unpackedBytes != 0 && bytes_ > limits_.unpackedBytes) {
            overLimit("it unpacks to more than " + describeBytes(limits_.unpackedBytes) +
                          " (the unpacked size limit)",
                      "unpacked=SIZE");
        }
        if (ratioLimit_ != 0 && bytes_ > ratioLimit_) {
            overLimit("it unpacks to more than " + describeBytes(ratioLimit_) + ", " +
                          std::to_string(limits_.ratio) + " times its own size of " +
                          describeBytes(archiveSize_) + " (a decompression bomb?)",
                      "ratio=NUMBER");
        }
    }

    std::string fullPath(const std::vector<std::string>& parts, std::size_t count) {
        return (root_ / join(parts, count)).string();
    }

    // Refuses the symlink `name` at `parts` unless `target` leads inside the tree, following the
    // links already extracted. The tree is the single top-level directory when stripping it.
    void checkLink(const std::string& name, const std::vector<std::string>& parts,
                   const std::string& target) {
        const std::size_t top = strip_ && parts.size() > 1 ? 1 : 0;
        const std::string base = fullPath(parts, top);
        std::vector<std::string> at(parts.begin() + static_cast<long>(top), parts.end() - 1);
        unsigned hops = 0;
        switch (walkLink(base, at, target, hops)) {
        case LinkWalk::Inside:
            return;
        case LinkWalk::Outside:
            refuse(name, "is a symlink to " + quote(target) +
                             ", which leads outside the tree (following the symlinks in it)");
        case LinkWalk::TooDeep:
            refuse(name, "is a symlink to " + quote(target) +
                             ", which goes through more than 40 symlinks (a loop?)");
        }
    }

    // Creates missing parents; refuses parents that are symlinks or not directories.
    void prepareParents(const std::string& name, const std::vector<std::string>& parts) {
        for (std::size_t i = 1; i < parts.size(); ++i) {
            const std::string path = fullPath(parts, i);
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0) {
                if (::mkdir(path.c_str(), 0755) != 0) throwSystemError("cannot create", path);
            } else if (S_ISLNK(st.st_mode)) {
                refuse(name, "would be written through the symlink " + quote(join(parts, i)));
            } else if (!S_ISDIR(st.st_mode)) {
                refuse(name, "is below " + quote(join(parts, i)) + ", which is not a directory");
            }
        }
    }

    // Removes what an earlier entry put at `path` (tar semantics: later entries win).
    void clearTarget(const std::string& name, const std::string& path, bool wantDirectory) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) return;
        if (S_ISDIR(st.st_mode)) {
            if (!wantDirectory) refuse(name, "replaces a directory");
            return;
        }
        if (::unlink(path.c_str()) != 0) throwSystemError("cannot replace", path);
    }

    void extract(util::ArchiveReader& reader, const util::ArchiveMember& member) {
        const std::string& name = member.path;
        const auto parts = components(name);
        if (!parts) refuse(name, "has an absolute path or a '..' component");
        if (parts->empty()) return; // "./"
        prepareParents(name, *parts);
        const std::string path = fullPath(*parts, parts->size());
        if (member.hardLinkTo) return hardLink(name, path, *member.hardLinkTo);
        switch (member.type) {
        case util::ArchiveMember::Type::Directory:
            clearTarget(name, path, true);
            if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
                throwSystemError("cannot create", path);
            }
            return;
        case util::ArchiveMember::Type::Symlink:
            return symlink(name, *parts, path, member.symlinkTarget);
        case util::ArchiveMember::Type::Regular:
            return regular(reader, member, path);
        case util::ArchiveMember::Type::Other:
            refuse(name, "is a device node, fifo or socket");
        }
    }

    void symlink(const std::string& name, const std::vector<std::string>& parts,
                 const std::string& path, const std::string& target) {
        if (target.empty()) refuse(name, "is a symlink with an empty target");
        if (target.size() >= PATH_MAX) {
            refuse(name, "is a symlink with a target of " + std::to_string(target.size()) +
                             " bytes, longer than a path can be");
        }
        if (target[0] == '/') {
            refuse(name,
                   "is a symlink to " + quote(target) + ", an absolute path outside the tree");
        }
        checkLink(name, parts, target);
        clearTarget(name, path, false);
        if (::symlink(target.c_str(), path.c_str()) != 0) throwSystemError("cannot create", path);
        links_.push_back(parts);
    }

    void hardLink(const std::string& name, const std::string& path, const std::string& target) {
        const auto targetParts = components(target);
        if (!targetParts || targetParts->empty()) {
            refuse(name, "is a hard link to " + quote(target) + ", outside the tree");
        }
        const std::string source = fullPath(*targetParts, targetParts->size());
        struct stat st {};
        for (std::size_t i = 1; i <= targetParts->size(); ++i) {
            const bool last = i == targetParts->size();
            if (::lstat(fullPath(*targetParts, i).c_str(), &st) != 0 ||
                (last ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode))) {
                refuse(name, "is a hard link to " + quote(target) +
                                 ", which is not a regular file extracted earlier");
            }
        }
        // Hashing reads every link in full: it counts like a copy.
        charge(static_cast<std::uint64_t>(st.st_size));
        clearTarget(name, path, false);
        if (::link(source.c_str(), path.c_str()) != 0) throwSystemError("cannot link", path);
    }

    void regular(util::ArchiveReader& reader, const util::ArchiveMember& member,
                 const std::string& path) {
        clearTarget(member.path, path, false);
        const mode_t mode = (member.perm & S_IXUSR) != 0 ? 0755 : 0644;
        // The declared size is charged before anything is written, then whatever the data
        // reaches beyond it (a member may hold more than its header says).
        std::uint64_t charged = 0;
        if (member.size && *member.size > 0) {
            charged = static_cast<std::uint64_t>(*member.size);
            charge(charged);
        }
        const util::Fd file(
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
        const int fd = file.get();
        if (fd < 0) throwSystemError("cannot create", path);
        while (const auto block = reader.readBlock()) {
            const std::uint64_t reach = block->offset + block->size;
            if (reach > charged) {
                charge(reach - charged);
                charged = reach;
            }
            std::size_t written = 0;
            while (written < block->size) {
                const ssize_t n = ::pwrite(fd, block->data + written, block->size - written,
                                           static_cast<off_t>(block->offset + written));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) throwSystemError("cannot write", path);
                written += static_cast<std::size_t>(n);
            }
        }
        // Sparse files may end in a hole.
        if (member.size && ::ftruncate(fd, static_cast<off_t>(*member.size)) != 0) {
            throwSystemError("cannot write", path);
        }
    }

    fs::path archivePath_;
    fs::path root_;
    bool strip_;
    const FetchLimits& limits_;
    std::string label_;
    std::uint64_t entries_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t ratioLimit_ = 0; // 0: no ratio limit
    std::uint64_t archiveSize_ = 0;
    std::vector<std::vector<std::string>> links_; // every symlink created, to check at the end
};

std::string kindOf(const fs::file_status& status) {
    if (fs::is_symlink(status)) return "the symlink";
    if (fs::is_regular_file(status)) return "the file";
    return "the entry";
}

void moveSingleTopLevel(const std::string& label, const fs::path& unpacked, const fs::path& dest) {
    std::vector<std::string> top;
    for (const auto& item : fs::directory_iterator(unpacked))
        top.push_back(item.path().filename().string());
    std::sort(top.begin(), top.end());
    const std::string expected = "cannot unpack " + quote(label) +
                                 ": expected a single top-level directory (the archive's files "
                                 "inside one directory, like 'xen-4.19.0/...'), found ";
    if (top.empty()) throw FetchError(expected + "an empty archive");
    const auto status = fs::symlink_status(unpacked / top[0]);
    if (top.size() == 1 && !fs::is_directory(status)) {
        throw FetchError(expected + "only " + kindOf(status) + " " + quote(top[0]));
    }
    if (top.size() > 1) {
        throw FetchError(expected + std::to_string(top.size()) +
                         " top-level entries: " + listNames(top));
    }
    fs::rename(unpacked / top[0], dest);
}

} // namespace

void extractArchive(const fs::path& archive, const fs::path& dest, bool stripTopLevel,
                    const FetchLimits& limits, const std::string& label) {
    const std::string named = label.empty() ? archive.string() : label;
    const fs::path root = stripTopLevel ? fs::path(dest.string() + "~unpack") : dest;
    util::removeReadOnly(root);
    fs::create_directories(root);
    try {
        translateError<FetchError, ArchiveError>(
            [&] { Extractor(archive, root, stripTopLevel, limits, named).run(); });
        if (stripTopLevel) {
            moveSingleTopLevel(named, root, dest);
            util::removeReadOnly(root);
        }
    } catch (...) {
        // Nothing half-unpacked stays behind.
        util::removeReadOnly(root);
        if (stripTopLevel) util::removeReadOnly(dest);
        throw;
    }
}

} // namespace xenbuild::fetch
