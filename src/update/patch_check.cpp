#include "update/patch_check.hpp"

#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/patch/apply.hpp"
#include "xenbuild/patch/series.hpp"

namespace xenbuild::update::detail {

void checkUpstreamPatches(const recipe::RecipeSet& set, const recipe::BranchFile& branch,
                          const std::map<std::string, std::filesystem::path>& trees, bool drop,
                          BranchReport& report, const UpdateContext& context) {
    std::vector<recipe::PatchRef> series;
    patch::SeriesTrees where;
    where.projects = trees;
    for (const recipe::PatchInfo* info : set.patchesFor(branch.branch)) {
        if (trees.count(info->project) == 0) continue;
        const fetch::UrlRequest request{.name = fetch::urlBaseName(info->url),
                                        .url = info->url,
                                        .hash = util::Hash::parse(info->sha256)};
        where.patchFiles[info->id] =
            fetch::fetchUrl(context.store, request, context.options, context.observer).path;
        const auto fuzz = info->fuzz.find(branch.branch);
        series.push_back({.id = info->id,
                          .project = info->project,
                          .fuzz = fuzz == info->fuzz.end() ? 0U : fuzz->second});
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
    if (drop) report.dropped = report.alreadyApplied;
}

} // namespace xenbuild::update::detail
