#include "update/patch_check.hpp"

#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/patch/apply.hpp"
#include "xenbuild/patch/series.hpp"

#include <algorithm>

namespace xenbuild::update::detail {

void checkUpstreamPatches(const recipe::RecipeSet& set, recipe::BranchFile& branch,
                          const std::map<std::string, std::filesystem::path>& trees, bool drop,
                          BranchReport& report, const UpdateContext& context) {
    std::vector<recipe::PatchRef> series;
    patch::SeriesTrees where;
    where.projects = trees;
    for (const auto& id : branch.patches) {
        const auto info = set.patches().find(id);
        if (info == set.patches().end()) continue;
        if (trees.count(info->second.project) == 0) continue;
        fetch::UrlRequest request{fetch::urlBaseName(info->second.url),
                                  info->second.url,
                                  util::Hash::parse(info->second.sha256),
                                  false,
                                  true,
                                  false,
                                  ""};
        where.patchFiles[id] =
            fetch::fetchUrl(context.store, request, context.options, context.observer).path;
        const auto fuzz = info->second.fuzz.find(branch.branch);
        recipe::PatchRef ref;
        ref.id = id;
        ref.project = info->second.project;
        ref.fuzz = fuzz == info->second.fuzz.end() ? 0U : fuzz->second;
        series.push_back(ref);
    }
    if (series.empty()) return;
    patch::SeriesOptions options;
    options.dryRun = true;
    options.stopAtFailure = false;
    for (const auto& result : patch::applySeries(patch::patchSeries(series, where), options)) {
        if (result.status == patch::PatchStatus::AlreadyApplied) {
            report.alreadyApplied.push_back(result.id);
        } else if (result.status == patch::PatchStatus::Failed) {
            report.failing.push_back(result.id + ": " + result.message);
        }
    }
    if (!drop) return;
    for (const auto& id : report.alreadyApplied) {
        branch.patches.erase(std::remove(branch.patches.begin(), branch.patches.end(), id),
                             branch.patches.end());
        report.dropped.push_back(id);
    }
}

} // namespace xenbuild::update::detail
