#pragma once
// Where the executor gets a plan's sources and patches. The real fetcher prefetches them into
// the store (fetch::prefetchPlan: mirrors, offline mode, hashes checked); tests serve
// directories instead (tests/support/builder_fakes.hpp).

#include "xenbuild/fetch/options.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/util/progress.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace xenbuild::store {
class Store;
}

namespace xenbuild::builder {

struct FetchedInputs {
    std::map<std::string, std::filesystem::path> sources; // source name -> tree (read only)
    std::map<std::string, std::filesystem::path> patches; // patch id -> patch file
};

class Fetcher {
  public:
    virtual ~Fetcher() = default;
    // Every source and every patch of `plan`; progress events ("fetch <plan>:<name>") go to
    // `observer`. Throws FetchError (or HashMismatch, SignatureError...) naming what failed;
    // when several fail, the others still complete first.
    virtual FetchedInputs fetch(const recipe::BuildPlan& plan,
                                util::ProgressObserver& observer) = 0;
};

// Fetches into the store, or finds the entries already there.
class StoreFetcher final : public Fetcher {
  public:
    StoreFetcher(store::Store& store, fetch::FetchOptions options);
    FetchedInputs fetch(const recipe::BuildPlan& plan, util::ProgressObserver& observer) override;

  private:
    store::Store& store_;
    fetch::FetchOptions options_;
};

} // namespace xenbuild::builder
