#pragma once
// Writing an initramfs: a newc cpio archive compressed with gzip, byte-for-byte reproducible.
// Entries are sorted by path, missing parent directories are added (0755), and every entry gets
// owner 0:0, mtime 0, a sequential inode number and no device numbers; the gzip header carries
// no timestamp. Only the content and the permission bits of files come from the host.

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::boot {

struct ArchiveEntry {
    enum class Kind { File, Directory, Symlink };

    std::string path; // inside the archive, without a leading '/': "usr/sbin/xl"
    Kind kind = Kind::File;
    unsigned mode = 0644;         // permission bits
    std::filesystem::path source; // File: content read from here (symlinks followed) ...
    std::string content;          // ... or, when `source` is empty, this text
    std::string target;           // Symlink: where it points

    static ArchiveEntry file(std::string path, std::filesystem::path source, unsigned mode);
    static ArchiveEntry text(std::string path, std::string content, unsigned mode);
    static ArchiveEntry directory(std::string path, unsigned mode = 0755);
    static ArchiveEntry symlink(std::string path, std::string target);
};

// Writes the archive to `output` atomically (a temporary file renamed into place). Throws
// BuildError for a path given twice, an absolute or `..` path, or a libarchive error (with the
// entry and the output path), SystemError when a source cannot be read.
void writeInitramfs(std::vector<ArchiveEntry> entries, const std::filesystem::path& output);

} // namespace xenbuild::boot
