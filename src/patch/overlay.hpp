#pragma once
// The in-memory state of a dry-run series (private to the patch module): files changed by the
// patches checked so far, so that later patches see the results of earlier ones.

#include "xenbuild/patch/apply.hpp"

#include "patch/tree.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace xenbuild::patch::detail {

class Overlay {
  public:
    const FileState* find(const std::filesystem::path& path) const {
        const auto it = files_.find(path.native());
        return it == files_.end() ? nullptr : &it->second;
    }

    void merge(std::vector<StagedFile> files) {
        for (auto& file : files)
            files_[file.path.native()] = std::move(file.state);
    }

  private:
    std::unordered_map<std::string, FileState> files_; // absolute path -> state
};

// Applies one parsed patch of a series: to the overlay in a dry run, to the disk otherwise.
PatchReport applyInSeries(const Patch& patch, const PatchJob& job, bool dryRun, Overlay& overlay);

} // namespace xenbuild::patch::detail
