// Repositories whose tree objects git itself would never write: entry names that are paths,
// "..", ".git" in any case, an empty name. They are made with `git hash-object --literally`
// (which skips git's own checks) and must be refused before anything is written.

#include "support/git_fixture.hpp"
#include "support/hostile_git.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using xenbuild::testing::makeHostileRepo;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Case {
    std::string name;
    std::string root;    // Python expression, see makeHostileRepo
    std::string path;    // the offending path as the message shows it
    std::string why;     // what the message says about it
    std::string escaped; // where a write would have landed, relative to the test directory
};

} // namespace

TEST_CASE("fetch::fetchGit refuses tree entries that are not plain names", "[fetch][git]") {
    TempDir dir;
    const std::string absolute = (dir / "abs-victim").string();
    const std::vector<Case> cases = {
        {"parent-path", "tree(F, ('100644', b'../../escaped', B))", "../../escaped", "contains '/'",
         "store/escaped"},
        {"absolute", "tree(F, ('100644', b'" + absolute + "', B))", absolute, "is an absolute path",
         "abs-victim"},
        {"dotdot", "tree(F, ('40000', b'..', tree(('100644', b'escaped-dotdot', B))))", "..",
         "is a '..' component", "store/.tmp/escaped-dotdot"},
        {"dot", "tree(F, ('40000', b'.', tree(('100644', b'x', B))))", ".", "is a '.' component",
         ""},
        {"dotgit", "tree(F, ('40000', b'.git', tree(('100644', b'config', B))))", ".git",
         "is named like git's own directory ('.git' in any case)", ""},
        {"dotgit-upper", "tree(F, ('40000', b'.GIT', tree(('100644', b'config', B))))", ".GIT",
         "is named like git's own directory ('.git' in any case)", ""},
        {"dotgit-mixed", "tree(F, ('100644', b'.Git', B))", ".Git",
         "is named like git's own directory ('.git' in any case)", ""},
        {"through-symlink",
         "tree(('120000', b'link', blob(b'" + dir.path().string() +
             "')), ('100644', b'link/escaped-through-link', B))",
         "link/escaped-through-link", "contains '/'", "escaped-through-link"},
        {"deep", // two levels down: written by the parallel subtree writers
         "tree(F, ('40000', b'src', tree(('40000', b'lib', tree(F, ('100644', "
         "b'../../../../escaped-deep', B))))))",
         "src/lib/../../../../escaped-deep", "contains '/'", "store/escaped-deep"},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            const fs::path repo = dir / ("repo-" + c.name);
            const std::string commit = makeHostileRepo(repo, c.root);
            auto store = store::Store::open(dir / "store");
            util::NullProgress quiet;
            const std::string url = "file://" + repo.string();
            fetch::GitRequest request{.name = "evil", .url = url, .rev = "master"};
            const std::string where =
                "refusing to check out '" + url + "' at 'master' (commit " + commit + ")";
            const std::string what = "tree entry '" + c.path + "' " + c.why;
            REQUIRE_THROWS_WITH(fetch::fetchGit(store, request, {}, quiet),
                                Catch::Contains(where) && Catch::Contains(what));
            // A pinned hash is checked only after the checkout: the refusal comes first.
            request.hash = util::sha256("pinned");
            REQUIRE_THROWS_WITH(fetch::fetchGit(store, request, {}, quiet),
                                Catch::Contains(where) && Catch::Contains(what));
            if (!c.escaped.empty()) CHECK_FALSE(fs::exists(dir / c.escaped));
            CHECK(store.list().empty());
            CHECK(fs::is_empty(dir / "store" / ".tmp"));
        }
    }
}

TEST_CASE("fetch::fetchGit refuses trees it cannot parse: empty names, names with NUL",
          "[fetch][git]") {
    TempDir dir;
    // A name ends at the first NUL for git: the rest is read as an object id and the next entry.
    const std::pair<const char*, const char*> trees[] = {
        {"empty", "tree(F, ('100644', b'', B))"},
        {"nul", "tree(F, ('100644', b'a\\0../../escaped-nul', B))"},
        {"nul-deep", "tree(F, ('40000', b'sub', tree(('100644', b'a\\0/../escaped-nul', B))))"}};
    for (const auto& [name, root] : trees) {
        DYNAMIC_SECTION(name) {
            const fs::path repo = dir / "repo";
            const std::string commit = makeHostileRepo(repo, root);
            auto store = store::Store::open(dir / "store");
            util::NullProgress quiet;
            const std::string url = "file://" + repo.string();
            fetch::GitRequest request{.name = "evil", .url = url, .rev = "master"};
            REQUIRE_THROWS_WITH(fetch::fetchGit(store, request, {}, quiet),
                                Catch::StartsWith("cannot read the tree") &&
                                    Catch::Contains(" of '" + url + "' at 'master' (commit " +
                                                    commit + "): failed to parse tree"));
            CHECK_FALSE(fs::exists(dir / "store" / "escaped-nul"));
            CHECK_FALSE(fs::exists(dir / "escaped-nul"));
            CHECK(store.list().empty());
            CHECK(fs::is_empty(dir / "store" / ".tmp"));
        }
    }
}

