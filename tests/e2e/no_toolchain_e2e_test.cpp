// Lookups need no compiler: `store path`, `log` and `test` find a package's newest build
// through the output index on a machine without cc, ld and make (here: the same machine, with
// /usr/bin and /usr/sbin hidden by a mount namespace and PATH pointing nowhere). Only `build`
// needs the toolchain.

#include "e2e/build_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild::testing;
using Catch::Contains;

namespace {

// xenbuild with no cc, ld or make anywhere.
CommandResult withoutToolchain(const FakeUpstream& upstream, const std::string& args) {
    return run("XENBUILD_TODAY=2026-11-21 PATH=/nonexistent /usr/bin/bwrap --dev-bind / / "
               "--tmpfs /usr/bin --tmpfs /usr/sbin -- " +
               shellQuote(::xenbuild::testing::xenbuildBinary()) + " --recipes " +
               shellQuote(upstream.recipes.string()) + " --store " +
               shellQuote(upstream.store.string()) + " " + args + " 2>&1");
}

const std::string kNoCompiler = "the build toolchain has no 'cc' in "
                                "/usr/bin:/bin:/usr/sbin:/sbin; install the Debian package "
                                "'build-essential'";

} // namespace

TEST_CASE("store path, log and test work without a compiler", "[build][e2e]") {
    FakeUpstream upstream;
    const std::string package = "xen_4_19-slim " + upstream.hostProfileArg();

    // Not built yet: the sources' paths, and the outputs' are unknown (they depend on the
    // toolchain), which is said.
    const auto before = withoutToolchain(upstream, "store path " + package);
    INFO(before.output);
    CHECK(before.status == 0);
    CHECK_THAT(before.output, Contains("source xen: " + upstream.store.string()));
    CHECK_THAT(before.output, Contains("output boot: unknown until built (" + kNoCompiler + ")"));
    // A build does need it, and says so.
    const auto refused = withoutToolchain(upstream, "build --sandbox off " + package);
    CHECK(refused.status == 1);
    CHECK_THAT(refused.output, Contains("error: " + kNoCompiler));

    const auto built = upstream.xenbuildStdout("build --json " + package);
    REQUIRE(built.status == 0);
    const auto boot = nlohmann::json::parse(built.output)[0]["outputs"]["boot"].get<std::string>();

    const auto after = withoutToolchain(upstream, "store path " + package);
    INFO(after.output);
    CHECK(after.status == 0);
    CHECK_THAT(after.output, Contains("output boot: " + boot + "\n"));
    CHECK(after.output.find("(not in the store)") == std::string::npos);
    CHECK(after.output.find("unknown") == std::string::npos);

    const auto log = withoutToolchain(upstream, "log " + package);
    CHECK(log.status == 0);
    CHECK_THAT(log.output, Contains("configure: prefix"));

    // `test` finds the build and goes on to boot-test it (which stops at once: the fake
    // hypervisor has no xen-syms).
    const auto tested = withoutToolchain(upstream, "test " + package);
    INFO(tested.output);
    CHECK(tested.status == 1);
    CHECK_THAT(tested.output, Contains("error: while boot-testing 'xen_4_19-slim':\n  no "
                                       "xen-syms in '" +
                                       boot + "/boot'"));
}

TEST_CASE("build: step lines give the time the package's last build took", "[build][e2e]") {
    FakeUpstream upstream;
    const std::string build = "build xen_4_19-slim " + upstream.hostProfileArg();
    const auto first = upstream.xenbuild(build);
    REQUIRE(first.status == 0);
    CHECK_THAT(first.output, Contains("xen_4_19-slim: running make\n"));
    const auto second = upstream.xenbuild(build + " --rebuild");
    REQUIRE(second.status == 0);
    CHECK_THAT(second.output,
               Contains("xen_4_19-slim: running make (") && Contains("s last time)\n"));
}
