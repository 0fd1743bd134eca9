#pragma once
// The in-memory state of a dry-run series (private to the patch module): files changed by the
// patches checked so far, so that later patches see the results of earlier ones.

#include "xenbuild/patch/apply.hpp"

#include "patch/tree.hpp"

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace xenbuild::patch::detail {

class Overlay {
  public:
    const FileState* find(const std::filesystem::path& path) const {
        const auto it = index_.find(path.native());
        return it == index_.end() ? nullptr : &files_[it->second].state;
    }

    // True when a file changed so far lies below `path`: committing makes it a directory.
    bool holdsFiles(const std::filesystem::path& path) const {
        return directories_.count(path.native()) != 0;
    }

    void merge(std::vector<StagedFile> files) {
        for (auto& file : files) {
            if (file.state.exists) addParents(directories_, file.path);
            const auto [it, inserted] = index_.try_emplace(file.path.native(), files_.size());
            if (inserted)
                files_.push_back(std::move(file));
            else
                files_[it->second].state = std::move(file.state);
        }
    }

    // Every file changed so far, in the order first changed; empties the overlay.
    std::vector<StagedFile> take() {
        index_.clear();
        directories_.clear();
        return std::move(files_);
    }

    // Adds every parent directory of `path` to `directories`.
    static void addParents(std::unordered_set<std::string>& directories,
                           const std::filesystem::path& path) {
        for (auto dir = path.parent_path(); dir.has_relative_path(); dir = dir.parent_path())
            if (!directories.insert(dir.native()).second) break;
    }

  private:
    std::vector<StagedFile> files_;
    std::unordered_map<std::string, std::size_t> index_; // absolute path -> files_ index
    std::unordered_set<std::string> directories_;        // parents of the existing files
};

// Applies one parsed patch of a series to the overlay, which holds the results of the earlier
// patches; nothing is written.
PatchReport applyInSeries(const Patch& patch, const PatchJob& job, Overlay& overlay);

} // namespace xenbuild::patch::detail
