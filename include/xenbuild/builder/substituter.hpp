#pragma once
// Where a build's outputs can come from instead of building them: a binary cache (the cache
// module implements this, docs/cache.md). The builder asks after finding no usable result in
// the local store and before building.

#include "xenbuild/builder/result.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/util/progress.hpp"

#include <optional>
#include <string>
#include <vector>

namespace xenbuild::store {
class Store;
}

namespace xenbuild::builder {

class Substituter {
  public:
    virtual ~Substituter() = default;
    // Called with the build's lock held. Puts the outputs of build `key` (`outputs`: the names
    // and store paths a build would make) into `store`, each atomically and verified, and
    // returns the result to record; std::nullopt to build instead. What a cache does wrong
    // (missing, corrupt, untrusted, unreachable) is reported to `observer` and returns
    // std::nullopt: it never throws for it, and nothing unverified enters the store.
    virtual std::optional<BuildResult>
    substitute(store::Store& store, const recipe::BuildPlan& plan, const std::string& key,
               const std::vector<OutputInfo>& outputs, util::ProgressObserver& observer) = 0;
};

} // namespace xenbuild::builder
