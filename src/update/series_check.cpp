#include "xenbuild/update/series_check.hpp"

#include "xenbuild/fetch/prefetch.hpp"
#include "xenbuild/patch/series.hpp"

#include <set>
#include <string>

namespace xenbuild::update {

namespace {

// The plan reduced to what its series needs: the sources a patch targets and the patches.
recipe::BuildPlan patchedSourcesOnly(const recipe::BuildPlan& plan) {
    std::set<std::string> projects;
    for (const auto& ref : plan.patches)
        projects.insert(ref.project);
    recipe::BuildPlan reduced = plan;
    std::erase_if(reduced.sources, [&](const recipe::SourcePin& source) {
        return projects.count(source.name) == 0;
    });
    reduced.hash = util::sha256("patches check " + plan.hash.hex());
    return reduced;
}

} // namespace

std::vector<patch::PatchReport> checkSeries(const recipe::BuildPlan& plan, store::Store& store,
                                            const fetch::FetchOptions& options,
                                            util::ProgressObserver& observer) {
    patch::SeriesTrees trees;
    const auto reduced = patchedSourcesOnly(plan);
    const auto fetched = fetch::prefetchPlan(reduced, store, options, observer);
    for (const auto& source : reduced.sources)
        trees.projects[source.name] = fetched.sourcePath(source.name);
    for (const auto& ref : reduced.patches)
        trees.patchFiles[ref.id] = fetched.patchPath(ref.id);
    patch::SeriesOptions series;
    series.dryRun = true;
    series.stopAtFailure = false;
    return patch::applySeries(patch::patchSeries(plan, trees), series);
}

} // namespace xenbuild::update
