// `xenbuild test` without a build to test: it must say so and how to get one. (The boot itself
// is tested on a real build under the real-xen label: tests/e2e/boot_real_xen_test.cpp.)

#include "support/recipes.hpp"

#include <catch2/catch.hpp>

namespace test = xenbuild::testing;

TEST_CASE("cli test refuses a package that has not been built", "[boot][e2e]") {
    test::TempDir dir;
    test::copyRecipes(dir.path());
    const auto result = test::runXenbuild(
        {"--recipes", "recipes", "--store", "store", "test", "xen_4_17", "--json"}, dir.path());
    CHECK(result.status == 1);
    CHECK(result.out.empty());
    CHECK(result.err == "error: 'xen_4_17' has not been built; run `xenbuild build xen_4_17` "
                        "first (with the same --arg, --host-profile, --override-source and "
                        "--exclude-patch options)\n");
}

TEST_CASE("cli test rejects a relative dom0 path in a host profile", "[boot][e2e]") {
    test::TempDir dir;
    test::copyRecipes(dir.path());
    test::writeFile(dir.path() / "profile.json",
                    R"({"kind": "host-profile", "name": "x", "paths": {"qemu": "/q",
                        "seabios": "/s", "ovmf": "/o", "ipxe": "/i", "dom0Kernel": "vmlinuz"}})");
    const auto result = test::runXenbuild(
        {"--recipes", "recipes", "test", "xen_4_17", "--host-profile", "profile.json"}, dir.path());
    CHECK(result.status == 1);
    CHECK_THAT(result.err, Catch::Contains("dom0Kernel"));
}
