// End-to-end tests of `xenbuild build --ccache` (docs/sandbox.md) with the real ccache and the
// namespace sandbox: a cold cache misses, a build of another plan hits, and the outputs are the
// same bytes with a cold cache, a warm one and none, under the same build key.

#include "e2e/build_fixture.hpp"
#include "support/files.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>

using namespace xenbuild::testing;
using Catch::Contains;

namespace {

constexpr const char* kCcachePackage = "xen_4_19-slim";

// A tools hook (a patch) compiling C with debug info through `cc` and installing the program:
// __FILE__ and the debug info hold the build's absolute paths, which ccache must not change.
const std::string kHelloHook =
    "set -e\n"
    "mkdir -p hello\n"
    "printf '#include <stdio.h>\\nint main(void) { puts(__FILE__); return 0; }\\n' > "
    "hello/hello.c\n"
    "cc -g -O2 -c \"$PWD/hello/hello.c\" -o hello/hello.o\n"
    "cc -g -o hello/xen-hello hello/hello.o\n"
    "install -d \"$DESTDIR/usr/lib/xen/bin\"\n"
    "install -m 0755 hello/xen-hello \"$DESTDIR/usr/lib/xen/bin/xen-hello\"\n";

// xenbuild with this upstream's recipes and the store `store`; `env`: assignments before it.
// With `json`, stdout only.
CommandResult xenbuildIn(const FakeUpstream& upstream, const fs::path& store,
                         const std::string& args, bool json = false,
                         const std::string& env = "XENBUILD_CACHE_CONFIG=/nonexistent") {
    return run(env + " XENBUILD_TODAY=2026-11-21 " +
               shellQuote(::xenbuild::testing::xenbuildBinary()) + " --recipes " +
               shellQuote(upstream.recipes.string()) + " --store " + shellQuote(store.string()) +
               " " + args + (json ? " 2>/dev/null" : " 2>&1"));
}

nlohmann::json buildJson(const FakeUpstream& upstream, const fs::path& store,
                         const std::string& args,
                         const std::string& env = "XENBUILD_CACHE_CONFIG=/nonexistent") {
    const auto built = xenbuildIn(upstream, store,
                                  "build --json " + std::string(kCcachePackage) + " " +
                                      upstream.hostProfileArg() + " " + args,
                                  true, env);
    INFO(built.output);
    REQUIRE(built.status == 0);
    return nlohmann::json::parse(built.output).at(0);
}

// Output name -> the NAR hash of its content.
std::map<std::string, std::string> outputHashes(const nlohmann::json& result) {
    std::map<std::string, std::string> hashes;
    for (const auto& [name, path] : result.at("outputs").items())
        hashes[name] = nixHash(path.get<std::string>());
    return hashes;
}

// The results and manifests ccache holds under `dir`.
std::size_t cachedResults(const fs::path& dir) {
    std::size_t count = 0;
    for (const auto& item : fs::recursive_directory_iterator(dir)) {
        const std::string name = item.path().filename().string();
        if (item.is_regular_file() && (name.back() == 'R' || name.back() == 'M')) ++count;
    }
    return count;
}

const nlohmann::json& relocatableCheck(const nlohmann::json& result) {
    for (const auto& check : result.at("checks")) {
        if (check.at("kind") == "relocatable") return check;
    }
    FAIL("no relocatable check in " + result.dump());
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("build --ccache: another plan hits, the outputs and the build key stay the same",
          "[build][e2e][ccache]") {
    FakeUpstream upstream;
    upstream.addHook("0003", "hello", kHelloHook);
    const fs::path store = upstream.store;
    const fs::path plainStore = upstream.root / "plain-store";
    const fs::path report = upstream.root / "report.json";

    // A cold cache: every compilation misses (hello.c and the hypervisor's efi-stub.S).
    const auto cold =
        buildJson(upstream, store, "--ccache --report " + shellQuote(report.string()));
    REQUIRE(cold.contains("ccache"));
    const auto misses = cold["ccache"]["misses"].get<std::uint64_t>();
    CHECK(misses >= 2);
    CHECK(cold["ccache"]["hits"] == 0);
    CHECK(cold["ccache"]["uncacheable"].get<std::uint64_t>() >= 1); // the link
    const auto key = cold["key"].get<std::string>();
    // In the record and the report too.
    CHECK(nlohmann::json::parse(readFile(store / "builds" / (key + ".json")))["ccache"] ==
          cold["ccache"]);
    CHECK(nlohmann::json::parse(readFile(report))["packages"][0]["ccache"] == cold["ccache"]);
    const auto& relocatable = relocatableCheck(cold);
    CHECK(relocatable["passed"] == true);
    CHECK_THAT(relocatable["detail"].get<std::string>(),
               Contains("or the compiler cache '/run/xenbuild/ccache'"));
    const auto coldHashes = outputHashes(cold);
    const fs::path cacheRoot = store / ".ccache";
    REQUIRE(fs::is_directory(cacheRoot));

    // Without the cache, in another store: the same key, the same bytes.
    const auto plain = buildJson(upstream, plainStore, "");
    CHECK(plain["key"] == key);
    CHECK_FALSE(plain.contains("ccache"));
    CHECK(outputHashes(plain) == coldHashes);
    CHECK_FALSE(fs::exists(plainStore / ".ccache"));

    // The same plan again with a warm cache: all hits, nothing differs.
    const auto warm = xenbuildIn(upstream, store,
                                 "build --ccache --rebuild " + std::string(kCcachePackage) + " " +
                                     upstream.hostProfileArg());
    INFO(warm.output);
    REQUIRE(warm.status == 0);
    CHECK_THAT(warm.output,
               Contains("\n  ccache: " + std::to_string(misses) + " hits, 0 misses, "));
    CHECK(warm.output.find("not reproducible") == std::string::npos);

    // Another plan (one more patch): a new build key, and its compilations hit.
    upstream.addHook("0004", "noop", "true\n");
    const auto other = buildJson(upstream, store, "--ccache");
    CHECK(other["key"] != key);
    CHECK(other["ccache"]["hits"] == misses);
    CHECK(other["ccache"]["misses"] == 0);
    CHECK(outputHashes(other) == coldHashes);

    // The outputs hold the build's paths (the test can see them), never the cache's.
    std::string outputDirs;
    for (const auto* result : {&cold, &other}) {
        for (const auto& [name, path] : result->at("outputs").items())
            outputDirs += " " + shellQuote(path.get<std::string>());
    }
    CHECK(run("grep -rqF /build/xen/tools/hello/hello.c" + outputDirs).status == 0);
    CHECK(run("grep -rlF -e " + shellQuote(cacheRoot.string()) + " -e /run/xenbuild/ccache -e " +
              shellQuote(fs::canonical(cacheRoot).string()) + outputDirs)
              .status == 1);

    // The cache is no store entry: verify passes, ls does not list it.
    const auto verify = xenbuildIn(upstream, store, "store verify");
    CHECK(verify.status == 0);
    CHECK(xenbuildIn(upstream, store, "store ls").output.find(".ccache") == std::string::npos);

    // gc trims it to the size asked for.
    REQUIRE(cachedResults(cacheRoot) > 0);
    const auto badSize = xenbuildIn(upstream, store, "store gc --ccache-max-size 5X");
    CHECK(badSize.status == 2);
    CHECK_THAT(badSize.output, Contains("error: --ccache-max-size '5X': expected a size such as "
                                        "500M or 5G (0 empties the compiler cache)"));
    const auto dryRun = xenbuildIn(upstream, store, "store gc --dry-run --ccache-max-size 1K");
    CHECK(dryRun.status == 0);
    CHECK_THAT(dryRun.output, Contains("compiler cache " + cacheRoot.string() + "/"));
    CHECK(cachedResults(cacheRoot) > 0);
    const auto gc = xenbuildIn(upstream, store, "store gc --ccache-max-size 1K");
    INFO(gc.output);
    CHECK(gc.status == 0);
    CHECK_THAT(gc.output, Contains(" -> 0 bytes (limit 1 KiB)\n"));
    CHECK(cachedResults(cacheRoot) == 0);
    CHECK(xenbuildIn(upstream, store, "store verify").status == 0);
}

TEST_CASE("build --ccache without ccache names the package to install", "[build][e2e][ccache]") {
    FakeUpstream upstream;
    // The host without ccache's compiler links (an empty /usr/lib/ccache).
    const auto built = run(
        "XENBUILD_CACHE_CONFIG=/nonexistent XENBUILD_TODAY=2026-11-21 /usr/bin/bwrap --dev-bind / "
        "/ --tmpfs /usr/lib/ccache -- " +
        shellQuote(::xenbuild::testing::xenbuildBinary()) + " --recipes " +
        shellQuote(upstream.recipes.string()) + " --store " + shellQuote(upstream.store.string()) +
        " build --sandbox off --ccache " + kCcachePackage + " " + upstream.hostProfileArg() +
        " 2>&1");
    INFO(built.output);
    CHECK(built.status == 1);
    CHECK_THAT(built.output,
               Contains("error: the compiler cache needs ccache's compiler links in "
                        "'/usr/lib/ccache' ('/usr/lib/ccache/gcc' is missing); install the Debian "
                        "package 'ccache'"));
    CHECK_FALSE(fs::exists(upstream.store / "builds"));
}

TEST_CASE("the cache config file turns the compiler cache on by default", "[build][e2e][ccache]") {
    FakeUpstream upstream;
    const fs::path config = upstream.root / "cache-config";
    writeFile(config, "ccache on\nccache-max-size 1G\n");
    const std::string env = "XENBUILD_CACHE_CONFIG=" + shellQuote(config.string());

    const auto on = buildJson(upstream, upstream.store, "", env);
    REQUIRE(on.contains("ccache"));
    CHECK(on["ccache"]["misses"].get<std::uint64_t>() >= 1);
    const auto off = buildJson(upstream, upstream.store, "--rebuild --no-ccache", env);
    CHECK_FALSE(off.contains("ccache"));
    CHECK(off["key"] == on["key"]);
    const auto both =
        xenbuildIn(upstream, upstream.store,
                   std::string("build --ccache --no-ccache ") + kCcachePackage, false, env);
    CHECK(both.status == 2);
    CHECK_THAT(both.output, Contains("error: --ccache and --no-ccache exclude each other"));

    // gc trims to the file's limit unless told otherwise.
    const auto gc = xenbuildIn(upstream, upstream.store, "store gc", false, env);
    CHECK(gc.status == 0);
    CHECK_THAT(gc.output, Contains("(limit 1 GiB)\n"));

    writeFile(config, "ccache maybe\n");
    const auto bad = xenbuildIn(
        upstream, upstream.store,
        std::string("build ") + kCcachePackage + " " + upstream.hostProfileArg(), false, env);
    CHECK(bad.status != 0);
    CHECK_THAT(bad.output,
               Contains(config.string() + ":1: expected 'ccache on' or 'ccache off', not 'maybe'"));
}

TEST_CASE("build --ccache: a failed build reports the calls it made", "[build][e2e][ccache]") {
    FakeUpstream upstream;
    upstream.addHook("0003", "broken",
                     "printf 'int ok(void) { return 1; }\\n' > ok.c\ncc -c ok.c -o ok.o\n"
                     "printf 'int broken(void) { return }\\n' > broken.c\ncc -c broken.c\n");
    const fs::path report = upstream.root / "report.json";
    const auto built = xenbuildIn(upstream, upstream.store,
                                  "build --ccache --report " + shellQuote(report.string()) + " " +
                                      kCcachePackage + " " + upstream.hostProfileArg());
    INFO(built.output);
    CHECK(built.status == 1);
    const auto package = nlohmann::json::parse(readFile(report))["packages"][0];
    CHECK(package["status"] == "failed");
    CHECK(package["failedStep"] == "make");
    REQUIRE(package.contains("ccache"));
    CHECK(package["ccache"]["misses"].get<std::uint64_t>() >= 2);      // ok.c, efi-stub.S
    CHECK(package["ccache"]["uncacheable"].get<std::uint64_t>() >= 1); // broken.c
}
