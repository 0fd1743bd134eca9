#pragma once
// What a build is asked to do besides the plan: the command line's build options.

#include "xenbuild/builder/compiler_cache.hpp"
#include "xenbuild/fetch/options.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xenbuild::builder {

class Substituter; // substituter.hpp

struct BuildOptions {
    unsigned cores = 0;      // make -jN; 0: the number of online CPUs
    bool keepFailed = false; // keep the build directory of a failed build
    bool rebuild = false;    // build again and report output files that differ
    // Source name -> local directory used instead of the pinned source (recorded in the
    // result and the build key; e.g. Debian's Xen tree for the real-Xen test).
    std::map<std::string, std::filesystem::path> sourceOverrides;
    // Upstream patches that do not apply to an overridden tree are skipped (and reported)
    // instead of failing the build. Only with sourceOverrides: pinned trees must take them.
    bool skipInapplicablePatches = false;
    // Upstream patch ids left out of the series ("all" for every upstream patch), e.g. when
    // they cannot be fetched offline and the overridden tree already carries the fixes.
    // Recorded in the result and the build key.
    std::vector<std::string> excludedPatches;
    std::chrono::seconds timeout{0};           // per command; 0: none
    const std::atomic<bool>* cancel = nullptr; // set by the CLI's SIGINT handler
    fetch::FetchOptions fetch;
    // Tried before building a key the store has no result for (binary caches, docs/cache.md);
    // not with `rebuild`.
    std::shared_ptr<Substituter> substituter;
    // Compile through ccache with the store's compiler cache (compiler_cache.hpp), which ccache
    // keeps under ccacheMaxBytes. Not in the build key: the outputs are the same bytes.
    bool ccache = false;
    std::uint64_t ccacheMaxBytes = kDefaultCompilerCacheMaxBytes;
};

} // namespace xenbuild::builder
