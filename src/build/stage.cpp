#include "stage.hpp"

#include "xenbuild/util/error.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <vector>

namespace fs = std::filesystem;

namespace xenbuild::build::detail {

namespace {

void copyEntry(const fs::directory_entry& item, const fs::path& target) {
    const auto status = item.symlink_status();
    if (fs::is_symlink(status)) {
        fs::create_symlink(fs::read_symlink(item.path()), target);
    } else if (fs::is_directory(status)) {
        fs::create_directory(target);
    } else if (fs::is_regular_file(status)) {
        fs::copy_file(item.path(), target);
        const auto perms = status.permissions() | fs::perms::owner_write | fs::perms::owner_read;
        fs::permissions(target, perms);
    }
}

struct ArchiveDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

void check(archive* a, int status, const fs::path& file) {
    if (status < ARCHIVE_WARN) {
        throw BuildError("cannot write tarball " + quote(file.string()) + ": " +
                         archive_error_string(a));
    }
}

std::vector<fs::path> sortedMembers(const fs::path& dir) {
    std::vector<fs::path> members;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
        members.push_back(fs::relative(it->path(), dir));
    }
    std::sort(members.begin(), members.end());
    return members;
}

void writeMember(archive* a, const fs::path& dir, const fs::path& relative,
                 const std::string& prefix, std::int64_t mtime, const fs::path& file) {
    const fs::path path = dir / relative;
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) throwSystemError("cannot stat", path.string());
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), (prefix + "/" + relative.string()).c_str());
    archive_entry_set_mtime(entry.get(), mtime, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    std::string content;
    if (S_ISLNK(info.st_mode)) {
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_perm(entry.get(), 0777);
        archive_entry_set_symlink(entry.get(), fs::read_symlink(path).c_str());
    } else if (S_ISDIR(info.st_mode)) {
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_perm(entry.get(), 0755);
    } else {
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), (info.st_mode & S_IXUSR) ? 0755 : 0644);
        std::ifstream in(path, std::ios::binary);
        content.assign(std::istreambuf_iterator<char>(in), {});
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
    }
    check(a, archive_write_header(a, entry.get()), file);
    if (!content.empty() && archive_write_data(a, content.data(), content.size()) < 0) {
        check(a, ARCHIVE_FATAL, file);
    }
}

} // namespace

void copyTree(const fs::path& from, const fs::path& to) {
    if (!fs::is_directory(from)) {
        throw BuildError("cannot stage " + quote(from.string()) + ": not a directory");
    }
    fs::create_directories(to.parent_path());
    fs::create_directory(to);
    for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator();
         ++it) {
        if (it->path().filename() == ".git") {
            it.disable_recursion_pending();
            continue;
        }
        copyEntry(*it, to / fs::relative(it->path(), from));
    }
}

void writeTarball(const fs::path& dir, const std::string& prefix, const fs::path& file,
                  std::int64_t mtime) {
    std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
    check(a.get(), archive_write_set_format_pax_restricted(a.get()), file);
    check(a.get(), archive_write_add_filter_gzip(a.get()), file);
    check(a.get(), archive_write_set_options(a.get(), "gzip:!timestamp"), file);
    check(a.get(), archive_write_open_filename(a.get(), file.c_str()), file);
    for (const auto& member : sortedMembers(dir)) {
        writeMember(a.get(), dir, member, prefix, mtime, file);
    }
    check(a.get(), archive_write_close(a.get()), file);
}

} // namespace xenbuild::build::detail
