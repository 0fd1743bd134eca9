#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/fetch/http.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using xenbuild::testing::HttpServer;
using xenbuild::testing::TempDir;
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
    CHECK(xenbuild::testing::runOk("cat " + (dir / "flaky").string()) == "content");
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
    fetch::UrlRequest request{.url = server.url("/xsa/xsa460.patch"),
                              .hash = util::sha256(patchText()),
                              .stripTopLevel = false};
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
        xenbuild::testing::writeFile(dir / "mirror" / "xsa" / "xsa460.patch", patchText());
        fetch::FetchOptions options;
        options.offline = true;
        options.mirrors.add(server.url("/") + "=file://" + (dir / "mirror").string() + "/");
        CHECK(fetch::fetchUrl(store, request, options, quiet).hash == util::sha256(patchText()));
        CHECK(server.requests("/xsa/xsa460.patch") == 0);
    }
}

TEST_CASE("fetch::fetchUrl unpacks a tarball and hashes the tree", "[fetch][http]") {
    TempDir dir;
    xenbuild::testing::writeFile(dir / "src" / "pkg-1.0" / "README", "hello\n");
    xenbuild::testing::writeFile(dir / "src" / "pkg-1.0" / "configure", "#!/bin/sh\n", true);
    xenbuild::testing::runOk("tar -C " + (dir / "src").string() + " -czf " +
                             (dir / "pkg.tar.gz").string() + " pkg-1.0");
    HttpServer server;
    server.serve("/pkg.tar.gz", xenbuild::testing::runOk("cat " + (dir / "pkg.tar.gz").string()));
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::UrlRequest request{.url = server.url("/pkg.tar.gz"), .unpack = true};
    const auto result = fetch::fetchUrl(store, request, {}, quiet);
    CHECK(result.hash.hex() == xenbuild::testing::nixHash(dir / "src" / "pkg-1.0"));
    CHECK(fs::exists(result.path / "configure"));
    CHECK(result.path.filename().string().ends_with("-pkg")); // archive suffix dropped
}

TEST_CASE("fetch::downloadFile stops at the download limit", "[fetch][http]") {
    TempDir dir;
    HttpServer server;
    fetch::FetchLimits limits;
    limits.downloadBytes = 1 << 20;
    const std::string tail = "': it is larger than the download limit of 1 MiB; if that is "
                             "expected, raise the limit with the fetch-limit setting download=SIZE";
    SECTION("an endless body") {
        server.serveEndless("/endless");
        REQUIRE_THROWS_WITH(fetch::downloadFile(server.url("/endless"), dir / "e", fastRetries(),
                                                false, {}, limits),
                            "cannot download '" + server.url("/endless") + tail);
        CHECK(server.requests("/endless") == 1); // not retried
        CHECK_FALSE(fs::exists(dir / "e"));
    }
    SECTION("a Content-Length over the limit") {
        server.serve("/big", std::string((1 << 20) + 1, 'x'));
        REQUIRE_THROWS_WITH(
            fetch::downloadFile(server.url("/big"), dir / "b", fastRetries(), false, {}, limits),
            "cannot download '" + server.url("/big") + tail);
        CHECK(server.requests("/big") == 1);
        CHECK_FALSE(fs::exists(dir / "b"));
    }
    SECTION("exactly the limit") {
        server.serve("/fits", std::string(1 << 20, 'x'));
        fetch::downloadFile(server.url("/fits"), dir / "f", fastRetries(), false, {}, limits);
        CHECK(fs::file_size(dir / "f") == 1 << 20);
    }
}

TEST_CASE("fetch::downloadFile explains oversized response headers", "[fetch][http]") {
    TempDir dir;
    HttpServer server;
    server.serve("/file", "content");
    SECTION("one huge header line") {
        server.setExtraHeader("X-Big: " + std::string(2 << 20, 'a'));
        REQUIRE_THROWS_WITH(
            fetch::downloadFile(server.url("/file"), dir / "f", fastRetries(), false, {}),
            Catch::StartsWith("cannot download '" + server.url("/file") +
                              "': the server sent a response header line too long to read "
                              "(over 100 KiB)"));
    }
    SECTION("too many header lines") {
        std::string lines;
        for (int i = 0; i < 400; ++i)
            lines += (i == 0 ? "" : "\r\n") + ("X-Line-" + std::to_string(i) + ": ") +
                     std::string(1000, 'b');
        server.setExtraHeader(lines);
        REQUIRE_THROWS_WITH(
            fetch::downloadFile(server.url("/file"), dir / "f", fastRetries(), false, {}),
            "cannot download '" + server.url("/file") +
                "': the server sent more than 256 KiB of response headers");
    }
    CHECK(server.requests("/file") == 1);
    CHECK_FALSE(fs::exists(dir / "f"));
}

