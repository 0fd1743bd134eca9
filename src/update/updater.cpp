// Planning an update: which branches, which releases, verified tags, resolved and prefetched
// components, upstream patches already contained in the release, and the new file contents.

#include "xenbuild/update/updater.hpp"

#include "store/fsutil.hpp"
#include "update/patch_check.hpp"
#include "update/release.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/fetch/git_cache.hpp"
#include "xenbuild/patch/local.hpp"
#include "xenbuild/recipe/branch_file.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/update/version.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace xenbuild::update {

using detail::VerifiedRelease;

namespace {

std::string currentDate() {
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const std::chrono::year_month_day ymd{today};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

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
    void updateComponents(const VerifiedRelease& release, recipe::BranchFile& branch,
                          BranchReport& report, std::map<std::string, fs::path>& trees);
    fetch::FetchResult prefetch(const std::string& name, const recipe::SourceEntry& source,
                                const std::string& rev);
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
            throw UsageError("no branch " + quote(name) + " in " +
                             quote((request_.layout.recipes / "xen").string()) + "; add it with " +
                             mention(Setting::NewBranch) + " " + name);
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

fetch::FetchResult Planner::prefetch(const std::string& name, const recipe::SourceEntry& source,
                                     const std::string& rev) {
    fetch::GitRequest git{name, source.url, rev, std::nullopt, source.submodules, false, ""};
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

void Planner::updateComponents(const VerifiedRelease& release, recipe::BranchFile& branch,
                               BranchReport& report, std::map<std::string, fs::path>& trees) {
    for (const auto& pin : release.pins) {
        auto found =
            std::find_if(branch.sources.begin(), branch.sources.end(),
                         [&](const auto& source) { return source.first == pin.component; });
        if (found == branch.sources.end()) continue; // e.g. minios: not a recipe source
        auto& source = found->second;
        ComponentChange change{pin.component, source.rev, "", source.tag, "", false};
        withContext("while resolving " + quote(pin.component) + " (" + pin.where + " of " +
                        quote(release.release.tag) + ")",
                    [&] {
                        std::tie(change.newRev, change.newTag) = resolvePin(pin, source.url);
                        // Same commit: keep the recorded hash, fetch nothing.
                        if (change.newRev == source.rev && !source.hash.empty()) return;
                        const auto fetched = prefetch(pin.component, source, change.newRev);
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
    auto xen = std::find_if(branch.sources.begin(), branch.sources.end(),
                            [](const auto& source) { return source.first == "xen"; });
    if (xen == branch.sources.end()) {
        throw EvalError("branch " + quote(branch.branch) + " has no xen source");
    }
    const auto& cache = xenCache(xen->second.url);
    const auto releases = newestReleases(cache.tagNames());
    const auto release = std::find_if(releases.begin(), releases.end(), [&](const Release& r) {
        return r.version.branch() == branch.branch;
    });
    if (release == releases.end()) {
        throw FetchError("no release tag " + std::string(kReleaseTagPrefix) + branch.branch +
                         ".N in " + quote(xen->second.url));
    }
    context_.observer.onEvent({util::ProgressEvent::Kind::Message, "update " + branch.branch,
                               "verifying " + release->tag, 0, 0, ""});
    const auto verified = detail::readRelease(cache, *release, context_.verifier);
    std::map<std::string, fs::path> trees;
    auto& source = xen->second;
    report.oldVersion = report.added ? "" : branch.version;
    report.newVersion = release->version.str();
    if (source.rev != verified.commit || source.hash.empty()) {
        const auto fetched = prefetch("xen", source, verified.commit);
        source.hash = fetched.hash.sri();
        trees["xen"] = fetched.path;
    }
    source.rev = verified.commit;
    source.tag = release->tag;
    branch.version = report.newVersion;
    branch.support = verified.support;
    report.securitySupportUntil = verified.support.securitySupportUntil;
    updateComponents(verified, branch, report, trees);
    detail::checkUpstreamPatches(set, branch, trees, request_.dropApplied, report, context_);
    // Local patches are kept as they are; listing them validates their names.
    const fs::path localDir = request_.layout.patches / branch.branch;
    for (const auto& patch : patch::listLocalPatches(localDir, branch.branch))
        report.localPatches.push_back(patch.name.fileName);
    return branch;
}

recipe::BranchFile newBranch(const recipe::RecipeSet& set, const std::string& name) {
    if (set.branches().empty()) {
        throw UsageError(mention(Setting::NewBranch) + " " + quote(name) +
                         " needs an existing branch file to take the component URLs from");
    }
    auto newest =
        std::max_element(set.branches().begin(), set.branches().end(),
                         [](const auto& a, const auto& b) { return branchLess(a.first, b.first); });
    recipe::BranchFile branch;
    branch.branch = name;
    for (const auto& [source, entry] : newest->second.sources) {
        branch.sources.emplace_back(source,
                                    recipe::SourceEntry{entry.url, "", "", "", entry.submodules});
    }
    return branch;
}

std::optional<std::string> readIfExists(const fs::path& path) {
    std::error_code error; // any other failure is named by readRegularFile
    if (fs::symlink_status(path, error).type() == fs::file_type::not_found) return std::nullopt;
    return util::readRegularFile(path, {"recipe file", recipe::kMaxRecipeBytes});
}

UpdatePlan Planner::run() {
    const auto set = recipe::RecipeSet::load(request_.layout);
    const std::string today = request_.today.empty() ? currentDate() : request_.today;
    std::map<std::string, recipe::BranchFile> result;
    for (const auto& [name, branch] : set.branches())
        result[name] = branch;
    UpdatePlan plan;
    for (const auto& name : selectBranches(set)) {
        BranchReport report;
        report.branch = name;
        report.added = set.branches().count(name) == 0;
        auto branch = report.added ? newBranch(set, name) : set.branches().at(name);
        branch = withContext("while updating branch " + quote(name),
                             [&] { return updateBranch(set, branch, report); });
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
    const fs::path dir = request_.layout.recipes / "xen";
    for (auto& [name, branch] : result) {
        branch.latest = name == plan.latest;
        const fs::path path = dir / (name + ".json");
        FileChange change{path, readIfExists(path), recipe::renderBranchJson(branch)};
        if (change.oldText != change.newText) plan.files.push_back(std::move(change));
    }
    for (const auto& report : plan.branches) {
        if (!report.removed) continue;
        const fs::path path = dir / (report.branch + ".json");
        plan.files.push_back({path, readIfExists(path), std::nullopt});
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
            store::detail::writeFileAtomic(file.path, *file.newText);
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
    for (const auto& [name, branch] : set.branches()) {
        const auto& xen =
            std::find_if(branch.sources.begin(), branch.sources.end(), [](const auto& s) {
                return s.first == "xen";
            })->second;
        auto cache = caches.find(xen.url);
        if (cache == caches.end()) {
            cache =
                caches
                    .emplace(xen.url, fetch::GitCache::update(context.store, xen.url,
                                                              context.options, context.observer))
                    .first;
        }
        const std::string tag = std::string(kReleaseTagPrefix) + branch.version;
        const auto [commit, signer] = withContext("while verifying branch " + quote(name), [&] {
            return detail::verifyReleaseTag(cache->second, tag, context.verifier);
        });
        if (commit != xen.rev) {
            throw SignatureError("branch " + quote(name) + ": xen rev " + xen.rev +
                                 " is not the commit of the signed tag " + quote(tag) + " (" +
                                 commit + ")");
        }
        if (!xen.tag.empty() && xen.tag != tag) {
            throw SignatureError("branch " + quote(name) + ": xen tag " + quote(xen.tag) +
                                 " does not match version " + quote(branch.version));
        }
        lines.push_back(name + ": " + tag + " " + commit + " signed by " + signer);
    }
    return lines;
}

} // namespace xenbuild::update
