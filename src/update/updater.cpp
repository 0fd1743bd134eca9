// Planning an update: which branches, which releases, verified tags, resolved and prefetched
// components, upstream patches already contained in the release, and the new file contents.

#include "xenbuild/update/updater.hpp"

#include "update/patch_check.hpp"
#include "update/release.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/fetch/git_cache.hpp"
#include "xenbuild/patch/local.hpp"
#include "xenbuild/recipe/branch_file.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/update/version.hpp"
#include "xenbuild/update/xsa_import.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace xenbuild::update {

using detail::VerifiedRelease;

namespace {

// Shared state of one planning run: caches per URL so each remote is asked once.
class Planner {
  public:
    Planner(const UpdateRequest& request, const UpdateContext& context)
        : request_(request), context_(context) {}

    UpdatePlan run();

  private:
    const fetch::GitCache& xenCache(const std::string& url) {
        auto found = caches_.find(url);
        if (found == caches_.end()) {
            found = caches_
                        .emplace(url, fetch::GitCache::update(context_.store, url, context_.options,
                                                              context_.observer))
                        .first;
        }
        return found->second;
    }
    const std::vector<fetch::RemoteRef>& remoteRefs(const std::string& url) {
        auto found = refs_.find(url);
        if (found == refs_.end()) {
            found = refs_.emplace(url, fetch::listRemoteRefs(url, context_.options)).first;
        }
        return found->second;
    }

    std::vector<std::string> selectBranches(const recipe::RecipeSet& set) const;
    recipe::BranchFile updateBranch(const recipe::RecipeSet& set, recipe::BranchFile branch,
                                    BranchReport& report);
    void updateComponents(const recipe::RecipeSet& set, const VerifiedRelease& release,
                          recipe::BranchFile& branch, BranchReport& report,
                          std::map<std::string, fs::path>& trees);
    fetch::FetchResult prefetch(const recipe::SourceSpec& source, const std::string& rev);
    // The commit and tag a pin names, resolved in the recipe's repository at `url`.
    std::pair<std::string, std::string> resolvePin(const ComponentPin& pin, const std::string& url);

