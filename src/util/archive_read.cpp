// Reading archives and gzip files with libarchive (the one module that uses it: see
// archive_write.cpp for writing).

#include "xenbuild/util/archive.hpp"

#include "xenbuild/util/error.hpp"

#include <archive.h>
#include <archive_entry.h>

namespace fs = std::filesystem;

namespace xenbuild::util {

namespace {

struct ReadFree {
    void operator()(archive* handle) const { archive_read_free(handle); }
};
using ReadHandle = std::unique_ptr<archive, ReadFree>;

std::string messageOf(archive* handle) {
    const char* message = archive_error_string(handle);
    return message != nullptr ? message : "unknown libarchive error";
}

ArchiveMember::Type typeOf(archive_entry* entry) {
    switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
        return ArchiveMember::Type::Regular;
    case AE_IFDIR:
        return ArchiveMember::Type::Directory;
    case AE_IFLNK:
        return ArchiveMember::Type::Symlink;
    default:
        return ArchiveMember::Type::Other;
    }
}

std::string text(const char* value) {
    return value != nullptr ? value : "";
}

} // namespace

struct ArchiveReader::Impl {
    ReadHandle handle{archive_read_new()};
    std::string label;
    std::string member; // the current member's path, for messages

    [[noreturn]] void fail(const std::string& what) const {
        throw ArchiveError(what + " " + quote(label) + ": " + messageOf(handle.get()));
    }
};

ArchiveReader::ArchiveReader(const fs::path& path, std::string label) : impl_(new Impl) {
    impl_->label = label.empty() ? path.string() : std::move(label);
    if (!impl_->handle) throw ArchiveError("cannot open archive " + quote(impl_->label));
    archive_read_support_filter_all(impl_->handle.get());
    archive_read_support_format_all(impl_->handle.get());
    if (archive_read_open_filename(impl_->handle.get(), path.c_str(), 1 << 20) != ARCHIVE_OK) {
        impl_->fail("cannot open archive");
    }
}

ArchiveReader::~ArchiveReader() = default;

std::optional<ArchiveMember> ArchiveReader::next() {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(impl_->handle.get(), &entry);
    if (rc == ARCHIVE_EOF) return std::nullopt;
    if (rc < ARCHIVE_WARN) impl_->fail("cannot read archive");
    ArchiveMember member;
    member.path = text(archive_entry_pathname(entry));
    member.type = typeOf(entry);
    member.perm = static_cast<unsigned>(archive_entry_perm(entry));
    if (archive_entry_size_is_set(entry) != 0) member.size = archive_entry_size(entry);
    member.symlinkTarget = text(archive_entry_symlink(entry));
    if (const char* target = archive_entry_hardlink(entry)) member.hardLinkTo = target;
    member.uid = archive_entry_uid(entry);
    member.gid = archive_entry_gid(entry);
    member.mtime = archive_entry_mtime(entry);
    impl_->member = member.path;
    return member;
}

std::optional<ArchiveBlock> ArchiveReader::readBlock() {
    const void* data = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    const int rc = archive_read_data_block(impl_->handle.get(), &data, &size, &offset);
    if (rc == ARCHIVE_EOF) return std::nullopt;
    if (rc < ARCHIVE_WARN) impl_->fail("cannot read entry " + quote(impl_->member) + " of");
    if (offset < 0) impl_->fail("bad data offset in entry " + quote(impl_->member) + " of");
    return ArchiveBlock{static_cast<const char*>(data), size, static_cast<std::uint64_t>(offset)};
}

std::string gunzipFile(const fs::path& path) {
    const ReadHandle handle(archive_read_new());
    auto fail = [&] {
        throw ArchiveError("cannot decompress " + quote(path.string()) + ": " +
                           (handle ? messageOf(handle.get()) : "out of memory"));
    };
    if (!handle) fail();
    archive_read_support_filter_gzip(handle.get());
    archive_read_support_format_raw(handle.get());
    archive_entry* entry = nullptr;
    if (archive_read_open_filename(handle.get(), path.c_str(), 65536) != ARCHIVE_OK ||
        archive_read_next_header(handle.get(), &entry) != ARCHIVE_OK) {
        fail();
    }
    std::string data;
    std::string buffer(65536, '\0');
    for (;;) {
        const la_ssize_t n = archive_read_data(handle.get(), buffer.data(), buffer.size());
        if (n < 0) fail();
        if (n == 0) return data;
        data.append(buffer, 0, static_cast<std::size_t>(n));
    }
}

} // namespace xenbuild::util
