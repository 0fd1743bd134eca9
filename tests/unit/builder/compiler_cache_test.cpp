// The compiler cache: stats logs, its mount and environment in a build, records and the size
// syntax of its settings.

#include "builder/record.hpp"
#include "unit/builder/builder_fixture.hpp"
#include "xenbuild/builder/compiler_cache.hpp"
#include "xenbuild/cache/cache.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/size.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild;
using namespace xenbuild::testing;
using builder::CompilerCacheStats;

namespace {

// What ccache 4.7 wrote for: a miss, a direct hit, a preprocessed hit, `gcc -E`, a link, a
// call without an input file and a failed compilation.
const std::string kStatsLog = "# a.c\n"
                              "cache_miss\n"
                              "direct_cache_miss\n"
                              "local_storage_miss\n"
                              "local_storage_read_miss\n"
                              "local_storage_write\n"
                              "preprocessed_cache_miss\n"
                              "# a.c\n"
                              "direct_cache_hit\n"
                              "local_storage_hit\n"
                              "local_storage_read_hit\n"
                              "# /build/xen/xen/common/b.c\n"
                              "direct_cache_miss\n"
                              "preprocessed_cache_hit\n"
                              "local_storage_hit\n"
                              "# a.c\n"
                              "called_for_preprocessing\n"
                              "# a.o\n"
                              "called_for_link\n"
                              "# \n"
                              "no_input_file\n"
                              "# broken.c\n"
                              "compile_failed\n";

// A fake make that compiles through "ccache": appends `counters` to the build's stats log.
FakeSandbox::Script compiling(std::string counters) {
    return [counters = std::move(counters)](FakeSandbox::Run& run) {
        fs::path log = run.spec.env.at("CCACHE_STATSLOG");
        if (!run.spec.workDirInside.empty()) // the sandbox's view: map it to the host
            log = run.spec.workDir / log.lexically_relative(run.spec.workDirInside);
        std::ofstream(log, std::ios::app) << counters;
        return BuilderFixture::installingMake()(run);
    };
}

} // namespace

TEST_CASE("builder::parseStatsLog counts each call once", "[builder][ccache]") {
    const auto stats = builder::parseStatsLog(kStatsLog);
    CHECK(stats.hits == 2);
    CHECK(stats.misses == 1);
    CHECK(stats.uncacheable == 4);
    CHECK(stats.summary() == "2 hits, 1 miss, 4 uncacheable");
    CHECK(builder::parseStatsLog("") == CompilerCacheStats{});
    CHECK(builder::parseStatsLog("\n# x.c\r\ndirect_cache_hit\r\n").hits == 1);
}

TEST_CASE("build records keep the compiler cache's counts", "[builder][ccache]") {
    builder::BuildResult built;
    built.plan = "xen_4_19";
    built.key = "09rjwzy4zx354smnv5y09wpa41vb5ix06h75d9a8cc9g2jsk4q64";
    built.log = "/store/logs/09rj.log";
    CHECK_FALSE(built.toJson().contains("ccache"));
    CHECK_FALSE(builder::detail::resultFromJson(built.toJson()).ccache);
    built.ccache = CompilerCacheStats{.hits = 812, .misses = 3, .uncacheable = 40};
    const auto json = built.toJson();
    CHECK(json["ccache"] == nlohmann::json{{"hits", 812}, {"misses", 3}, {"uncacheable", 40}});
    CHECK(builder::detail::resultFromJson(json).ccache == built.ccache);
}

