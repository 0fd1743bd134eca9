#pragma once
// The file-system side of applying patches (private to the patch module): confining paths to a
// project tree, reading files, and writing a patch's results all at once.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace xenbuild::patch::detail {

struct FileState {
    bool exists = false;
    std::shared_ptr<const std::string> content; // set when exists
    unsigned mode = 0644;                       // permission bits
};

// Resolves paths named by a patch inside one project tree. Refuses (PatchError) absolute paths,
// `..` components, symbolic links leading outside the tree, and patching a symbolic link.
class TreeGuard {
  public:
    explicit TreeGuard(const std::filesystem::path& root);
    // The absolute path with the root's symbolic links resolved (and those inside the tree,
    // when the path goes through one), so that one file has one spelling.
    std::filesystem::path resolve(const std::string& relative) const;
    const std::filesystem::path& root() const { return canonicalRoot_; }

  private:
    void checkComponents(const std::string& relative) const;
    std::filesystem::path canonicalRoot_; // symbolic links resolved
};

// Reads a file of the tree; a missing file gives exists == false.
FileState readTreeFile(const std::filesystem::path& path);

struct StagedFile {
    std::filesystem::path path;
    FileState state; // exists == false: delete the file
};

// Writes every new content to a temporary file beside its target, then renames them all into
// place and removes deleted files. If any write fails, the temporary files are removed and
// the tree is left as it was.
void commitFiles(const std::vector<StagedFile>& files);

} // namespace xenbuild::patch::detail
