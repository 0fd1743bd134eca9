#include "xenbuild/boot/initramfs.hpp"

#include "xenbuild/util/archive.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/scope_guard.hpp"

#include <algorithm>
#include <map>

#include <fcntl.h>
#include <sys/stat.h>

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

void add(util::ArchiveWriter& writer, const ArchiveEntry& entry) {
    switch (entry.kind) {
    case ArchiveEntry::Kind::Directory:
        return writer.addDirectory(entry.path, entry.mode);
    case ArchiveEntry::Kind::Symlink:
        return writer.addSymlink(entry.path, entry.target);
    case ArchiveEntry::Kind::File: {
        if (entry.source.empty()) return writer.addFile(entry.path, entry.mode, entry.content);
        const util::Fd source(::open(entry.source.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st {};
        if (!source.valid() || ::fstat(source.get(), &st) != 0) {
            throwSystemError("cannot open", entry.source.string());
        }
        return writer.addFile(entry.path, entry.mode, source.get(),
                              static_cast<std::uint64_t>(st.st_size), entry.source);
    }
    }
}

} // namespace

void writeInitramfs(std::vector<ArchiveEntry> entries, const fs::path& output) {
    const auto byPath = normalise(std::move(entries));
    const fs::path temporary = output.string() + ".tmp";
    util::ScopeGuard removeTemporary([&] {
        std::error_code ignored;
        fs::remove(temporary, ignored);
    });
    const util::Fd out(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!out.valid()) throwSystemError("cannot create", temporary.string());
    translateError<BuildError, ArchiveError>([&] {
        util::ArchiveWriter writer(out.get(), util::ArchiveWriter::Format::CpioGz,
                                   temporary.string());
        for (const auto& [path, entry] : byPath)
            add(writer, entry);
        writer.finish();
    });
    fs::rename(temporary, output);
    removeTemporary.dismiss();
}

} // namespace xenbuild::boot
