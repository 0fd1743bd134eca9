#include "xenbuild/patch/series.hpp"

#include "xenbuild/util/error.hpp"

namespace xenbuild::patch {

namespace {

std::string names(const std::map<std::string, std::filesystem::path>& trees) {
    std::string out;
    for (const auto& [name, root] : trees)
        out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "none" : out;
}

} // namespace

std::vector<PatchJob> patchSeries(const std::vector<recipe::PatchRef>& patches,
                                  const SeriesTrees& trees) {
    std::vector<PatchJob> jobs;
    for (const auto& ref : patches) {
        const auto root = trees.projects.find(ref.project);
        if (root == trees.projects.end()) {
            throw PatchError("patch " + quote(ref.id) + " targets " + quote(ref.project) +
                             ", which has no tree here (trees: " + names(trees.projects) + ")");
        }
        const auto file = trees.patchFiles.find(ref.id);
        if (file == trees.patchFiles.end()) {
            throw PatchError("patch " + quote(ref.id) + " has not been fetched");
        }
        jobs.push_back({.id = ref.id,
                        .patchFile = file->second,
                        .projectRoot = root->second,
                        .fuzz = ref.fuzz});
    }
    return jobs;
}

std::vector<PatchJob> patchSeries(const recipe::BuildPlan& plan, const SeriesTrees& trees) {
    return withContext("while putting together the patch series of " + quote(plan.name),
                       [&] { return patchSeries(plan.patches, trees); });
}

} // namespace xenbuild::patch
