// Build records: what a cached result reports must be what the build saw.

#include "builder/record.hpp"
#include "xenbuild/util/hash.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace xenbuild::builder;

TEST_CASE("build record keeps each patch's status for cached results", "[build]") {
    BuildResult built;
    built.plan = "xen_4_18-slim";
    built.key = "09rjwzy4zx354smnv5y09wpa41vb5ix06h75d9a8cc9g2jsk4q64";
    built.log = "/store/logs/09rj.log";
    built.patches = {{.id = "QUBES-1100", .status = "fuzz 2"},
                     {.id = "QUBES-1101", .status = "offset -5"},
                     {.id = "XSA-458", .status = "already applied"},
                     {.id = "XSA-462", .status = "clean"}};

    const BuildResult cached = detail::resultFromJson(built.toJson());

    REQUIRE(cached.patches.size() == 4);
    for (std::size_t i = 0; i < cached.patches.size(); ++i) {
        CHECK(cached.patches[i].id == built.patches[i].id);
        CHECK(cached.patches[i].status == built.patches[i].status);
    }
    CHECK(cached.toJson()["patches"] == built.toJson()["patches"]);
}

TEST_CASE("build record keeps the toolchain and the build's start and finish times", "[build]") {
    using namespace std::chrono;
    BuildResult built;
    built.plan = "xen_4_19";
    built.key = "09rjwzy4zx354smnv5y09wpa41vb5ix06h75d9a8cc9g2jsk4q64";
    built.toolchain.versions = {{"cc", "cc (Debian 12.2.0-14) 12.2.0"}, {"make", "GNU Make 4.3"}};
    built.toolchain.hash = xenbuild::util::sha256("toolchain");
    built.startedAt = sys_days{2026y / November / 21} + 10h;
    built.finishedAt = *built.startedAt + 754s;

    const auto json = built.toJson();
    CHECK(json["startedAt"] == "2026-11-21T10:00:00Z");
    CHECK(json["finishedAt"] == "2026-11-21T10:12:34Z");
    CHECK(json["toolchain"]["cc"] == "cc (Debian 12.2.0-14) 12.2.0");
    const BuildResult read = detail::resultFromJson(json);
    CHECK(read.toolchain.versions == built.toolchain.versions);
    CHECK(read.toolchain.hash == built.toolchain.hash);
    CHECK(read.startedAt == built.startedAt);
    CHECK(read.finishedAt == built.finishedAt);

    SECTION("a record older than them has none") {
        auto old = json;
        old.erase("toolchain");
        old.erase("startedAt");
        old.erase("finishedAt");
        const BuildResult before = detail::resultFromJson(old);
        CHECK(before.toolchain.versions.empty());
        CHECK_FALSE(before.startedAt);
        CHECK_FALSE(before.finishedAt);
    }
}
