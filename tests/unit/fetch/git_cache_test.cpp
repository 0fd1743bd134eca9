#include "xenbuild/fetch/git_cache.hpp"

#include "support/git_fixture.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using Catch::Matchers::Contains;
using xenbuild::testing::GitFixture;
using xenbuild::testing::TempDir;

TEST_CASE("fetch::listRemoteRefs lists refs and peels annotated tags", "[fetch][git]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    fetch::FetchOptions options;
    const auto refs = fetch::listRemoteRefs("file://" + repo.main.string(), options);
    CHECK(fetch::findTagCommit(refs, "v1.0") == repo.v1); // annotated: the peeled commit
    CHECK(fetch::findTagCommit(refs, "v2") == repo.v2);   // lightweight
    CHECK_FALSE(fetch::findTagCommit(refs, "v3"));
    options.offline = true;
    CHECK_THROWS_WITH(fetch::listRemoteRefs("https://example.invalid/x.git", options),
                      Contains("offline mode: cannot list the tags of"));
    options.offline = false;
    CHECK_THROWS_WITH(fetch::listRemoteRefs("file://" + (dir / "missing").string(), options),
                      Contains("cannot list refs of"));
}

TEST_CASE("fetch::GitCache reads tags and files out of the bare cache", "[fetch][git]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    auto store = store::Store::open(dir / "store");
    fetch::FetchOptions options;
    util::NullProgress progress;
    const auto cache = fetch::GitCache::update(store, repo.main.string(), options, progress);
    CHECK(cache.tagNames() == std::vector<std::string>{"v1.0", "v2"});
    const auto raw = cache.tagObject("v1.0");
    REQUIRE(raw);
    CHECK_THAT(*raw, Contains("object " + repo.v1 + "\ntype commit\ntag v1.0\n"));
    CHECK_FALSE(cache.tagObject("v2")); // lightweight: no tag object
    CHECK(cache.tagCommit("v1.0") == repo.v1);
    CHECK(cache.readFile(repo.v1, "README") == std::optional<std::string>("hello\n"));
    CHECK(cache.readFile(repo.v2, "README") == std::optional<std::string>("hello again\n"));
    CHECK(cache.readFile(repo.v1, "src/deep/file.c") == std::optional<std::string>("int x;\n"));
    CHECK_FALSE(cache.readFile(repo.v1, "missing"));
    CHECK_FALSE(cache.readFile(repo.v1, "src")); // a directory
    CHECK_THROWS_WITH(cache.tagObject("v9"), Contains("tag 'v9' not found in"));
}
