#pragma once
// `xenbuild patches check`: a dry run of a plan's patch series against the pinned sources it
// patches. Only the sources a patch targets are fetched (QEMU and OVMF, which no patch of a
// usual series touches, are not); nothing is written.

#include "xenbuild/fetch/options.hpp"
#include "xenbuild/patch/apply.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/progress.hpp"

#include <vector>

namespace xenbuild::update {

// One report per patch of `plan`, in order; every patch is tried. The fetch uses its own plan
// hash, so that the gc root of the full plan (recorded by a build or prefetch) is kept whole.
std::vector<patch::PatchReport> checkSeries(const recipe::BuildPlan& plan, store::Store& store,
                                            const fetch::FetchOptions& options,
                                            util::ProgressObserver& observer);

} // namespace xenbuild::update
