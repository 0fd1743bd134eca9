#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/fetch/http.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using xbtest::HttpServer;
using xbtest::TempDir;
namespace fs = std::filesystem;

namespace {

fetch::HttpOptions fastRetries() {
    fetch::HttpOptions options;
    options.backoff = std::chrono::milliseconds(1);
    return options;
}

std::string patchText() {
    return "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n";
}

} // namespace

TEST_CASE("fetch::downloadFile downloads over HTTP with progress", "[fetch][http]") {
    TempDir dir;
    HttpServer server;
    const std::string body(300000, 'x');
    server.serve("/big", body);
    std::uint64_t last = 0;
    fetch::downloadFile(server.url("/big"), dir / "big", fastRetries(), false,
                        [&](std::uint64_t done, std::uint64_t) { last = done; });
    CHECK(fs::file_size(dir / "big") == body.size());
    CHECK(last == body.size());
}

TEST_CASE("fetch::downloadFile retries transient failures", "[fetch][http]") {
    TempDir dir;
    HttpServer server;
    server.serve("/flaky", "content");
    server.failFirst("/flaky", 2);
    fetch::downloadFile(server.url("/flaky"), dir / "flaky", fastRetries(), false, {});
    CHECK(xbtest::runOk("cat " + (dir / "flaky").string()) == "content");
    CHECK(server.requests("/flaky") == 3);
}

TEST_CASE("fetch::downloadFile names the URL when it fails", "[fetch][http]") {
    TempDir dir;
    HttpServer server;
    SECTION("404 is not retried") {
        REQUIRE_THROWS_WITH(
            fetch::downloadFile(server.url("/missing"), dir / "m", fastRetries(), false, {}),
            Catch::Contains("'" + server.url("/missing") + "'") && Catch::Contains("404"));
        CHECK(server.requests("/missing") == 1);
        CHECK_FALSE(fs::exists(dir / "m"));
    }
    SECTION("503 is retried, then reported") {
        server.failFirst("/down", 100);
        REQUIRE_THROWS_WITH(
            fetch::downloadFile(server.url("/down"), dir / "d", fastRetries(), false, {}),
            Catch::Contains("503") && Catch::Contains("after 4 attempts"));
        CHECK(server.requests("/down") == 4);
    }
}

TEST_CASE("fetch::fetchUrl stores a patch by flat hash and verifies it", "[fetch][http]") {
    TempDir dir;
    HttpServer server;
    server.serve("/xsa/xsa460.patch", patchText());
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::UrlRequest request{
        "", server.url("/xsa/xsa460.patch"), util::sha256(patchText()), false, false, false, ""};
    SECTION("match, then served from the store") {
        const auto result = fetch::fetchUrl(store, request, {}, quiet);
        CHECK(result.path.filename().string().ends_with("-xsa460.patch"));
        CHECK(util::sha256File(result.path) == util::sha256(patchText()));
        CHECK(fetch::fetchUrl(store, request, {}, quiet).fromStore);
        CHECK(server.requests("/xsa/xsa460.patch") == 1);
    }
    SECTION("mismatch adds nothing") {
        request.hash = util::sha256("something else");
        REQUIRE_THROWS_AS(fetch::fetchUrl(store, request, {}, quiet), HashMismatch);
        CHECK(store.list().empty());
    }
    SECTION("offline never connects") {
        fetch::FetchOptions options;
        options.offline = true;
        REQUIRE_THROWS_WITH(fetch::fetchUrl(store, request, options, quiet),
                            Catch::Contains("offline mode") &&
                                Catch::Contains("file 'xsa460.patch'"));
        CHECK(server.requests("/xsa/xsa460.patch") == 0);
    }
    SECTION("offline through a file:// mirror") {
        xbtest::writeFile(dir / "mirror" / "xsa" / "xsa460.patch", patchText());
        fetch::FetchOptions options;
        options.offline = true;
        options.mirrors.add(server.url("/") + "=file://" + (dir / "mirror").string() + "/");
        CHECK(fetch::fetchUrl(store, request, options, quiet).hash == util::sha256(patchText()));
        CHECK(server.requests("/xsa/xsa460.patch") == 0);
    }
}

TEST_CASE("fetch::fetchUrl unpacks a tarball and hashes the tree", "[fetch][http]") {
    TempDir dir;
    xbtest::writeFile(dir / "src" / "pkg-1.0" / "README", "hello\n");
    xbtest::writeFile(dir / "src" / "pkg-1.0" / "configure", "#!/bin/sh\n", true);
    xbtest::runOk("tar -C " + (dir / "src").string() + " -czf " + (dir / "pkg.tar.gz").string() +
                  " pkg-1.0");
    HttpServer server;
    server.serve("/pkg.tar.gz", xbtest::runOk("cat " + (dir / "pkg.tar.gz").string()));
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::UrlRequest request{"", server.url("/pkg.tar.gz"), std::nullopt, true, true, false, ""};
    const auto result = fetch::fetchUrl(store, request, {}, quiet);
    CHECK(result.hash.hex() == xbtest::nixHash(dir / "src" / "pkg-1.0"));
    CHECK(fs::exists(result.path / "configure"));
    CHECK(result.path.filename().string().ends_with("-pkg")); // archive suffix dropped
}
