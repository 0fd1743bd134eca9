#pragma once
// The one wrapper of libarchive: reading an archive member by member, writing a reproducible one,
// and decompressing a gzip file. No libarchive type appears here. Every libarchive failure is an
// ArchiveError naming the archive and carrying libarchive's own message; what a member may
// contain (paths, links, sizes) is the caller's to check.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace xenbuild::util {

struct ArchiveMember {
    enum class Type { Regular, Directory, Symlink, Other }; // Other: a device, fifo or socket

    std::string path; // as recorded: unchecked, maybe absolute or with '..'
    Type type = Type::Regular;
    unsigned perm = 0;                     // permission bits
    std::optional<std::int64_t> size;      // the size the header declares, when it declares one
    std::string symlinkTarget;             // Symlink: the target as recorded
    std::optional<std::string> hardLinkTo; // a hard link to this earlier member's path
    std::int64_t uid = 0;
    std::int64_t gid = 0;
    std::int64_t mtime = 0;
};

struct ArchiveBlock {
    const char* data = nullptr; // valid until the next call on the reader
    std::size_t size = 0;
    std::uint64_t offset = 0; // where in the member it goes (a sparse member skips holes)
};

class ArchiveReader {
  public:
    // Opens the archive at `path`, in any format and compression libarchive reads. `label` names
    // it in messages (a URL, say; the path when empty). Throws ArchiveError
    // "cannot open archive '<label>': <reason>".
    explicit ArchiveReader(const std::filesystem::path& path, std::string label = {});
    ~ArchiveReader();
    ArchiveReader(const ArchiveReader&) = delete;
    ArchiveReader& operator=(const ArchiveReader&) = delete;

    // The next member's header, or nullopt after the last. Throws ArchiveError
    // "cannot read archive '<label>': <reason>".
    std::optional<ArchiveMember> next();

    // The next block of the current member's data, or nullopt at its end. Throws ArchiveError
    // "cannot read entry '<member>' of '<label>': <reason>".
    std::optional<ArchiveBlock> readBlock();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Writes a byte-for-byte reproducible archive: members in the order they are added (callers add
// them in a fixed, sorted order), owner 0:0, one modification time for all, no device numbers,
// and no timestamp in the gzip header (zstd frames carry none).
class ArchiveWriter {
  public:
    enum class Format {
        TarGz,  // POSIX tar (pax restricted: ustar, extended headers only where needed), gzip
        CpioGz, // newc cpio, what Linux unpacks as an initramfs, gzip; inodes numbered from 1
        TarZst, // the same tar, zstd level 3 on worker threads (the bytes do not depend on their
                // number)
    };

    // Writes to `fd`, which stays open and owned by the caller; `label` names the output in
    // messages. Throws ArchiveError "cannot write archive '<label>': <reason>".
    ArchiveWriter(int fd, Format format, std::string label, std::int64_t mtime = 0);
    ~ArchiveWriter();
    ArchiveWriter(const ArchiveWriter&) = delete;
    ArchiveWriter& operator=(const ArchiveWriter&) = delete;

    // Each throws ArchiveError "cannot write archive '<label>' (entry '<path>'): <reason>".
    void addDirectory(const std::string& path, unsigned perm);
    void addSymlink(const std::string& path, const std::string& target);
    void addFile(const std::string& path, unsigned perm, std::string_view content);
    // A file of `size` bytes read from `fd` to its end; `source` names it when reading fails
    // (SystemError "cannot read '<source>': <reason>").
    void addFile(const std::string& path, unsigned perm, int fd, std::uint64_t size,
                 const std::filesystem::path& source);

    // Writes the end of the archive and flushes the compressor: without it the output is cut
    // short. Throws ArchiveError "cannot write archive '<label>': <reason>".
    void finish();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The decompressed content of the gzip file at `path` (a single stream, not an archive). Throws
// ArchiveError "cannot decompress '<path>': <reason>".
std::string gunzipFile(const std::filesystem::path& path);

} // namespace xenbuild::util