TEST_CASE("fetch::fetchUrl names the URL in unpacking errors and applies the limits",
          "[fetch][http]") {
    TempDir dir;
    xenbuild::testing::writeFile(dir / "src" / "a" / "x", "x\n");
    xenbuild::testing::writeFile(dir / "src" / "b" / "y", "y\n");
    xenbuild::testing::runOk("tar -C " + (dir / "src").string() + " -czf " +
                             (dir / "two.tar.gz").string() + " a b");
    HttpServer server;
    server.serve("/two.tar.gz", xenbuild::testing::runOk("cat " + (dir / "two.tar.gz").string()));
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    fetch::UrlRequest request{.url = server.url("/two.tar.gz"), .unpack = true};
    REQUIRE_THROWS_WITH(fetch::fetchUrl(store, request, {}, quiet),
                        "cannot unpack '" + server.url("/two.tar.gz") +
                            "': expected a single top-level directory (the archive's files "
                            "inside one directory, like 'xen-4.19.0/...'), found 2 top-level "
                            "entries: 'a', 'b'");
    request.stripTopLevel = false;
    fetch::FetchOptions options;
    options.limits.entries = 3;
    REQUIRE_THROWS_WITH(fetch::fetchUrl(store, request, options, quiet),
                        Catch::StartsWith("refusing to unpack '" + server.url("/two.tar.gz") +
                                          "': it has more than 3 entries"));
    options.limits = {};
    options.limits.downloadBytes = 10;
    REQUIRE_THROWS_WITH(fetch::fetchUrl(store, request, options, quiet),
                        Catch::StartsWith("cannot download '" + server.url("/two.tar.gz") +
                                          "': it is larger than the download limit of 10 bytes"));
    CHECK(store.list().empty());
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
}

TEST_CASE("fetch::FetchLimits::set parses NAME=VALUE", "[fetch][limits]") {
    fetch::FetchLimits limits;
    limits.set("download=4G");
    CHECK(limits.downloadBytes == std::uint64_t{4} << 30);
    limits.set("unpacked=512MiB");
    CHECK(limits.unpackedBytes == std::uint64_t{512} << 20);
    limits.set("unpacked=100k");
    CHECK(limits.unpackedBytes == 100 * 1024);
    limits.set("download=none");
    CHECK(limits.downloadBytes == 0);
    limits.set("entries=2000000");
    CHECK(limits.entries == 2'000'000);
    limits.set("ratio=0");
    CHECK(limits.ratio == 0);
    CHECK(fetch::describeBytes(std::uint64_t{2} << 30) == "2 GiB");
    CHECK(fetch::describeBytes(1536) == "1536 bytes");
    CHECK(fetch::describeBytes(0) == "0 bytes");
    CHECK(fetch::describeBytes(3 << 20) == "3 MiB");
    CHECK(fetch::describeBytes(469135600) == "447.4 MiB");
    REQUIRE_THROWS_WITH(limits.set("download=lots"),
                        "invalid fetch limit 'download=lots': expected download=SIZE (e.g. "
                        "download=4G), or download=none for no limit");
    REQUIRE_THROWS_WITH(limits.set("entries=1k"),
                        "invalid fetch limit 'entries=1k': expected entries=NUMBER (e.g. "
                        "entries=1000), or entries=none for no limit");
    REQUIRE_THROWS_WITH(limits.set("download=99999999999T"), Catch::Contains("invalid"));
    REQUIRE_THROWS_AS(limits.set("speed=1"), UsageError);
    REQUIRE_THROWS_AS(limits.set("download"), UsageError);
}
