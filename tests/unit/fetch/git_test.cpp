#include "support/git_fixture.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using xenbuild::testing::GitFixture;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Recorder final : util::ProgressObserver {
    std::vector<util::ProgressEvent> events;
    void onEvent(const util::ProgressEvent& event) override { events.push_back(event); }
};

fetch::GitRequest request(const GitFixture& repo, const std::string& rev, bool submodules) {
    return {.name = "main", .url = repo.main.string(), .rev = rev, .submodules = submodules};
}

} // namespace

TEST_CASE("fetch::fetchGit checks out a commit with nix-prefetch-git's hash", "[fetch][git]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    auto store = store::Store::open(dir / "store");
    Recorder events;
    SECTION("by commit, with submodules") {
        const auto result = fetch::fetchGit(store, request(repo, repo.v1, true), {}, events);
        CHECK(result.rev == repo.v1);
        CHECK(result.hash.hex() == repo.expectedHash(repo.v1, true));
        CHECK(fs::exists(result.path / "vendor" / "sub" / "sub.txt"));
        CHECK(!fs::exists(result.path / ".git"));
        CHECK(!fs::exists(result.path / "vendor" / "sub" / ".git"));
        CHECK(fs::is_symlink(result.path / "dangling"));
        CHECK((fs::status(result.path / "bin" / "run").permissions() & fs::perms::owner_exec) !=
              fs::perms::none);
        CHECK(!events.events.empty());
    }
    SECTION("by annotated tag, resolved to the commit, without submodules") {
        const auto result = fetch::fetchGit(store, request(repo, "v1.0", false), {}, events);
        CHECK(result.rev == repo.v1);
        CHECK(result.hash.hex() == repo.expectedHash(repo.v1, false));
        CHECK(fs::is_empty(result.path / "vendor" / "sub"));
        CHECK(store.list().at(0).info.rev == repo.v1);
    }
    SECTION("by lightweight tag, then another rev from the same cache") {
        const auto second = fetch::fetchGit(store, request(repo, "v2", true), {}, events);
        CHECK(second.rev == repo.v2);
        CHECK(second.hash.hex() == repo.expectedHash(repo.v2, true));
        const auto first = fetch::fetchGit(store, request(repo, repo.v1, true), {}, events);
        CHECK(first.hash.hex() == repo.expectedHash(repo.v1, true));
        CHECK(store.list().size() == 2);
    }
}

TEST_CASE("fetch::fetchGit serves a pinned source from the store without the repository",
          "[fetch][git]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    auto pinned = request(repo, repo.v1, true);
    pinned.hash = util::Hash::parse(repo.expectedHash(repo.v1, true));
    const auto first = fetch::fetchGit(store, pinned, {}, quiet);
    CHECK_FALSE(first.fromStore);
    fs::rename(repo.root, dir / "gone");
    const auto second = fetch::fetchGit(store, pinned, {}, quiet);
    CHECK(second.fromStore);
    CHECK(second.path == first.path);
    CHECK(second.rev == repo.v1);
}

TEST_CASE("fetch::fetchGit refuses a hash mismatch and adds nothing", "[fetch][git]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    auto pinned = request(repo, "v1.0", true);
    pinned.hash = util::sha256("not the tree");
    const auto actual = util::Hash::parse(repo.expectedHash(repo.v1, true));
    REQUIRE_THROWS_AS(fetch::fetchGit(store, pinned, {}, quiet), HashMismatch);
    REQUIRE_THROWS_WITH(fetch::fetchGit(store, pinned, {}, quiet),
                        Catch::Contains("source 'main'") &&
                            Catch::Contains("'" + repo.main.string() + "'") &&
                            Catch::Contains("rev '" + repo.v1 + "'") &&
                            Catch::Contains(pinned.hash->sri()) && Catch::Contains(actual.sri()));
    CHECK(store.list().empty());
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
}

TEST_CASE("fetch::fetchGit in offline mode names what is missing", "[fetch][git]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::FetchOptions options;
    options.offline = true;
    fetch::GitRequest remote{
        .name = "qemu", .url = "https://xenbits.invalid/git-http/qemu-xen.git", .rev = "master"};
    REQUIRE_THROWS_WITH(fetch::fetchGit(store, remote, options, quiet),
                        Catch::Contains("offline mode") &&
                            Catch::Contains("'https://xenbits.invalid/git-http/qemu-xen.git'") &&
                            Catch::Contains("the mirror rule"));
    CHECK(store.list().empty());
}

TEST_CASE("fetch::fetchGit follows mirrors, also for relative submodule URLs", "[fetch][git]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::FetchOptions options;
    options.offline = true; // a file:// mirror needs no network
    options.mirrors.add("https://upstream.invalid/=file://" + repo.root.string() + "/");
    fetch::GitRequest mirrored{
        .name = "main", .url = "https://upstream.invalid/main", .rev = "v1.0", .submodules = true};
    const auto result = fetch::fetchGit(store, mirrored, options, quiet);
    CHECK(result.url == "https://upstream.invalid/main");
    CHECK(result.hash.hex() == repo.expectedHash(repo.v1, true));
}

TEST_CASE("fetch::fetchGit reports an unknown revision", "[fetch][git]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    REQUIRE_THROWS_WITH(fetch::fetchGit(store, request(repo, "no-such-tag", false), {}, quiet),
                        Catch::Contains("revision 'no-such-tag' not found"));
}

TEST_CASE("fetch::fetchGit keeps a bare cache per URL that serves later revs and offline mode",
          "[fetch][git]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::FetchOptions options;
    options.cacheLocalGit = true;
    options.mirrors.add("https://upstream.invalid/=file://" + repo.root.string() + "/");
    fetch::GitRequest upstream{.name = "main", .url = "https://upstream.invalid/main", .rev = "v2"};
    const auto second = fetch::fetchGit(store, upstream, options, quiet);
    CHECK(second.rev == repo.v2);
    const fs::path cache = store.gitCacheDir("https://upstream.invalid/main");
    CHECK(fs::exists(cache / "HEAD"));

    // The cache already holds v1.0 (fetched with all tags): offline, with no mirror, works.
    fetch::FetchOptions offline;
    offline.offline = true;
    offline.cacheLocalGit = true;
    upstream.rev = "v1.0";
    const auto first = fetch::fetchGit(store, upstream, offline, quiet);
    CHECK(first.rev == repo.v1);
    CHECK(first.hash.hex() == repo.expectedHash(repo.v1, false));
    upstream.rev = "no-such-tag";
    REQUIRE_THROWS_WITH(fetch::fetchGit(store, upstream, offline, quiet),
                        Catch::Contains("offline mode: revision 'no-such-tag'"));
}
