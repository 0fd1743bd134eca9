// End-to-end tests of relocatable outputs: a build installs at the target host's paths (FHS)
// through DESTDIR, so where the store is changes neither the build key nor a byte of the
// outputs, and the builder refuses outputs that mention the store.

#include "e2e/build_fixture.hpp"
#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/test_paths.hpp"
#include "xenbuild/store/nar.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild::testing;

namespace {

// `xenbuild build --json` of the upstream's slim package into `store`: the one result.
nlohmann::json buildInto(const FakeUpstream& upstream, const fs::path& store) {
    const auto built =
        run("XENBUILD_TODAY=2026-11-21 " + shellQuote(xenbuildBinary()) + " --recipes " +
            shellQuote(upstream.recipes.string()) + " --store " + shellQuote(store.string()) +
            " build xen_4_19-slim --json " + upstream.hostProfileArg() + " 2>/dev/null");
    INFO(built.output);
    REQUIRE(built.status == 0);
    const auto results = nlohmann::json::parse(built.output);
    REQUIRE(results.size() == 1);
    return results[0];
}

} // namespace

TEST_CASE("fhs: the same package built into two stores has the same key and the same outputs",
          "[build][e2e][fhs]") {
    FakeUpstream upstream;
    const auto first = buildInto(upstream, upstream.store);
    const auto second = buildInto(upstream, upstream.root / "elsewhere" / "another-store");
    CHECK(first["key"] == second["key"]);
    REQUIRE(first["outputs"].size() == 5);
    for (const auto& [name, path] : first["outputs"].items()) {
        INFO(name);
        const fs::path here = path.get<std::string>();
        const fs::path there = second["outputs"][name].get<std::string>();
        CHECK(here.parent_path() == upstream.store);
        CHECK(there.parent_path() == upstream.root / "elsewhere" / "another-store");
        CHECK(here.filename() == there.filename());
        CHECK(xenbuild::store::narHash(here) == xenbuild::store::narHash(there));
    }
    // Neither store is mentioned by any file of the other's outputs, nor of its own.
    for (const auto& outputs : {first["outputs"], second["outputs"]}) {
        for (const auto& [name, path] : outputs.items()) {
            for (const auto& store : {upstream.store, upstream.root / "elsewhere"}) {
                INFO(name << " " << store);
                CHECK(run("grep -rlF " + shellQuote(store.string()) + " " +
                          shellQuote(path.get<std::string>()))
                          .status == 1);
            }
        }
    }
}

TEST_CASE("fhs: an output that mentions the store fails the build, naming the files",
          "[build][e2e][fhs]") {
    FakeUpstream upstream;
    // Nix-style: configured with a prefix inside the store, every pkg-config file says so.
    const std::string prefix = upstream.store.string() + "/xen";
    const auto built = upstream.xenbuild("build xen_4_19-slim --arg prefix=" + shellQuote(prefix) +
                                         " " + upstream.hostProfileArg());
    INFO(built.output);
    CHECK(built.status == 1);
    const std::string relative = fs::path(prefix).relative_path().string();
    CHECK_THAT(built.output,
               Catch::Contains("relocatable: " + relative + "/lib/pkgconfig/xencall.pc (dev), " +
                               relative + "/lib/pkgconfig/xencontrol.pc (dev)"));
    CHECK_THAT(built.output,
               Catch::Contains(" and 10 more mention the store '" + upstream.store.string() +
                               "': outputs must hold the target host's paths only (install "
                               "through DESTDIR with FHS prefixes, never ${outputs.<name>} in "
                               "configure or make flags)"));
    // Nothing entered the store.
    for (const auto& item : fs::directory_iterator(upstream.store))
        CHECK(item.path().filename().string().find("xen-4.19.0") == std::string::npos);
}