TEST_CASE("fetch::fetchGit refuses hostile trees from its git cache too", "[fetch][git]") {
    TempDir dir;
    const fs::path repo = dir / "repo";
    const std::string commit =
        makeHostileRepo(repo, "tree(F, ('40000', b'.gIt', tree(('100644', b'hooks', B))))");
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::FetchOptions options;
    options.cacheLocalGit = true; // fetched into the bare cache like a git:// or https:// URL
    fetch::GitRequest request{.name = "evil", .url = "file://" + repo.string(), .rev = commit};
    REQUIRE_THROWS_WITH(fetch::fetchGit(store, request, options, quiet),
                        Catch::Contains("at '" + commit + "':") &&
                            Catch::Contains("tree entry '.gIt'"));
    CHECK(store.list().empty());
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
}

TEST_CASE("fetch::fetchGit refuses .gitmodules paths that are not plain relative paths",
          "[fetch][git]") {
    TempDir dir;
    xenbuild::testing::GitFixture upstream(dir / "upstream");
    const std::string sub = xenbuild::testing::trim(xenbuild::testing::runOk(
        "git -C " + xenbuild::testing::shellQuote(upstream.sub.string()) + " rev-parse HEAD"));
    struct Path {
        const char* path;
        const char* why;
    };
    const Path paths[] = {{"../outside", "has a component that is a '..' component"},
                          {"/abs/sub", "is an absolute path"},
                          {"vendor/.GIT/sub", "'.git' in any case"}};
    for (const auto& p : paths) {
        DYNAMIC_SECTION(p.path) {
            const fs::path repo = dir / "repo";
            makeHostileRepo(repo, "tree(F, M, ('160000', b'sub', '" + sub + "'))",
                            std::string("[submodule \"s\"]\n\tpath = ") + p.path +
                                "\n\turl = " + upstream.sub.string() + "\n");
            auto store = store::Store::open(dir / "store");
            util::NullProgress quiet;
            const std::string url = "file://" + repo.string();
            fetch::GitRequest request{
                .name = "evil", .url = url, .rev = "master", .submodules = true};
            REQUIRE_THROWS_WITH(fetch::fetchGit(store, request, {}, quiet),
                                Catch::Contains("refusing to check out the submodules of '" + url +
                                                "' at 'master'") &&
                                    Catch::Contains(".gitmodules gives the submodule path '" +
                                                    std::string(p.path) + "'") &&
                                    Catch::Contains(p.why));
            CHECK(store.list().empty());
            // Without submodules the gitlink is an empty directory and .gitmodules is not used.
            request.submodules = false;
            CHECK(fs::is_directory(fetch::fetchGit(store, request, {}, quiet).path / "sub"));
        }
    }
}

TEST_CASE("fetch::fetchGit stops at the entry and size limits", "[fetch][git]") {
    TempDir dir;
    xenbuild::testing::GitFixture repo(dir / "upstream");
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::GitRequest request{
        .name = "main", .url = repo.main.string(), .rev = repo.v1, .submodules = true};
    fetch::FetchOptions options;
    SECTION("entries, counted over the submodules too") {
        options.limits.entries = 12; // the superproject has 12 entries, its submodule 2 more
        REQUIRE_THROWS_WITH(fetch::fetchGit(store, request, options, quiet),
                            Catch::Contains("refusing to check out '" + repo.sub.string() + "'") &&
                                Catch::Contains("more than 12 files and directories (the entry "
                                                "limit); if that is expected, raise the limit "
                                                "with the fetch-limit setting entries=NUMBER"));
        options.limits.entries = 14;
        CHECK(fetch::fetchGit(store, request, options, quiet).rev == repo.v1);
    }
    SECTION("unpacked bytes") {
        options.limits.unpackedBytes = 20;
        REQUIRE_THROWS_WITH(fetch::fetchGit(store, request, options, quiet),
                            Catch::Contains("its files add up to more than 20 bytes (the "
                                            "unpacked size limit)") &&
                                Catch::Contains("the fetch-limit setting unpacked=SIZE"));
    }
    SECTION("the download into the git cache") {
        options.cacheLocalGit = true;
        options.limits.downloadBytes = 100;
        REQUIRE_THROWS_WITH(fetch::fetchGit(store, request, options, quiet),
                            Catch::Contains("cannot fetch '" + repo.main.string() +
                                            "': it sends more than the download limit of "
                                            "100 bytes") &&
                                Catch::Contains("the fetch-limit setting download=SIZE"));
    }
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
}