TEST_CASE("builder::Builder with ccache mounts the toolchain's cache and counts this build's "
          "calls",
          "[build][builder][ccache]") {
    BuilderFixture f;
    const auto toolchain = fakeToolchain();
    const fs::path cacheDir = builder::compilerCacheDir(f.store.dir(), toolchain);
    CHECK(cacheDir.parent_path() == f.store.dir() / ".ccache");
    f.sandbox.on("./configure", FakeSandbox::prints({"checking for gcc... gcc"}));
    f.sandbox.on("make", compiling("# a.c\ncache_miss\n# b.c\ndirect_cache_hit\n# a.o\n"
                                   "called_for_link\n"));
    const std::string keyWithout = f.makeBuilder()->buildKey(f.plan);
    auto options = f.options;
    options.ccache = true;
    options.ccacheMaxBytes = std::uint64_t{500} << 20;
    auto builder = f.makeBuilder(options, toolchain);

    // Not part of the build key: the outputs are the same with or without the cache.
    CHECK(builder->buildKey(f.plan) == keyWithout);
    const auto result = builder->build(f.plan);
    REQUIRE(result.ccache);
    CHECK(*result.ccache == CompilerCacheStats{.hits = 1, .misses = 1, .uncacheable = 1});
    CHECK(builder::OutputIndex(f.store).result(result.key)->ccache == result.ccache);

    // Configure and make both compile through it; with the sandbox off at the host path.
    const auto commands = f.sandbox.commands();
    REQUIRE(commands.size() == 2);
    for (const auto& command : commands) {
        const auto& env = command.env;
        CHECK(env.at("PATH") == "/usr/lib/ccache:/usr/bin:/bin");
        CHECK(env.at("CCACHE_DIR") == cacheDir.string());
        CHECK(env.at("CCACHE_CONFIGPATH") == (cacheDir / "ccache.conf").string());
        CHECK(env.at("CCACHE_TEMPDIR") == (cacheDir / "tmp").string());
        CHECK(env.at("CCACHE_MAXSIZE") == "512000Ki");
        CHECK(env.at("CCACHE_STATSLOG") ==
              (f.store.dir() / ".tmp" / ("build-" + result.key) / "ccache-stats.log").string());
        CHECK(env.count("CCACHE_BASEDIR") == 0);
    }
    const std::string config = readFile(cacheDir / "ccache.conf");
    CHECK_THAT(config, Catch::Contains("compiler_check = content\n"));
    CHECK_THAT(config, Catch::Contains("hash_dir = true\n"));
    CHECK(fs::is_directory(cacheDir / "tmp"));
    // The relocatable check also looks for the cache (its host path is in the store).
    CHECK_THAT(result.checks.back().detail,
               Catch::EndsWith("mentions the store '" + f.store.dir().string() + "'"));

    SECTION("without ccache: no cache, no counts, the plan's PATH") {
        BuilderFixture g;
        g.plan.env["PATH"] = "/opt/bin:/usr/bin";
        g.plan = rehashed(g.plan);
        const auto plain = g.makeBuilder()->build(g.plan);
        CHECK_FALSE(plain.ccache);
        CHECK(g.sandbox.commands().at(0).env.at("PATH") == "/opt/bin:/usr/bin");
        CHECK(g.sandbox.commands().at(0).env.count("CCACHE_DIR") == 0);
        CHECK_FALSE(fs::exists(g.store.dir() / ".ccache"));
    }
}

