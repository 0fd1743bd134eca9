#pragma once
// `xenbuild update`: regenerate the branch files (recipes/xen/<branch>.json) from the signed
// RELEASE-x.y.z tags of xen.git. Planning reads upstream, verifies every tag it uses, resolves
// and prefetches the component pins, and computes the new file contents; nothing is written
// until planning has succeeded, so a refused tag or a missing component leaves the recipes as
// they were. applyUpdate() then writes (atomically per file) or a caller shows the diff.

#include "xenbuild/fetch/options.hpp"
#include "xenbuild/fetch/signature.hpp"
#include "xenbuild/recipe/layout.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/progress.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::update {

struct UpdateRequest {
    recipe::RecipeLayout layout;          // xen/<branch>.json, xen/patches.json; patches/
    std::vector<std::string> branches;    // limit to these existing branches (empty: all)
    std::vector<std::string> addBranches; // new branches "X.Y" to create
    bool prune = false;                   // remove branches past security support
    bool dropApplied = false;             // drop upstream patches the release contains
    std::optional<std::chrono::year_month_day> today; // nullopt: the current UTC date
};

struct ComponentChange {
    std::string name; // "qemu"
    std::string oldRev, newRev;
    std::string oldTag, newTag;
    bool fetched = false; // prefetched into the store (false: the recorded hash was kept)
};

struct BranchReport {
    std::string branch;
    std::string oldVersion; // empty for an added branch
    std::string newVersion;
    bool added = false;
    bool pastSupport = false; // security support ended before `today`
    bool removed = false;     // pruned
    std::chrono::year_month_day securitySupportUntil{};
    std::vector<ComponentChange> components; // only the ones whose rev or tag changed
    std::vector<std::string> alreadyApplied; // upstream patches the new release contains
    std::vector<std::string> dropped;        // of those, removed (--drop-applied)
    std::vector<std::string> failing;        // upstream patches that no longer apply
    std::vector<std::string> localPatches;   // kept as they are
};

struct FileChange {
    std::filesystem::path path;
    std::optional<std::string> oldText; // nullopt: the file is new
    std::optional<std::string> newText; // nullopt: the file is removed
};

struct UpdatePlan {
    std::vector<BranchReport> branches; // in branch order
    std::vector<FileChange> files;      // only files whose content changes
    std::string latest;                 // the branch marked latest afterwards

    // The summary for people, one line per fact.
    // Settings (pruning, dropping applied patches) are spelled by `names`.
    std::string summary(SettingNames names = conceptName) const;
    nlohmann::json toJson() const;
    // Unified diffs of every file change (paths relative to the recipes' parent directory).
    std::string diff(const std::filesystem::path& base) const;
};

struct UpdateContext {
    store::Store& store;
    const fetch::FetchOptions& options;
    const fetch::SignatureVerifier& verifier; // trusts the key that signs RELEASE tags
    util::ProgressObserver& observer;
};

UpdatePlan planUpdate(const UpdateRequest& request, const UpdateContext& context);

// Writes (and, when pruning, removes) the files of `plan`, each atomically.
void applyUpdate(const UpdatePlan& plan);
// Writes or removes each file, atomically per file.
void writeFileChanges(const std::vector<FileChange>& files);

// `xenbuild verify`: each branch's xen rev must be the commit of a correctly signed
// RELEASE-<version> tag of its xen URL. Returns one line per branch; throws SignatureError or
// FetchError on the first branch that fails.
std::vector<std::string> verifyRecipes(const std::filesystem::path& recipesDir,
                                       const UpdateContext& context);

} // namespace xenbuild::update
