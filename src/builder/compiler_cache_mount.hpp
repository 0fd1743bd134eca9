#pragma once
// What a build with the compiler cache adds to its sandbox (not a public header; see
// xenbuild/builder/compiler_cache.hpp).

#include "xenbuild/builder/compiler_cache.hpp"
#include "xenbuild/sandbox/sandbox.hpp"
#include "xenbuild/store/lock.hpp"

#include <cstdint>
#include <filesystem>

namespace xenbuild::builder::detail {

class CompilerCacheMount {
  public:
    // Creates the toolchain's cache directory, writes its ccache.conf (which marks it used) and
    // holds a shared lock on it until destroyed (gc removes no cache a build is using).
    // `buildDir`: the build directory on the host, where this build's stats log goes;
    // `buildDirInside`: where the commands see it (empty: at the host path, also the cache's).
    CompilerCacheMount(const store::Store& store, const Toolchain& toolchain,
                       const std::filesystem::path& buildDir,
                       const std::filesystem::path& buildDirInside, std::uint64_t maxBytes);

    // Mounts the cache into `spec` and adds ccache's environment: CCACHE_DIR, CCACHE_CONFIGPATH,
    // CCACHE_TEMPDIR, CCACHE_STATSLOG, CCACHE_MAXSIZE, and PATH with the masquerade directory
    // first (before spec.env's PATH, else the sandbox's default).
    void apply(sandbox::RunSpec& spec) const;

    // This build's calls so far (none before the first).
    CompilerCacheStats stats() const;

  private:
    std::filesystem::path hostDir_;
    std::filesystem::path insideDir_; // hostDir_ when the sandbox cannot move it
    std::filesystem::path statsLog_;  // on the host
    std::filesystem::path statsLogInside_;
    std::uint64_t maxBytes_;
    store::FileLock lock_;
};

} // namespace xenbuild::builder::detail