    const UpdateRequest& request_;
    const UpdateContext& context_;
    std::map<std::string, fetch::GitCache> caches_;
    std::map<std::string, std::vector<fetch::RemoteRef>> refs_;
};

std::vector<std::string> Planner::selectBranches(const recipe::RecipeSet& set) const {
    for (const auto& name : request_.branches) {
        if (set.branches().count(name) == 0) {
            throw UsageError("no branch " + quote(name) + " in " + quote(set.directory().string()) +
                             "; add it with " + mention(Setting::NewBranch) + " " + name);
        }
    }
    for (const auto& name : request_.addBranches) {
        if (!isBranchName(name)) {
            throw UsageError(mention(Setting::NewBranch) + " " + quote(name) +
                             ": a branch is X.Y, e.g. 4.20");
        }
        if (set.branches().count(name) != 0) {
            throw UsageError(mention(Setting::NewBranch) + " " + quote(name) +
                             ": the branch already exists");
        }
    }
    std::vector<std::string> out = request_.branches;
    if (out.empty()) {
        for (const auto& [name, branch] : set.branches())
            out.push_back(name);
    }
    out.insert(out.end(), request_.addBranches.begin(), request_.addBranches.end());
    std::sort(out.begin(), out.end(), branchLess);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

fetch::FetchResult Planner::prefetch(const recipe::SourceSpec& source, const std::string& rev) {
    const fetch::GitRequest git{
        .name = source.name, .url = source.url, .rev = rev, .submodules = source.submodules};
    return fetch::fetchGit(context_.store, git, context_.options, context_.observer);
}

std::pair<std::string, std::string> Planner::resolvePin(const ComponentPin& pin,
                                                        const std::string& url) {
    if (detail::isCommitId(pin.value)) return {pin.value, ""};
    const auto commit = fetch::findTagCommit(remoteRefs(url), pin.value);
    if (!commit) {
        throw FetchError("tag " + quote(pin.value) + " not found in " + quote(url) +
                         "; is the component URL in the recipe right?");
    }
    return {*commit, pin.value};
}

// The branch's pin of `name`, made (empty) in the builder's order when it has none yet.
recipe::SourceEntry& pinOf(const recipe::RecipeSet& set, recipe::BranchFile& branch,
                           const std::string& name) {
    auto found = std::find_if(branch.sources.begin(), branch.sources.end(),
                              [&](const auto& source) { return source.first == name; });
    if (found != branch.sources.end()) return found->second;
    auto rank = [&set](const std::string& source) {
        const auto& all = set.sources();
        return std::find_if(all.begin(), all.end(),
                            [&](const auto& spec) { return spec.name == source; }) -
               all.begin();
    };
    auto at = std::find_if(branch.sources.begin(), branch.sources.end(),
                           [&](const auto& source) { return rank(source.first) > rank(name); });
    return branch.sources.insert(at, {name, recipe::SourceEntry{}})->second;
}

void Planner::updateComponents(const recipe::RecipeSet& set, const VerifiedRelease& release,
                               recipe::BranchFile& branch, BranchReport& report,
                               std::map<std::string, fs::path>& trees) {
    for (const auto& pin : release.pins) {
        const recipe::SourceSpec* spec = set.source(pin.component);
        if (spec == nullptr) continue; // e.g. minios: not a recipe source
        auto& source = pinOf(set, branch, pin.component);
        ComponentChange change{.name = pin.component, .oldRev = source.rev, .oldTag = source.tag};
        withContext("while resolving " + quote(pin.component) + " (" + pin.where + " of " +
                        quote(release.release.tag) + ")",
                    [&] {
                        std::tie(change.newRev, change.newTag) = resolvePin(pin, spec->url);
                        // Same commit: keep the recorded hash, fetch nothing.
                        if (change.newRev == source.rev && !source.hash.empty()) return;
                        const auto fetched = prefetch(*spec, change.newRev);
                        source.hash = fetched.hash.sri();
                        trees[pin.component] = fetched.path;
                        change.fetched = true;
                    });
        source.rev = change.newRev;
        source.tag = change.newTag;
        if (change.oldRev != change.newRev || change.oldTag != change.newTag) {
            report.components.push_back(change);
        }
    }
}

recipe::BranchFile Planner::updateBranch(const recipe::RecipeSet& set, recipe::BranchFile branch,
                                         BranchReport& report) {
    const recipe::SourceSpec& tree = set.treeSource();
    const auto& cache = xenCache(tree.url);
    const auto releases = newestReleases(cache.tagNames());
    const auto release = std::find_if(releases.begin(), releases.end(), [&](const Release& r) {
        return r.version.branch() == branch.branch;
    });
    if (release == releases.end()) {
        throw FetchError("no release tag " + std::string(kReleaseTagPrefix) + branch.branch +
                         ".N in " + quote(tree.url));
    }
    context_.observer.onEvent({util::ProgressEvent::Kind::Message, "update " + branch.branch,
                               "verifying " + release->tag, 0, 0, ""});
    const auto verified = detail::readRelease(cache, *release, context_.verifier);
    std::map<std::string, fs::path> trees;
    auto& source = pinOf(set, branch, tree.name);
    report.oldVersion = report.added ? "" : branch.version;
    report.newVersion = release->version.str();
    if (source.rev != verified.commit || source.hash.empty()) {
        const auto fetched = prefetch(tree, verified.commit);
        source.hash = fetched.hash.sri();
        trees[tree.name] = fetched.path;
    }
    source.rev = verified.commit;
    source.tag = release->tag;
    branch.version = report.newVersion;
    branch.support = verified.support;
    report.securitySupportUntil = verified.support.securitySupportUntil;
    updateComponents(set, verified, branch, report, trees);
    detail::checkUpstreamPatches(set, branch, trees, request_.dropApplied, report, context_);
    // Local patches are kept as they are; listing them validates their names.
    const fs::path localDir = request_.layout.patches / branch.branch;
    for (const auto& patch : patch::listLocalPatches(localDir, branch.branch))
        report.localPatches.push_back(patch.name.fileName);
    return branch;
}

// A new branch pins what its release pins (updateBranch); a source the release does not pin
// keeps the pin of the newest branch that has one.
void pinTheRest(const recipe::RecipeSet& set, recipe::BranchFile& branch) {
    std::vector<std::string> newestFirst;
    for (const auto& [other, unused] : set.branches())
        newestFirst.push_back(other);
    std::sort(newestFirst.begin(), newestFirst.end(),
              [](const auto& a, const auto& b) { return branchLess(b, a); });
    for (const auto& spec : set.sources()) {
        auto& pin = pinOf(set, branch, spec.name);
        for (const auto& other : newestFirst) {
            if (!pin.rev.empty()) break;
            for (const auto& [source, entry] : set.branches().at(other).sources) {
                if (source == spec.name) pin = entry;
            }
        }
    }
    std::erase_if(branch.sources, [](const auto& source) { return source.second.rev.empty(); });
}

std::optional<std::string> readIfExists(const fs::path& path) {
    std::error_code error; // any other failure is named by readRegularFile
    if (fs::symlink_status(path, error).type() == fs::file_type::not_found) return std::nullopt;
    return util::readRegularFile(path,
                                 {.what = "recipe file", .maxBytes = recipe::kMaxRecipeBytes});
}

UpdatePlan Planner::run() {
    const auto set = recipe::RecipeSet::load(request_.layout);
    const auto today = request_.today.value_or(util::currentDate());
    std::map<std::string, recipe::BranchFile> result;
    for (const auto& [name, branch] : set.branches())
        result[name] = branch;
    UpdatePlan plan;
    for (const auto& name : selectBranches(set)) {
        BranchReport report;
        report.branch = name;
        report.added = set.branches().count(name) == 0;
        recipe::BranchFile branch;
        if (report.added) {
            branch.branch = name;
        } else {
            branch = set.branches().at(name);
        }
        branch = withContext("while updating branch " + quote(name),
                             [&] { return updateBranch(set, branch, report); });
        if (report.added) pinTheRest(set, branch);
        report.pastSupport = report.securitySupportUntil < today;
        report.removed = report.pastSupport && request_.prune;
        if (report.removed) {
            result.erase(name);
        } else {
            result[name] = branch;
        }
        plan.branches.push_back(std::move(report));
    }
    std::vector<std::string> names;
    names.reserve(result.size());
    for (const auto& [name, branch] : result)
        names.push_back(name);
    std::sort(names.begin(), names.end(), branchLess);
    plan.latest = names.empty() ? "" : names.back();
    const fs::path dir = set.directory();
    for (auto& [name, branch] : result) {
        const fs::path path = dir / (name + ".json");
        FileChange change{.path = path,
                          .oldText = readIfExists(path),
                          .newText = recipe::renderBranchJson(branch)};
        if (change.oldText != change.newText) plan.files.push_back(std::move(change));
    }
    for (const auto& report : plan.branches) {
        if (!report.removed) continue;
        const fs::path path = dir / (report.branch + ".json");
        plan.files.push_back(
            {.path = path, .oldText = readIfExists(path), .newText = std::nullopt});
    }
    // Patches contained in a release are marked not applicable to its branch (--drop-applied).
    std::vector<NotApplicableMark> marks;
    for (const auto& report : plan.branches) {
        for (const auto& id : report.dropped)
            marks.push_back({.id = id,
                             .branch = report.branch,
                             .reason = "already contained in " + report.newVersion});
    }
    if (!marks.empty()) {
        const fs::path path = dir / "patches.json";
        const auto oldText = readIfExists(path);
        plan.files.push_back(
            {.path = path,
             .oldText = oldText,
             .newText = withNotApplicable(oldText.value_or(""), path.string(), marks)});
    }
    return plan;
}

} // namespace

UpdatePlan planUpdate(const UpdateRequest& request, const UpdateContext& context) {
    Planner planner(request, context);
    return planner.run();
}

void applyUpdate(const UpdatePlan& plan) {
    writeFileChanges(plan.files);
}

void writeFileChanges(const std::vector<FileChange>& files) {
    for (const auto& file : files) {
        if (file.newText) {
            util::writeFileAtomic(file.path, *file.newText);
        } else {
            std::error_code error;
            if (!fs::remove(file.path, error) && error) {
                throw SystemError("cannot remove " + quote(file.path.string()) + ": " +
                                  error.message());
            }
        }
    }
}

std::vector<std::string> verifyRecipes(const fs::path& recipesDir, const UpdateContext& context) {
    const auto set = recipe::RecipeSet::load(recipesDir);
    std::map<std::string, fetch::GitCache> caches;
    std::vector<std::string> lines;
    const recipe::SourceSpec& tree = set.treeSource();
    for (const auto& [name, branch] : set.branches()) {
        const auto pin = std::find_if(branch.sources.begin(), branch.sources.end(),
                                      [&tree](const auto& s) { return s.first == tree.name; });
        if (pin == branch.sources.end()) {
            throw EvalError("branch " + quote(name) + " has no pin for source " + quote(tree.name));
        }
        const auto& xen = pin->second;
        auto cache = caches.find(tree.url);
        if (cache == caches.end()) {
            cache =
                caches
                    .emplace(tree.url, fetch::GitCache::update(context.store, tree.url,
                                                               context.options, context.observer))
                    .first;
        }
        const std::string tag = std::string(kReleaseTagPrefix) + branch.version;
        const auto [commit, signer] = withContext("while verifying branch " + quote(name), [&] {
            return detail::verifyReleaseTag(cache->second, tag, context.verifier);
        });
        if (commit != xen.rev) {
            throw SignatureError("branch " + quote(name) + ": " + tree.name + " rev " + xen.rev +
                                 " is not the commit of the signed tag " + quote(tag) + " (" +
                                 commit + ")");
        }
        if (!xen.tag.empty() && xen.tag != tag) {
            throw SignatureError("branch " + quote(name) + ": " + tree.name + " tag " +
                                 quote(xen.tag) + " does not match version " +
                                 quote(branch.version));
        }
        lines.push_back(name + ": " + tag + " " + commit + " signed by " + signer);
    }
    return lines;
}

} // namespace xenbuild::update