TEST_CASE("builder::Builder with ccache in the namespace sandbox sees the cache at a fixed path",
          "[build][builder][ccache]") {
    BuilderFixture f;
    FakeSandbox isolated(sandbox::Mode::Namespaces);
    isolated.on("make", compiling("# a.c\ndirect_cache_hit\n"));
    f.plan.env["PATH"] = "/opt/bin:/usr/bin";
    f.plan = rehashed(f.plan);
    auto options = f.options;
    options.ccache = true;
    builder::Builder builder(f.store, isolated, f.fetcher, fakeToolchain(), options, f.events,
                             std::chrono::milliseconds(0));
    const auto result = builder.build(f.plan);
    REQUIRE(result.ccache);
    CHECK(result.ccache->hits == 1);
    const auto env = isolated.commands().at(1).env;
    CHECK(env.at("PATH") == "/usr/lib/ccache:/opt/bin:/usr/bin");
    CHECK(env.at("CCACHE_DIR") == "/run/xenbuild/ccache");
    CHECK(env.at("CCACHE_CONFIGPATH") == "/run/xenbuild/ccache/ccache.conf");
    CHECK(env.at("CCACHE_TEMPDIR") == "/run/xenbuild/ccache/tmp");
    CHECK(env.at("CCACHE_STATSLOG") == "/build/ccache-stats.log");
    CHECK(env.at("CCACHE_MAXSIZE") == "5242880Ki");
    CHECK_THAT(result.checks.back().detail,
               Catch::EndsWith("mentions the store '" + f.store.dir().string() +
                               "' or the compiler cache '/run/xenbuild/ccache'"));

    SECTION("an output naming the cache fails the relocatable check") {
        FakeSandbox leaking(sandbox::Mode::Namespaces);
        leaking.on("make", [](FakeSandbox::Run& run) {
            run.write("dist/install/usr/lib/xen/build-env",
                      "CCACHE_DIR=" + run.spec.env.at("CCACHE_DIR") + "\n");
            return BuilderFixture::installingMake()(run);
        });
        auto rebuild = options;
        rebuild.rebuild = true;
        builder::Builder again(f.store, leaking, f.fetcher, fakeToolchain(), rebuild, f.events,
                               std::chrono::milliseconds(0));
        REQUIRE_THROWS_WITH(
            again.build(f.plan),
            Catch::Contains("relocatable: usr/lib/xen/build-env (out) mentions the store '" +
                            f.store.dir().string() +
                            "' or the compiler cache '/run/xenbuild/ccache'"));
    }
}

TEST_CASE("util::parseByteSize reads sizes with binary suffixes", "[util][ccache]") {
    CHECK(util::parseByteSize("0") == 0U);
    CHECK(util::parseByteSize("1000") == 1000U);
    CHECK(util::parseByteSize("500M") == std::uint64_t{500} << 20);
    CHECK(util::parseByteSize("5G") == std::uint64_t{5} << 30);
    CHECK(util::parseByteSize("5g") == std::uint64_t{5} << 30);
    CHECK(util::parseByteSize("512MiB") == std::uint64_t{512} << 20);
    CHECK(util::parseByteSize("64KB") == std::uint64_t{64} << 10);
    CHECK(util::parseByteSize("2T") == std::uint64_t{2} << 40);
    CHECK(util::parseByteSize("7B") == 7U);
    for (const char* bad : {"", "G", "5X", "5 G", "-1", "1.5G", "5GiBs", "99999999999999999999"})
        CHECK_FALSE(util::parseByteSize(bad));
    CHECK_FALSE(util::parseByteSize("17179869184G")); // 2^64 bytes
}

TEST_CASE("cache::CacheConfig reads the compiler cache's settings", "[cache][ccache]") {
    TempDir dir;
    const auto file = dir / "cache";
    writeFile(file, "# builds use ccache\nccache on\nccache-max-size 500M\n");
    cache::CacheConfig config;
    config.loadFile(file);
    CHECK(config.ccache == true);
    CHECK(config.ccacheMaxBytes == std::uint64_t{500} << 20);
    writeFile(file, "ccache off\n");
    config.loadFile(file);
    CHECK(config.ccache == false);

    writeFile(file, "ccache yes\n");
    REQUIRE_THROWS_WITH(config.loadFile(file),
                        file.string() + ":1: expected 'ccache on' or 'ccache off', not 'yes'");
    writeFile(file, "\nccache-max-size 0\n");
    REQUIRE_THROWS_WITH(config.loadFile(file),
                        file.string() + ":2: invalid ccache-max-size '0': expected a size above 0 "
                                        "such as 500M or 5G");
    writeFile(file, "ccache-dir /tmp\n");
    REQUIRE_THROWS_WITH(config.loadFile(file), file.string() +
                                                   ":1: unknown setting 'ccache-dir' (substituter, "
                                                   "trusted-key, ccache, ccache-max-size)");
}
