#pragma once
// The compiler cache (`xenbuild build --ccache`, docs/sandbox.md): Debian's ccache, shared by
// every build of a store with the same toolchain. It lives in the store but is no entry of it:
//
//   <store>/.ccache/<toolchain id>/             ccache's cache directory (one per toolchain)
//   <store>/.ccache/<toolchain id>/ccache.conf  the only configuration ccache reads there
//
// A build mounts its toolchain's directory writable at kCompilerCacheInside (the namespace
// sandbox; the host path with the sandbox off) and puts ccache's masquerade directory first in
// PATH, so every `gcc`, `cc` and `g++` a build system runs goes through ccache (Xen's make,
// and in-tree edk2, iPXE and SeaBIOS, which call `gcc` directly). The cache changes no output:
// the build key leaves it out and the outputs are the same bytes with or without it.

#include "xenbuild/builder/toolchain.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::store {
class Store;
}

namespace xenbuild::builder {

// Where a build in the namespace sandbox sees its toolchain's cache directory.
inline constexpr const char* kCompilerCacheInside = "/run/xenbuild/ccache";
// Debian's directory of links named like compilers (gcc, cc, g++, ...) to ccache.
inline constexpr const char* kCcacheMasqueradeDir = "/usr/lib/ccache";
// The size each toolchain's cache is kept under unless configured otherwise.
inline constexpr std::uint64_t kDefaultCompilerCacheMaxBytes = std::uint64_t{5} << 30;

// What one build's compiler calls did, from its own stats log (so builds running at the same
// time do not count each other's calls).
struct CompilerCacheStats {
    std::uint64_t hits = 0;   // results taken from the cache
    std::uint64_t misses = 0; // compiled, and the result stored
    // Calls passed to the compiler without the cache: links, preprocessing, configure's probes,
    // compiler errors.
    std::uint64_t uncacheable = 0;

    // "812 hits, 3 misses, 40 uncacheable"
    std::string summary() const;
    nlohmann::json toJson() const; // {"hits": 812, "misses": 3, "uncacheable": 40}
    // Throws nlohmann::json exceptions for malformed input.
    static CompilerCacheStats fromJson(const nlohmann::json& json);
    friend bool operator==(const CompilerCacheStats&, const CompilerCacheStats&) = default;
};

// Counts the calls of a ccache stats log (ccache's `stats_log`): each call is a comment line
// ("# <input file>") followed by the names of the counters it incremented.
CompilerCacheStats parseStatsLog(std::string_view text);

// <store>/.ccache, and the directory of `toolchain` in it.
std::filesystem::path compilerCacheRoot(const std::filesystem::path& storeDir);
std::filesystem::path compilerCacheDir(const std::filesystem::path& storeDir,
                                       const Toolchain& toolchain);

// Throws BuildError naming the Debian package 'ccache' unless ccache and its masquerade
// directory are installed.
void requireCompilerCache();

struct CompilerCacheTrimOptions {
    std::uint64_t maxBytes = kDefaultCompilerCacheMaxBytes; // per toolchain; 0: empty them
    // A toolchain's cache no build has used for this long is removed whole (an upgraded
    // compiler never hits the old one's results again).
    std::chrono::seconds unusedAge = std::chrono::hours(24 * 30);
    bool dryRun = false; // measure only
};

struct CompilerCacheTrim {
    std::filesystem::path dir;     // <store>/.ccache/<toolchain id>
    std::uint64_t bytesBefore = 0; // the cached results' sizes added up
    std::uint64_t bytesAfter = 0;  // the same afterwards (bytesBefore with dryRun)
    bool removed = false;          // unused for unusedAge: removed whole (or would be)
    std::string notTrimmedBecause; // why it was left as it was (ccache missing, in use)
};

// `store gc`: trims each toolchain's cache to options.maxBytes with ccache's own cleanup (least
// recently used results first, to 80% of the limit; builds may run meanwhile, ccache locks),
// after removing the caches no build used for options.unusedAge. Empty without a cache.
std::vector<CompilerCacheTrim> trimCompilerCaches(const store::Store& store,
                                                  const CompilerCacheTrimOptions& options);

} // namespace xenbuild::builder
