// The compiler cache: its place in the store, a build's mount and stats, and gc's trimming.

#include "xenbuild/builder/compiler_cache.hpp"

#include "compiler_cache_mount.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/process.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace fs = std::filesystem;

namespace xenbuild::builder {

namespace {

// The settings of every build's ccache that depend on no path or option. compiler_check:
// a compiler is known by its executable's content, not its mtime; hash_dir: the working
// directory is part of a result (it is in the debug info), which costs nothing in the
// namespace sandbox, where every build runs at /build; inode_cache: off, sources are hashed
// by content (staged files all have one mtime).
// No base_dir: ccache would hand the compiler relative paths, and __FILE__ and the debug info
// would differ from a build without the cache.
constexpr const char* kConfig =
    "# Written by xenbuild before each build with --ccache (docs/sandbox.md): the only\n"
    "# configuration ccache reads for this store (CCACHE_CONFIGPATH). The cache directory,\n"
    "# temporary directory, stats log and size limit come from the environment.\n"
    "compiler_check = content\n"
    "hash_dir = true\n"
    "inode_cache = false\n";

// The lock a build holds shared on its toolchain's cache, and gc exclusive to remove it.
std::string lockKey(const fs::path& dir) {
    return "ccache-" + dir.filename().string();
}

// ccache's size syntax: whole KiB, rounded up (a bare number would be GB).
std::string ccacheSize(std::uint64_t bytes) {
    return std::to_string((bytes + 1023) / 1024) + "Ki";
}

// The size of what the cache at `dir` holds: its files without ccache's bookkeeping (the
// counters in each subdirectory's `stats`, CACHEDIR.TAG, the configuration, tmp/).
std::uint64_t cachedBytes(const fs::path& dir) {
    std::uint64_t bytes = 0;
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(dir, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        const std::string name = it->path().filename().string();
        std::error_code ignored;
        if (it.depth() == 0 && name == "tmp") {
            it.disable_recursion_pending();
        } else if (it->is_regular_file(ignored) && name != "stats" && name != "CACHEDIR.TAG" &&
                   name != "ccache.conf") {
            bytes += it->file_size(ignored);
        }
    }
    return bytes;
}

// How long ago a build last used the cache at `dir` (wrote its ccache.conf).
std::chrono::seconds unusedFor(const fs::path& dir) {
    std::error_code error;
    auto written = fs::last_write_time(dir / "ccache.conf", error);
    if (error) written = fs::last_write_time(dir, error);
    if (error) return std::chrono::seconds(0);
    return std::chrono::duration_cast<std::chrono::seconds>(fs::file_time_type::clock::now() -
                                                            written);
}

// Runs `ccache ARGUMENT` on the cache at `dir` with its own configuration only.
void runCcache(const fs::path& dir, const std::string& argument, std::uint64_t maxBytes) {
    util::ProcessSpec spec;
    spec.argv = {"ccache", argument};
    spec.env = util::Environment{{"PATH", kBuildPath},
                                 {"LC_ALL", "C"},
                                 {"HOME", "/homeless-shelter"},
                                 {"CCACHE_DIR", dir.string()},
                                 {"CCACHE_CONFIGPATH", (dir / "ccache.conf").string()},
                                 {"CCACHE_TEMPDIR", (dir / "tmp").string()},
                                 {"CCACHE_MAXSIZE", ccacheSize(maxBytes)}};
    spec.capture = true;
    spec.timeout = std::chrono::minutes(30);
    const auto result = util::runProcess(spec);
    if (!result.success()) {
        const std::string message = result.err.substr(0, result.err.find('\n'));
        throw BuildError("'ccache " + argument + "' on " + quote(dir.string()) + " " +
                         result.describeStatus() + (message.empty() ? "" : ": " + message));
    }
}

CompilerCacheTrim trimOne(const store::Store& store, const fs::path& dir,
                          const CompilerCacheTrimOptions& options) {
    CompilerCacheTrim trim{.dir = dir, .bytesBefore = cachedBytes(dir)};
    trim.bytesAfter = trim.bytesBefore;
    if (unusedFor(dir) > options.unusedAge) {
        auto lock = store::FileLock::tryAcquire(store.lockPath(lockKey(dir)));
        if (!lock) {
            trim.notTrimmedBecause = "a build is using it";
            return trim;
        }
        trim.removed = true;
        if (!options.dryRun) {
            util::removeReadOnly(dir);
            trim.bytesAfter = 0;
        }
        return trim;
    }
    if (options.dryRun) return trim;
    try {
        requireCompilerCache();
    } catch (const BuildError& error) {
        trim.notTrimmedBecause = error.what();
        return trim;
    }
    runCcache(dir, options.maxBytes == 0 ? "--clear" : "--cleanup", options.maxBytes);
    trim.bytesAfter = cachedBytes(dir);
    return trim;
}

} // namespace

std::string CompilerCacheStats::summary() const {
    const auto count = [](std::uint64_t n, const char* one, const char* many) {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    return count(hits, "hit", "hits") + ", " + count(misses, "miss", "misses") + ", " +
           std::to_string(uncacheable) + " uncacheable";
}

nlohmann::json CompilerCacheStats::toJson() const {
    return {{"hits", hits}, {"misses", misses}, {"uncacheable", uncacheable}};
}

CompilerCacheStats CompilerCacheStats::fromJson(const nlohmann::json& json) {
    return {.hits = json.at("hits").get<std::uint64_t>(),
            .misses = json.at("misses").get<std::uint64_t>(),
            .uncacheable = json.at("uncacheable").get<std::uint64_t>()};
}

CompilerCacheStats parseStatsLog(std::string_view text) {
    CompilerCacheStats stats;
    bool open = false; // a call's counters are being read
    bool hit = false;
    bool miss = false;
    const auto close = [&] {
        if (!open) return;
        if (hit) {
            ++stats.hits;
        } else if (miss) {
            ++stats.misses;
        } else {
            ++stats.uncacheable;
        }
        open = hit = miss = false;
    };
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line.front() == '#') {
            close();
            open = true;
            continue;
        }
        open = true; // counters without a comment line before them: one call
        if (line == "direct_cache_hit" || line == "preprocessed_cache_hit") hit = true;
        if (line == "cache_miss") miss = true;
    }
    close();
    return stats;
}

