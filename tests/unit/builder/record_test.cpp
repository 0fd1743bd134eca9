// Build records: what a cached result reports must be what the build saw.

#include "builder/record.hpp"

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
