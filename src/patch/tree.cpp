#include "patch/tree.hpp"

#include "patch/text.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/scope_guard.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace fs = std::filesystem;

namespace xenbuild::patch::detail {

namespace {

bool isWithin(const fs::path& path, const fs::path& root) {
    auto [rootEnd, pathIt] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    return rootEnd == root.end();
}

fs::path canonicalOrThrow(const fs::path& path) {
    std::error_code ec;
    fs::path result = fs::canonical(path, ec);
    if (ec) throw SystemError("cannot resolve " + quote(path.string()) + ": " + ec.message());
    return result;
}

// Resolves the absolute `path` as the kernel would, following every symbolic link, dangling ones
// too (fs::weakly_canonical stops at those and takes the rest as text); missing components are
// taken lexically. nullopt after 40 links, the kernel's limit (a loop).
std::optional<fs::path> physicalPath(const fs::path& path) {
    std::vector<fs::path> todo(path.begin(), path.end()); // reversed: the next part is last
    std::reverse(todo.begin(), todo.end());
    fs::path done = "/";
    int links = 0;
    while (!todo.empty()) {
        const fs::path part = std::move(todo.back());
        todo.pop_back();
        if (part.empty() || part == "/" || part == ".") continue;
        if (part == "..") {
            done = done.parent_path();
            continue;
        }
        const fs::path next = done / part;
        struct stat st {};
        if (::lstat(next.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
            done = next;
            continue;
        }
        if (++links > 40) return std::nullopt;
        std::error_code ec;
        const fs::path target = fs::read_symlink(next, ec);
        if (ec)
            throw SystemError("cannot read symbolic link " + quote(next.string()) + ": " +
                              ec.message());
        if (target.is_absolute()) done = "/";
        for (auto it = target.end(); it != target.begin();)
            todo.push_back(*--it);
    }
    return done;
}

} // namespace

TreeGuard::TreeGuard(const fs::path& root) : canonicalRoot_(canonicalOrThrow(root)) {}

void TreeGuard::checkComponents(const std::string& relative) const {
    const fs::path rel(relative);
    if (relative.empty()) throw PatchError("empty file name in patch");
    if (rel.is_absolute())
        throw PatchError("refusing absolute path " + quote(relative) + ": patch paths must be " +
                         "relative to the project tree");
    for (const auto& part : rel) {
        if (part == "..")
            throw PatchError("refusing path " + quote(relative) +
                             ": '..' would leave the project tree");
    }
}

fs::path TreeGuard::resolve(const std::string& relative) const {
    checkComponents(relative);
    const fs::path normal = fs::path(relative).lexically_normal();
    std::vector<fs::path> parts(normal.begin(), normal.end());
    fs::path current = canonicalRoot_;
    fs::path walked;
    bool throughLink = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        current /= parts[i];
        walked /= parts[i];
        struct stat st {};
        if (::lstat(current.c_str(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) break; // created later, inside the tree
            throwSystemError("cannot inspect", current.string());
        }
        if (!S_ISLNK(st.st_mode)) continue;
        const auto target = physicalPath(current);
        if (!target)
            throw PatchError("refusing path " + quote(relative) + ": symbolic link " +
                             quote(walked.string()) + " does not resolve (a loop of links)");
        if (!isWithin(*target, canonicalRoot_))
            throw PatchError("refusing path " + quote(relative) + ": symbolic link " +
                             quote(walked.string()) + " leads outside the project tree");
        if (i + 1 == parts.size())
            throw PatchError("refusing to patch " + quote(relative) +
                             ": it is a symbolic link, only regular files can be patched");
        throughLink = true;
    }
    // One spelling per file, so that a series sees its own changes whatever the path used.
    if (!throughLink) return canonicalRoot_ / normal;
    const auto physical = physicalPath(canonicalRoot_ / normal);
    if (!physical || !isWithin(*physical, canonicalRoot_))
        throw PatchError("refusing path " + quote(relative) +
                         ": its symbolic links lead outside the project tree");
    return *physical;
}

FileState readTreeFile(const fs::path& path) {
    FileState state;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return state;
        throwSystemError("cannot inspect", path.string());
    }
    if (!S_ISREG(st.st_mode))
        throw PatchError("cannot patch " + quote(path.string()) + ": not a regular file");
    state.exists = true;
    state.mode = st.st_mode & 07777U;
    state.content = std::make_shared<const std::string>(util::readFile(path));
    return state;
}

namespace {

// Writes `state` to a new temporary file beside `target`; returns its path.
fs::path writeTemp(const fs::path& target, const FileState& state) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec)
        throw SystemError("cannot create directory " + quote(target.parent_path().string()) + ": " +
                          ec.message());
    std::string name = (target.parent_path() / ("." + target.filename().string() + ".xbp-XXXXXX"));
    util::Fd fd(::mkstemp(name.data()));
    if (!fd.valid()) throwSystemError("cannot create a temporary file beside", target.string());
    util::ScopeGuard removeTemporary([&] { ::unlink(name.c_str()); });
    util::writeAll(fd.get(), *state.content, name);
    if (::fchmod(fd.get(), static_cast<mode_t>(state.mode)) != 0)
        throwSystemError("cannot set the mode of", name);
    if (fd.close() != 0) throwSystemError("cannot write", name);
    removeTemporary.dismiss();
    return name;
}

} // namespace

void commitFiles(const std::vector<StagedFile>& files) {
    std::vector<fs::path> temps(files.size());
    try {
        for (std::size_t i = 0; i < files.size(); ++i)
            if (files[i].state.exists) temps[i] = writeTemp(files[i].path, files[i].state);
    } catch (...) {
        for (const auto& temp : temps)
            if (!temp.empty()) ::unlink(temp.c_str());
        throw;
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        const fs::path& target = files[i].path;
        if (!temps[i].empty()) {
            if (::rename(temps[i].c_str(), target.c_str()) != 0)
                throwSystemError("cannot replace", target.string());
        } else if (::unlink(target.c_str()) != 0 && errno != ENOENT) {
            throwSystemError("cannot delete", target.string());
        }
    }
}

} // namespace xenbuild::patch::detail