fs::path compilerCacheRoot(const fs::path& storeDir) {
    return storeDir / ".ccache";
}

fs::path compilerCacheDir(const fs::path& storeDir, const Toolchain& toolchain) {
    return compilerCacheRoot(storeDir) / toolchain.hash.nix32().substr(0, 32);
}

void requireCompilerCache() {
    if (!util::findProgram("ccache", kBuildPath)) {
        throw BuildError(std::string("the compiler cache needs 'ccache' in ") + kBuildPath +
                         "; install the Debian package 'ccache'");
    }
    for (const char* compiler : {"gcc", "cc"}) {
        const fs::path link = fs::path(kCcacheMasqueradeDir) / compiler;
        std::error_code error;
        if (!fs::exists(link, error)) {
            throw BuildError("the compiler cache needs ccache's compiler links in " +
                             quote(kCcacheMasqueradeDir) + " (" + quote(link.string()) +
                             " is missing); install the Debian package 'ccache'");
        }
    }
}

std::vector<CompilerCacheTrim> trimCompilerCaches(const store::Store& store,
                                                  const CompilerCacheTrimOptions& options) {
    std::vector<fs::path> dirs;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(compilerCacheRoot(store.dir()), error)) {
        if (item.is_directory(error) && !item.is_symlink(error)) dirs.push_back(item.path());
    }
    std::sort(dirs.begin(), dirs.end());
    std::vector<CompilerCacheTrim> trims;
    trims.reserve(dirs.size());
    for (const auto& dir : dirs)
        trims.push_back(withContext("while trimming the compiler cache " + quote(dir.string()),
                                    [&] { return trimOne(store, dir, options); }));
    return trims;
}

namespace detail {

CompilerCacheMount::CompilerCacheMount(const store::Store& store, const Toolchain& toolchain,
                                       const fs::path& buildDir, const fs::path& buildDirInside,
                                       std::uint64_t maxBytes)
    : hostDir_(compilerCacheDir(store.dir(), toolchain)),
      insideDir_(buildDirInside.empty() ? hostDir_ : fs::path(kCompilerCacheInside)),
      statsLog_(buildDir / "ccache-stats.log"),
      statsLogInside_((buildDirInside.empty() ? buildDir : buildDirInside) / "ccache-stats.log"),
      maxBytes_(maxBytes),
      lock_(store::FileLock::acquire(store.lockPath(lockKey(hostDir_)),
                                     store::FileLock::Mode::Shared, "the compiler cache")) {
    fs::create_directories(hostDir_ / "tmp");
    util::writeFileAtomic(hostDir_ / "ccache.conf", kConfig);
}

void CompilerCacheMount::apply(sandbox::RunSpec& spec) const {
    if (insideDir_ != hostDir_) {
        spec.movedDirs.emplace_back(hostDir_, insideDir_);
    } else {
        spec.writableDirs.push_back(hostDir_);
    }
    const auto path = spec.env.find("PATH");
    spec.env["PATH"] = std::string(kCcacheMasqueradeDir) + ":" +
                       (path == spec.env.end() ? sandbox::kDefaultPath : path->second);
    spec.env["CCACHE_DIR"] = insideDir_.string();
    spec.env["CCACHE_CONFIGPATH"] = (insideDir_ / "ccache.conf").string();
    spec.env["CCACHE_TEMPDIR"] = (insideDir_ / "tmp").string();
    spec.env["CCACHE_STATSLOG"] = statsLogInside_.string();
    spec.env["CCACHE_MAXSIZE"] = ccacheSize(maxBytes_);
}

CompilerCacheStats CompilerCacheMount::stats() const {
    std::error_code error;
    if (!fs::exists(statsLog_, error)) return {};
    return parseStatsLog(util::readFile(statsLog_));
}

} // namespace detail

} // namespace xenbuild::builder
