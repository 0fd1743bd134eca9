// Writing reproducible archives with libarchive (see archive_read.cpp for reading).

#include "xenbuild/util/archive.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <thread>

#include <archive.h>
#include <archive_entry.h>

namespace fs = std::filesystem;

namespace xenbuild::util {

namespace {

struct WriteFree {
    void operator()(archive* handle) const { archive_write_free(handle); }
};
struct EntryFree {
    void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using EntryHandle = std::unique_ptr<archive_entry, EntryFree>;

} // namespace

struct ArchiveWriter::Impl {
    std::unique_ptr<archive, WriteFree> handle{archive_write_new()};
    Format format = Format::TarGz;
    std::string label;
    std::int64_t mtime = 0;
    std::int64_t inode = 0;

    void check(int status, const std::string& entry = {}) const {
        if (status >= ARCHIVE_WARN) return;
        const char* message = archive_error_string(handle.get());
        throw ArchiveError("cannot write archive " + quote(label) +
                           (entry.empty() ? "" : " (entry " + quote(entry) + ")") + ": " +
                           (message != nullptr ? message : "unknown libarchive error"));
    }

    // A member's header with what every member shares: owner, time, and for cpio the numbers
    // the format records (an inode, no device, the link count).
    EntryHandle entry(const std::string& path, unsigned type, unsigned perm) {
        EntryHandle e(archive_entry_new());
        if (!e) check(ARCHIVE_FATAL, path);
        archive_entry_set_pathname(e.get(), path.c_str());
        archive_entry_set_filetype(e.get(), type);
        archive_entry_set_perm(e.get(), static_cast<mode_t>(perm & 07777));
        archive_entry_set_uid(e.get(), 0);
        archive_entry_set_gid(e.get(), 0);
        archive_entry_set_mtime(e.get(), mtime, 0);
        archive_entry_set_size(e.get(), 0); // files set theirs; the writer sizes symlinks
        if (format == Format::CpioGz) {
            archive_entry_set_ino64(e.get(), ++inode);
            archive_entry_set_dev(e.get(), 0);
            archive_entry_set_nlink(e.get(), type == AE_IFDIR ? 2 : 1);
        }
        return e;
    }

    void data(std::string_view bytes, const std::string& path) {
        if (!bytes.empty() && archive_write_data(handle.get(), bytes.data(), bytes.size()) < 0) {
            check(ARCHIVE_FATAL, path);
        }
    }
};

ArchiveWriter::ArchiveWriter(int fd, Format format, std::string label, std::int64_t mtime)
    : impl_(new Impl) {
    impl_->format = format;
    impl_->label = std::move(label);
    impl_->mtime = mtime;
    archive* a = impl_->handle.get();
    if (a == nullptr) impl_->check(ARCHIVE_FATAL);
    impl_->check(format == Format::CpioGz ? archive_write_set_format_cpio_newc(a)
                                          : archive_write_set_format_pax_restricted(a));
    if (format == Format::TarZst) {
        impl_->check(archive_write_add_filter_zstd(a));
        // Compression on libzstd's worker threads, overlapping reading the files and writing the
        // tar stream, as `zstd` does (-T1: one worker beside the I/O thread). libarchive's bsdtar
        // took half the time with two threads on two cores (bench/README.md). zstd's
        // multi-threaded output depends on the level and its job size, not on the number of
        // threads (the same bytes with 1, 2 or 4), so archives stay reproducible across machines.
        const std::string threads =
            std::to_string(std::clamp(std::thread::hardware_concurrency(), 1U, 8U));
        impl_->check(archive_write_set_filter_option(a, "zstd", "threads", threads.c_str()));
    } else {
        impl_->check(archive_write_add_filter_gzip(a));
        impl_->check(archive_write_set_filter_option(a, "gzip", "timestamp", nullptr));
    }
    impl_->check(archive_write_set_bytes_in_last_block(a, 1));
    impl_->check(archive_write_open_fd(a, fd));
}

ArchiveWriter::~ArchiveWriter() = default;

void ArchiveWriter::addDirectory(const std::string& path, unsigned perm) {
    const auto e = impl_->entry(path, AE_IFDIR, perm);
    impl_->check(archive_write_header(impl_->handle.get(), e.get()), path);
}

void ArchiveWriter::addSymlink(const std::string& path, const std::string& target) {
    const auto e = impl_->entry(path, AE_IFLNK, 0777);
    archive_entry_set_symlink(e.get(), target.c_str());
    impl_->check(archive_write_header(impl_->handle.get(), e.get()), path);
}

void ArchiveWriter::addFile(const std::string& path, unsigned perm, std::string_view content) {
    const auto e = impl_->entry(path, AE_IFREG, perm);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(content.size()));
    impl_->check(archive_write_header(impl_->handle.get(), e.get()), path);
    impl_->data(content, path);
}

void ArchiveWriter::addFile(const std::string& path, unsigned perm, int fd, std::uint64_t size,
                            const fs::path& source) {
    const auto e = impl_->entry(path, AE_IFREG, perm);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    impl_->check(archive_write_header(impl_->handle.get(), e.get()), path);
    readChunks(fd, source, [&](std::string_view chunk) { impl_->data(chunk, path); });
}

void ArchiveWriter::finish() {
    impl_->check(archive_write_close(impl_->handle.get()));
}

} // namespace xenbuild::util
