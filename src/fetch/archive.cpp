// Safe archive extraction. The one file that uses libarchive. Entries are written with our own
// system calls (not archive_write_disk) so every rule is explicit: each parent directory is
// checked not to be a symlink before anything is created below it, and nothing is followed.

#include "xenbuild/fetch/archive.hpp"

#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::fetch {

namespace {

struct ArchiveDeleter {
    void operator()(archive* handle) const { archive_read_free(handle); }
};
using ArchiveHandle = std::unique_ptr<archive, ArchiveDeleter>;

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

// Whether a symlink at `parts` with `target` stays inside the tree (lexically).
bool symlinkStaysInside(const std::vector<std::string>& parts, const std::string& target) {
    if (target.empty() || target[0] == '/') return false;
    long depth = static_cast<long>(parts.size()) - 1; // the link's directory
    std::size_t start = 0;
    while (start <= target.size()) {
        const auto end = std::min(target.find('/', start), target.size());
        const std::string part = target.substr(start, end - start);
        if (part == "..") {
            if (--depth < 0) return false;
        } else if (!part.empty() && part != ".") {
            ++depth;
        }
        start = end + 1;
    }
    return true;
}

class Extractor {
  public:
    Extractor(fs::path archivePath, fs::path root)
        : archivePath_(std::move(archivePath)), root_(std::move(root)),
          handle_(archive_read_new()) {}

    void run() {
        archive_read_support_filter_all(handle_.get());
        archive_read_support_format_all(handle_.get());
        if (archive_read_open_filename(handle_.get(), archivePath_.c_str(), 1 << 20) !=
            ARCHIVE_OK) {
            libraryError("cannot open archive");
        }
        archive_entry* entry = nullptr;
        while (true) {
            const int rc = archive_read_next_header(handle_.get(), &entry);
            if (rc == ARCHIVE_EOF) break;
            if (rc < ARCHIVE_WARN) libraryError("cannot read archive");
            extract(entry);
        }
    }

  private:
    [[noreturn]] void libraryError(const std::string& what) {
        const char* message = archive_error_string(handle_.get());
        throw FetchError(what + " " + quote(archivePath_.string()) + ": " +
                         (message != nullptr ? message : "unknown libarchive error"));
    }

    [[noreturn]] void refuse(const std::string& entry, const std::string& why) {
        throw FetchError("refusing to unpack " + quote(archivePath_.string()) + ": entry " +
                         quote(entry) + " " + why);
    }

    std::string fullPath(const std::vector<std::string>& parts, std::size_t count) {
        return (root_ / join(parts, count)).string();
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

    void extract(archive_entry* entry) {
        const char* rawName = archive_entry_pathname(entry);
        const std::string name = rawName != nullptr ? rawName : "";
        const auto parts = components(name);
        if (!parts) refuse(name, "has an absolute path or a '..' component");
        if (parts->empty()) return; // "./"
        prepareParents(name, *parts);
        const std::string path = fullPath(*parts, parts->size());
        if (const char* link = archive_entry_hardlink(entry)) return hardLink(name, path, link);
        switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
            clearTarget(name, path, true);
            if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
                throwSystemError("cannot create", path);
            }
            return;
        case AE_IFLNK:
            return symlink(name, *parts, path, archive_entry_symlink(entry));
        case AE_IFREG:
            return regular(name, path, entry);
        default:
            refuse(name, "is a device node, fifo or socket");
        }
    }

    void symlink(const std::string& name, const std::vector<std::string>& parts,
                 const std::string& path, const char* rawTarget) {
        const std::string target = rawTarget != nullptr ? rawTarget : "";
        if (!symlinkStaysInside(parts, target)) {
            refuse(name, "is a symlink to " + quote(target) + ", outside the tree");
        }
        clearTarget(name, path, false);
        if (::symlink(target.c_str(), path.c_str()) != 0) throwSystemError("cannot create", path);
    }

    void hardLink(const std::string& name, const std::string& path, const std::string& target) {
        const auto targetParts = components(target);
        if (!targetParts || targetParts->empty()) {
            refuse(name, "is a hard link to " + quote(target) + ", outside the tree");
        }
        const std::string source = fullPath(*targetParts, targetParts->size());
        for (std::size_t i = 1; i <= targetParts->size(); ++i) {
            struct stat st {};
            const bool last = i == targetParts->size();
            if (::lstat(fullPath(*targetParts, i).c_str(), &st) != 0 ||
                (last ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode))) {
                refuse(name, "is a hard link to " + quote(target) +
                                 ", which is not a regular file extracted earlier");
            }
        }
        clearTarget(name, path, false);
        if (::link(source.c_str(), path.c_str()) != 0) throwSystemError("cannot link", path);
    }

    void regular(const std::string& name, const std::string& path, archive_entry* entry) {
        const mode_t perm = archive_entry_perm(entry);
        clearTarget(name, path, false);
        const mode_t mode = (perm & S_IXUSR) != 0 ? 0755 : 0644;
        const int fd =
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0) throwSystemError("cannot create", path);
        std::unique_ptr<int, void (*)(int*)> closer(new int(fd), [](int* p) {
            ::close(*p);
            delete p;
        });
        const void* block = nullptr;
        std::size_t size = 0;
        la_int64_t offset = 0;
        while (true) {
            const int rc = archive_read_data_block(handle_.get(), &block, &size, &offset);
            if (rc == ARCHIVE_EOF) break;
            if (rc < ARCHIVE_WARN) libraryError("cannot read entry " + quote(name) + " of");
            const auto* data = static_cast<const char*>(block);
            std::size_t written = 0;
            while (written < size) {
                const ssize_t n =
                    ::pwrite(fd, data + written, size - written,
                             static_cast<off_t>(offset) + static_cast<off_t>(written));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) throwSystemError("cannot write", path);
                written += static_cast<std::size_t>(n);
            }
        }
        // Sparse files may end in a hole.
        if (archive_entry_size_is_set(entry) != 0 &&
            ::ftruncate(fd, static_cast<off_t>(archive_entry_size(entry))) != 0) {
            throwSystemError("cannot write", path);
        }
    }

    fs::path archivePath_;
    fs::path root_;
    ArchiveHandle handle_;
};

void moveSingleTopLevel(const fs::path& archive, const fs::path& unpacked, const fs::path& dest) {
    std::vector<fs::path> top;
    for (const auto& item : fs::directory_iterator(unpacked))
        top.push_back(item.path());
    if (top.size() != 1 || !fs::is_directory(fs::symlink_status(top[0]))) {
        throw FetchError("cannot unpack " + quote(archive.string()) +
                         ": expected a single "
                         "top-level directory, found " +
                         std::to_string(top.size()) + " top-level entries");
    }
    fs::rename(top[0], dest);
}

} // namespace

void extractArchive(const fs::path& archive, const fs::path& dest, bool stripTopLevel) {
    const fs::path root = stripTopLevel ? fs::path(dest.string() + "~unpack") : dest;
    store::removeReadOnly(root);
    fs::create_directories(root);
    try {
        Extractor(archive, root).run();
        if (stripTopLevel) {
            moveSingleTopLevel(archive, root, dest);
            store::removeReadOnly(root);
        }
    } catch (...) {
        if (stripTopLevel) store::removeReadOnly(root);
        throw;
    }
}

} // namespace xenbuild::fetch
