// An output as a reproducible tar.zst (output_archive.hpp), through util's ArchiveWriter.

#include "xenbuild/bundle/output_archive.hpp"

#include "xenbuild/util/archive.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace xenbuild::bundle {

namespace {

struct stat lstatOf(const fs::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) throwSystemError("cannot examine", path.string());
    return info;
}

// The entries of `dir`, sorted by name (bytewise, as `tar --sort=name`).
std::vector<std::string> sortedEntries(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code error;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
        names.push_back(it->path().filename().string());
    if (error) throw SystemError("cannot list " + quote(dir.string()) + ": " + error.message());
    std::sort(names.begin(), names.end());
    return names;
}

unsigned permissions(const struct stat& info) {
    return static_cast<unsigned>(info.st_mode) & 07555U; // no write bits, as in the store
}

void addTree(util::ArchiveWriter& writer, const fs::path& dir, const std::string& prefix) {
    for (const auto& name : sortedEntries(dir)) {
        const fs::path path = dir / name;
        const std::string member = prefix + name;
        const struct stat info = lstatOf(path);
        if (S_ISLNK(info.st_mode)) {
            std::error_code error;
            const fs::path target = fs::read_symlink(path, error);
            if (error)
                throw SystemError("cannot read link " + quote(path.string()) + ": " +
                                  error.message());
            writer.addSymlink(member, target.string());
        } else if (S_ISDIR(info.st_mode)) {
            writer.addDirectory(member, permissions(info));
            addTree(writer, path, member + "/");
        } else if (S_ISREG(info.st_mode)) {
            const util::Fd content(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!content.valid()) throwSystemError("cannot open", path.string());
            writer.addFile(member, permissions(info), content.get(),
                           static_cast<std::uint64_t>(info.st_size), path);
        } else {
            throw BuildError("cannot archive " + quote(path.string()) +
                             ": it is neither a file, a directory nor a symbolic link");
        }
    }
}

} // namespace

util::Hash writeOutputArchive(const fs::path& root, const fs::path& file, std::int64_t mtime) {
    if (!S_ISDIR(lstatOf(root).st_mode))
        throw BuildError("cannot archive " + quote(root.string()) + ": not a directory");
    {
        util::Fd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!out.valid()) throwSystemError("cannot create", file.string());
        util::ArchiveWriter writer(out.get(), util::ArchiveWriter::Format::TarZst, file.string(),
                                   mtime);
        addTree(writer, root, "");
        writer.finish();
        if (out.close() != 0) throwSystemError("cannot write", file.string());
    }
    return util::sha256File(file);
}

} // namespace xenbuild::bundle
