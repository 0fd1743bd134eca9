#include "xenbuild/boot/initramfs.hpp"

#include "xenbuild/util/error.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>

namespace fs = std::filesystem;

namespace xenbuild::boot {

ArchiveEntry ArchiveEntry::file(std::string path, fs::path source, unsigned mode) {
    ArchiveEntry entry;
    entry.path = std::move(path);
    entry.source = std::move(source);
    entry.mode = mode;
    return entry;
}

ArchiveEntry ArchiveEntry::text(std::string path, std::string content, unsigned mode) {
    ArchiveEntry entry;
    entry.path = std::move(path);
    entry.content = std::move(content);
    entry.mode = mode;
    return entry;
}

ArchiveEntry ArchiveEntry::directory(std::string path, unsigned mode) {
    ArchiveEntry entry;
    entry.path = std::move(path);
    entry.kind = Kind::Directory;
    entry.mode = mode;
    return entry;
}

ArchiveEntry ArchiveEntry::symlink(std::string path, std::string target) {
    ArchiveEntry entry;
    entry.path = std::move(path);
    entry.kind = Kind::Symlink;
    entry.mode = 0777;
    entry.target = std::move(target);
    return entry;
}

namespace {

struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

void checkPath(const std::string& path) {
    const fs::path p(path);
    const bool escapes = std::any_of(
        p.begin(), p.end(), [](const fs::path& part) { return part == ".." || part == "."; });
    if (path.empty() || p.is_absolute() || escapes || path.back() == '/') {
        throw BuildError("initramfs entry " + quote(path) +
                         " must be a relative path without '.' or '..' components");
    }
}

// The entries by path, with every missing parent directory added.
std::map<std::string, ArchiveEntry> normalise(std::vector<ArchiveEntry> entries) {
    std::map<std::string, ArchiveEntry> byPath;
    for (auto& entry : entries) {
        checkPath(entry.path);
        const std::string path = entry.path;
        if (!byPath.emplace(path, std::move(entry)).second) {
            throw BuildError("initramfs entry " + quote(path) + " is given twice");
        }
    }
    std::vector<std::string> parents;
    for (const auto& [path, entry] : byPath) {
        for (fs::path parent = fs::path(path).parent_path(); !parent.empty();
             parent = parent.parent_path()) {
            parents.push_back(parent.string());
        }
    }
    for (const auto& parent : parents) {
        byPath.emplace(parent, ArchiveEntry::directory(parent));
    }
    return byPath;
}

class CpioWriter {
  public:
    explicit CpioWriter(const fs::path& output) : output_(output), a_(archive_write_new()) {
        if (!a_) throw BuildError("cannot create an archive writer for " + quote(output.string()));
        check(archive_write_set_format_cpio_newc(a_.get()), "newc format");
        check(archive_write_add_filter_gzip(a_.get()), "gzip filter");
        check(archive_write_set_filter_option(a_.get(), "gzip", "timestamp", nullptr),
              "gzip without timestamp");
        check(archive_write_set_bytes_in_last_block(a_.get(), 1), "block padding");
        check(archive_write_open_filename(a_.get(), output.c_str()), "opening the output");
    }

    void add(const ArchiveEntry& entry, std::int64_t inode) {
        std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
        archive_entry_set_pathname(e.get(), entry.path.c_str());
        archive_entry_set_perm(e.get(), static_cast<mode_t>(entry.mode & 07777));
        archive_entry_set_uid(e.get(), 0);
        archive_entry_set_gid(e.get(), 0);
        archive_entry_set_mtime(e.get(), 0, 0);
        archive_entry_set_ino64(e.get(), inode);
        archive_entry_set_dev(e.get(), 0);
        archive_entry_set_nlink(e.get(), entry.kind == ArchiveEntry::Kind::Directory ? 2 : 1);
        archive_entry_set_size(e.get(), 0); // files set theirs; the writer sizes symlinks
        const std::string what = "entry " + quote(entry.path);
        switch (entry.kind) {
        case ArchiveEntry::Kind::Directory:
            archive_entry_set_filetype(e.get(), AE_IFDIR);
            check(archive_write_header(a_.get(), e.get()), what);
            break;
        case ArchiveEntry::Kind::Symlink:
            archive_entry_set_filetype(e.get(), AE_IFLNK);
            archive_entry_set_symlink(e.get(), entry.target.c_str());
            check(archive_write_header(a_.get(), e.get()), what);
            break;
        case ArchiveEntry::Kind::File:
            archive_entry_set_filetype(e.get(), AE_IFREG);
            writeFile(entry, e.get(), what);
            break;
        }
    }

    void close() { check(archive_write_close(a_.get()), "finishing the archive"); }

  private:
    void writeFile(const ArchiveEntry& entry, archive_entry* e, const std::string& what) {
        if (entry.source.empty()) {
            archive_entry_set_size(e, static_cast<la_int64_t>(entry.content.size()));
            check(archive_write_header(a_.get(), e), what);
            write(entry.content.data(), entry.content.size(), what);
            return;
        }
        std::ifstream in(entry.source, std::ios::binary);
        if (!in) throwSystemError("cannot open", entry.source.string());
        archive_entry_set_size(e, static_cast<la_int64_t>(fs::file_size(entry.source)));
        check(archive_write_header(a_.get(), e), what);
        std::string buffer(1 << 16, '\0');
        while (in) {
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            write(buffer.data(), static_cast<std::size_t>(in.gcount()), what);
        }
        if (in.bad()) throwSystemError("cannot read", entry.source.string());
    }

    void write(const char* data, std::size_t size, const std::string& what) {
        if (size > 0 && archive_write_data(a_.get(), data, size) < 0) {
            check(ARCHIVE_FATAL, what);
        }
    }

    void check(int status, const std::string& what) const {
        if (status >= ARCHIVE_WARN) return;
        const char* message = archive_error_string(a_.get());
        throw BuildError("writing initramfs " + quote(output_.string()) + " (" + what +
                         "): " + (message ? message : "unknown libarchive error"));
    }

    fs::path output_;
    std::unique_ptr<archive, WriteFree> a_;
};

} // namespace

void writeInitramfs(std::vector<ArchiveEntry> entries, const fs::path& output) {
    const auto byPath = normalise(std::move(entries));
    const fs::path temporary = output.string() + ".tmp";
    try {
        CpioWriter writer(temporary);
        std::int64_t inode = 1;
        for (const auto& [path, entry] : byPath) {
            writer.add(entry, inode++);
        }
        writer.close();
    } catch (...) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw;
    }
    fs::rename(temporary, output);
}

} // namespace xenbuild::boot
