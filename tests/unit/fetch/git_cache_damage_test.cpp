// A damaged git cache (the bare repository per URL under <store>/git) is detected when used,
// explained, discarded and fetched again, and the other caches are left alone.

#include "support/git_fixture.hpp"
#include "support/log_capture.hpp"
#include "support/small_fs.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/fetch/git_cache.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace xenbuild;
using Catch::Matchers::Contains;
using xenbuild::testing::GitFixture;
using xenbuild::testing::LogCapture;
using xenbuild::testing::runOk;
using xenbuild::testing::shellQuote;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kMain = "https://upstream.invalid/main";
const std::string kSub = "https://upstream.invalid/sub";

fs::path onlyFile(const fs::path& dir, const std::string& extension) {
    for (const auto& item : fs::directory_iterator(dir))
        if (item.path().extension() == extension) return item.path();
    FAIL("no " << extension << " file in " << dir);
    return {};
}

void overwrite(const fs::path& file, std::uintmax_t offset, const std::string& bytes) {
    ::chmod(file.c_str(), 0644);
    std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(static_cast<std::streamoff>(offset));
    out << bytes;
}

struct Caches {
    TempDir dir;
    GitFixture repo{dir / "upstream"};
    store::Store store = store::Store::open(dir / "store");
    fetch::FetchOptions options;
    util::NullProgress quiet;
    fs::path main = store.gitCacheDir(kMain);
    fs::path sub = store.gitCacheDir(kSub);

    Caches() {
        options.cacheLocalGit = true;
        options.mirrors.add("https://upstream.invalid/=file://" + repo.root.string() + "/");
        get("main", kMain, "v1.0", options);
        get("sub", kSub, "master", options);
    }

    fetch::FetchResult get(const std::string& name, const std::string& url, const std::string& rev,
                           const fetch::FetchOptions& with) {
        fetch::GitRequest request{.name = name, .url = url, .rev = rev};
        return fetch::fetchGit(store, request, with, quiet);
    }
};

} // namespace

TEST_CASE("a damaged git cache is discarded and fetched again", "[fetch][git][gitcache]") {
    Caches caches;
    const fs::path& cache = caches.main;
    struct stat subBefore {};
    REQUIRE(::stat((caches.sub / "HEAD").c_str(), &subBefore) == 0);
    std::string reason;
    SECTION("garbled packed-refs") {
        xenbuild::testing::writeFile(cache / "packed-refs", "this is not a ref\n");
        reason = "its references are unreadable: corrupted packed references file";
    }
    SECTION("garbled HEAD") {
        xenbuild::testing::writeFile(cache / "HEAD", "xx");
        reason = "HEAD is unreadable: corrupted loose reference file: HEAD";
    }
    SECTION("HEAD naming an invalid reference") {
        xenbuild::testing::writeFile(cache / "HEAD", "ref: refs/heads/..\n");
        reason = "HEAD names an invalid reference";
    }
    SECTION("missing HEAD") {
        fs::remove(cache / "HEAD");
        reason = "HEAD is missing";
    }
    SECTION("truncated pack") {
        const fs::path pack = onlyFile(cache / "objects" / "pack", ".pack");
        ::chmod(pack.c_str(), 0644);
        fs::resize_file(pack, fs::file_size(pack) / 2);
        reason = "pack " + pack.filename().string() + " does not match its index (truncated?)";
    }
    SECTION("missing pack index") {
        const fs::path index = onlyFile(cache / "objects" / "pack", ".idx");
        fs::remove(index);
        reason = "pack " + fs::path(index).replace_extension(".pack").filename().string() +
                 " has no index";
    }
    SECTION("garbled objects inside a pack") {
        const fs::path pack = onlyFile(cache / "objects" / "pack", ".pack");
        overwrite(pack, 12, std::string(fs::file_size(pack) - 32, 'X'));
        reason = "cannot read";
    }
    SECTION("truncated loose object (libgit2 1.5 would loop forever reading it)") {
        // Unpack the cache's pack into loose objects, then cut the v2 commit short.
        const fs::path pack = onlyFile(cache / "objects" / "pack", ".pack");
        fs::rename(pack, caches.dir / "saved.pack");
        fs::remove(onlyFile(cache / "objects" / "pack", ".idx"));
        runOk("git -C " + shellQuote(cache.string()) + " unpack-objects -q < " +
              shellQuote((caches.dir / "saved.pack").string()));
        const fs::path object =
            cache / "objects" / caches.repo.v2.substr(0, 2) / caches.repo.v2.substr(2);
        REQUIRE(fs::exists(object));
        ::chmod(object.c_str(), 0644);
        fs::resize_file(object, 10);
        reason = "object " + caches.repo.v2 + " is truncated or damaged";
    }
    SECTION("a file instead of the cache directory") {
        util::removeReadOnly(cache);
        xenbuild::testing::writeFile(cache, "not a repository");
        reason = "it is not a directory";
    }

    LogCapture log;
    const auto result = caches.get("main", kMain, "v2", caches.options);
    CHECK(result.rev == caches.repo.v2);
    CHECK(result.hash.hex() == caches.repo.expectedHash(caches.repo.v2, false));
    CHECK_THAT(log.text(), Contains("warning: the git cache " + cache.string() + " of " + kMain +
                                    " is damaged (" + reason) &&
                               Contains("discarding it and fetching again"));
    // The new cache is whole: offline, both tags come from it.
    fetch::FetchOptions offline = caches.options;
    offline.offline = true;
    offline.mirrors = {};
    CHECK(caches.get("main-again", kMain, "v1.0", offline).rev == caches.repo.v1);
    // The other cache was not touched, and nothing was left behind.
    struct stat subAfter {};
    REQUIRE(::stat((caches.sub / "HEAD").c_str(), &subAfter) == 0);
    CHECK(subAfter.st_ino == subBefore.st_ino);
    CHECK(caches.get("sub-again", kSub, "master", offline).rev.size() == 40);
    CHECK(fs::is_empty(caches.dir / "store" / ".tmp"));
}

