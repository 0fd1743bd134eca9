#include "update/patch_check.hpp"

#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/patch/apply.hpp"

namespace xenbuild::update::detail {

void checkUpstreamPatches(const recipe::RecipeSet& set, const recipe::BranchFile& branch,
                          const std::map<std::string, std::filesystem::path>& trees, bool drop,
                          BranchReport& report, const UpdateContext& context) {
    std::vector<patch::PatchJob> jobs;
    for (const recipe::PatchInfo* info : set.patchesFor(branch.branch)) {
        const auto tree = trees.find(info->project);
        if (tree == trees.end()) continue;
        fetch::UrlRequest request{fetch::urlBaseName(info->url),
                                  info->url,
                                  util::Hash::parse(info->sha256),
                                  false,
                                  true,
                                  false,
                                  ""};
        const auto fetched =
            fetch::fetchUrl(context.store, request, context.options, context.observer);
        const auto fuzz = info->fuzz.find(branch.branch);
        jobs.push_back(
            {info->id, fetched.path, tree->second, fuzz == info->fuzz.end() ? 0U : fuzz->second});
    }
    if (jobs.empty()) return;
    patch::SeriesOptions options;
    options.dryRun = true;
    options.stopAtFailure = false;
    for (const auto& result : patch::applySeries(jobs, options)) {
        if (result.status == patch::PatchStatus::AlreadyApplied) {
            report.alreadyApplied.push_back(result.id);
        } else if (result.status == patch::PatchStatus::Failed) {
            report.failing.push_back(result.id + ": " + result.message);
        }
    }
    if (drop) report.dropped = report.alreadyApplied;
}

} // namespace xenbuild::update::detail
