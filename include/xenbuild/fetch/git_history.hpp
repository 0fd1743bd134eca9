#pragma once
// Reading another revision of a local git work tree from its object database, without checking
// anything out: the recipes as they were at a revision (`xenbuild ci matrix --changed-since`),
// and whether files differ between a revision and the work tree.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xenbuild::fetch {

class GitHistory {
  public:
    // Opens the repository whose work tree holds `path` (a directory; its parents are searched
    // as git does). Throws UsageError when `path` is in no git work tree (or only in a bare
    // repository).
    explicit GitHistory(const std::filesystem::path& path);
    ~GitHistory();
    GitHistory(GitHistory&&) noexcept;
    GitHistory& operator=(GitHistory&&) noexcept;

    // The work tree's top directory, canonical.
    const std::filesystem::path& workTree() const;

    // `path` (absolute, or relative to the current directory) relative to the work tree, or
    // "." for the top. Throws UsageError when it is outside the work tree.
    std::filesystem::path relativePath(const std::filesystem::path& path) const;

    // The commit id (40 hex) that `rev` names: a commit id or a prefix of one, a branch, a tag,
    // HEAD~2 and the like. Throws UsageError when it names no commit of the repository.
    std::string resolveCommit(const std::string& rev) const;

    // Every regular file under `dir` (relative to the work tree, "." for all) in `commit`'s tree,
    // keyed by its path relative to `dir`; empty when `dir` is no directory there. Throws
    // ParseError for a symbolic link or a submodule under `dir`, and for a file larger than
    // `maxBytes`.
    std::map<std::filesystem::path, std::string> filesAt(const std::string& commit,
                                                         const std::filesystem::path& dir,
                                                         std::uint64_t maxBytes) const;

    // The files among `paths` (files or directories relative to the work tree) that differ
    // between `commit` and the work tree as it is: changes committed since, staged or not, and
    // files not tracked. Paths relative to the work tree, sorted.
    std::vector<std::string> changedSince(const std::string& commit,
                                          const std::vector<std::string>& paths) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace xenbuild::fetch