TEST_CASE("a damaged git cache offline: discarded, and the error says why the fetch failed",
          "[fetch][git][gitcache]") {
    Caches caches;
    xenbuild::testing::writeFile(caches.main / "packed-refs", "garbage\n");
    fetch::FetchOptions offline;
    offline.offline = true;
    offline.cacheLocalGit = true;
    try {
        caches.get("main", kMain, "v2", offline);
        FAIL("fetching from a damaged cache offline succeeded");
    } catch (const FetchError& e) {
        CHECK_THAT(e.describe(),
                   Contains("after discarding the damaged git cache '" + caches.main.string() +
                            "' of '" + kMain +
                            "' (its references are unreadable: corrupted packed references "
                            "file)") &&
                       Contains("offline mode: revision 'v2' of '" + kMain +
                                "' is not in the store or the git cache; rerun without "
                                "offline mode"));
    }
    CHECK_FALSE(fs::exists(caches.main / "packed-refs"));
}

TEST_CASE("fetch::GitCache::update repairs a damaged cache too", "[fetch][git][gitcache]") {
    Caches caches;
    xenbuild::testing::writeFile(caches.main / "HEAD", "xx");
    const auto cache = fetch::GitCache::update(caches.store, kMain, caches.options, caches.quiet);
    CHECK(cache.tagNames() == std::vector<std::string>{"v1.0", "v2"});
    CHECK(cache.tagCommit("v2") == caches.repo.v2);
}

TEST_CASE("a full disk while fetching into a git cache: clear error, then it works",
          "[fetch][git][gitcache][diskfull]") {
    TempDir dir;
    const xenbuild::testing::SmallFileSystem small(dir / "small", "8m");
    if (!small.skipReason().empty()) {
        WARN("skipped: " << small.skipReason());
        return;
    }
    const fs::path& mountPoint = small.path();
    // 12 MiB that does not compress, committed in an upstream repository.
    runOk("mkdir -p " + shellQuote((dir / "up").string()) + " && cd " +
          shellQuote((dir / "up").string()) +
          " && head -c 12582912 /dev/urandom > big.bin && git init -q && git add -A && git "
          "commit -qm big");
    auto store = store::Store::open(mountPoint / "store");
    fetch::FetchOptions options;
    options.cacheLocalGit = true;
    options.mirrors.add("https://upstream.invalid/=file://" + dir.path().string() + "/");
    util::NullProgress quiet;
    fetch::GitRequest request{.name = "up", .url = "https://upstream.invalid/up", .rev = "HEAD"};
    CHECK_THROWS_WITH(fetch::fetchGit(store, request, options, quiet),
                      Contains("no space left on device for the store '" +
                               (mountPoint / "store").string() + "' while fetching source 'up'"));
    CHECK(fs::is_empty(mountPoint / "store" / ".tmp"));
    CHECK(store.list().empty());
    // No half-written pack stays in the cache either.
    std::uintmax_t cacheBytes = 0;
    for (const auto& item : fs::recursive_directory_iterator(mountPoint / "store" / "git"))
        if (item.is_regular_file()) cacheBytes += item.file_size();
    CHECK(cacheBytes < 1024 * 1024);
    REQUIRE(small.grow("64m"));
    const auto fetched = fetch::fetchGit(store, request, options, quiet);
    CHECK(fs::file_size(fetched.path / "big.bin") == 12582912);
    util::NullProgress progress;
    CHECK(store.verify(progress).empty());
}
