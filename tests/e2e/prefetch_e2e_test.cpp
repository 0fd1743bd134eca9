#include "support/git_fixture.hpp"
#include "support/http_server.hpp"
#include "support/spawn.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <thread>

using xenbuild::testing::runXenbuild;
using xenbuild::testing::spawnXenbuild;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

std::string bigBody(std::size_t size) {
    std::string body(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        body[i] = static_cast<char>((i * 131) % 253);
    return body;
}

} // namespace

TEST_CASE("xenbuild prefetch --git prints the pin like nix-prefetch-git", "[e2e][prefetch]") {
    TempDir dir;
    xenbuild::testing::GitFixture repo(dir / "upstream");
    const std::string store = (dir / "store").string();
    const auto result =
        runXenbuild(dir.path(), {"prefetch", "--git", repo.main.string(), "--rev", "v1.0",
                                 "--submodules", "--json", "--store", store});
    INFO(result.err);
    REQUIRE(result.status == 0);
    const auto json = Json::parse(result.out);
    CHECK(json["url"] == repo.main.string());
    CHECK(json["rev"] == repo.v1);
    CHECK(json["fetchSubmodules"] == true);
    const auto expected = xenbuild::util::Hash::parse(repo.expectedHash(repo.v1, true));
    CHECK(json["hash"] == expected.sri());
    CHECK(json["sha256"] == expected.nix32());
    CHECK(fs::path(json["path"].get<std::string>()).parent_path() == store);

    const auto listed = runXenbuild(dir.path(), {"store", "ls", "--json", "--store", store});
    REQUIRE(listed.status == 0);
    CHECK(Json::parse(listed.out).at(0)["rev"] == repo.v1);
}

TEST_CASE("xenbuild prefetch explains bad usage and offline misses", "[e2e][prefetch]") {
    TempDir dir;
    const std::string store = (dir / "store").string();
    SECTION("packages offline name every missing source and patch") {
        const auto result =
            runXenbuild(dir.path(), {"prefetch", "xen-slim", "--offline", "--store", store});
        CHECK(result.status == 1);
        CHECK_THAT(result.err, Catch::Contains("7 fetches failed") &&
                                   Catch::Contains("while fetching source 'xen' of "
                                                   "'xen_4_19-slim':\n  offline mode: revision "
                                                   "'026c9fa29716b0ff0f8b7c687908e71ba29cf239'") &&
                                   Catch::Contains("--mirror"));
    }
    SECTION("--mirror takes one rule and never swallows the package name after it") {
        const auto result = runXenbuild(dir.path(), {"prefetch", "--offline", "--mirror",
                                                     "https://mirror.invalid/=file:///nonexistent/",
                                                     "xen-slim", "--store", store});
        CHECK(result.status == 1);
        CHECK_THAT(result.err, Catch::Contains("while fetching source 'xen' of 'xen_4_19-slim'"));
    }
    SECTION("--git without --rev") {
        const auto result = runXenbuild(dir.path(), {"prefetch", "--git", "/x", "--store", store});
        CHECK(result.status == 2);
        CHECK_THAT(result.err, Catch::Contains("needs --rev"));
    }
    SECTION("offline") {
        const auto result =
            runXenbuild(dir.path(), {"--offline", "prefetch", "--url",
                                     "https://xenbits.invalid/xsa/xsa1.patch", "--store", store});
        CHECK(result.status == 1);
        CHECK_THAT(result.err, Catch::Contains("offline mode: file 'xsa1.patch'") &&
                                   Catch::Contains("--mirror"));
    }
}

TEST_CASE("xenbuild prefetch killed mid-download leaves the store consistent", "[e2e][store]") {
    TempDir dir;
    const std::string store = (dir / "store").string();
    xenbuild::testing::HttpServer server;
    const std::string body = bigBody(8 * 1024 * 1024);
    server.serve("/big.bin", body);
    server.setSlow(64 * 1024, std::chrono::milliseconds(20));
    const std::vector<std::string> args = {
        "prefetch", "--url", server.url("/big.bin"), "--hash", xenbuild::util::sha256(body).sri(),
        "--store",  store};
    const auto victim = spawnXenbuild(dir.path(), args, "victim");
    while (server.bytesSent() < 1024 * 1024)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    victim.kill();
    CHECK(victim.wait() == 128 + SIGKILL);
    CHECK_FALSE(fs::is_empty(dir / "store" / ".tmp")); // the partial download is hidden there
    // Any later run sweeps it (its owner is dead) and shows no partial entry.
    CHECK(Json::parse(runXenbuild(dir.path(), {"store", "ls", "--json", "--store", store}).out)
              .empty());
    CHECK(fs::is_empty(dir / "store" / ".tmp"));

    server.setSlow(0, std::chrono::milliseconds(0));
    const auto rerun = runXenbuild(dir.path(), args);
    INFO(rerun.err);
    REQUIRE(rerun.status == 0);
    const auto verify = runXenbuild(dir.path(), {"store", "verify", "--json", "--store", store});
    CHECK(verify.status == 0);
    CHECK(Json::parse(verify.out)["entries"] == 1);
    CHECK(Json::parse(verify.out)["corrupt"].empty());
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
}

TEST_CASE("two xenbuild processes fetching the same source do the work once", "[e2e][store]") {
    TempDir dir;
    const std::string store = (dir / "store").string();
    xenbuild::testing::HttpServer server;
    const std::string body = bigBody(1024 * 1024);
    server.serve("/shared.tar", body);
    server.setSlow(64 * 1024, std::chrono::milliseconds(10));
    const std::vector<std::string> args = {"prefetch",
                                           "--url",
                                           server.url("/shared.tar"),
                                           "--hash",
                                           xenbuild::util::sha256(body).sri(),
                                           "--json",
                                           "--store",
                                           store};
    const auto first = spawnXenbuild(dir.path(), args, "first");
    const auto second = spawnXenbuild(dir.path(), args, "second");
    CHECK(first.wait() == 0);
    CHECK(second.wait() == 0);
    CHECK(server.requests("/shared.tar") == 1);
    CHECK(Json::parse(first.stdoutText())["path"] == Json::parse(second.stdoutText())["path"]);
}

TEST_CASE("xenbuild store verify and gc", "[e2e][store]") {
    TempDir dir;
    const std::string store = (dir / "store").string();
    xenbuild::testing::writeFile(dir / "files" / "a.patch", "patch a\n");
    const auto fetched = runXenbuild(dir.path(), {"prefetch", "--url",
                                                  "file://" + (dir / "files" / "a.patch").string(),
                                                  "--json", "--store", store});
    REQUIRE(fetched.status == 0);
    const fs::path path = Json::parse(fetched.out)["path"].get<std::string>();
    CHECK(runXenbuild(dir.path(), {"store", "verify", "--store", store}).status == 0);

    fs::permissions(path, fs::perms(0644));
    xenbuild::testing::writeFile(path, "tampered\n");
    const auto verify = runXenbuild(dir.path(), {"store", "verify", "--store", store});
    CHECK(verify.status == 1);
    CHECK_THAT(verify.out, Catch::Contains(path.string() + ": content changed"));
    CHECK_THAT(verify.err, Catch::Contains("1 store entries are corrupt"));

    const auto dry = runXenbuild(dir.path(), {"store", "gc", "--dry-run", "--store", store});
    CHECK_THAT(dry.out, Catch::Contains("would remove " + path.string()));
    CHECK(fs::exists(path));
    const auto gc = runXenbuild(dir.path(), {"store", "gc", "--store", store});
    CHECK(gc.status == 0);
    CHECK_FALSE(fs::exists(path));
}
