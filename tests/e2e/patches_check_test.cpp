// End-to-end tests of `xenbuild patches check` on the Xen-shaped upstream: it fetches only the
// sources the series patches, so it works where QEMU, SeaBIOS, OVMF and iPXE are unavailable.

#include "e2e/build_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild::testing;

namespace {

// Store entries named `<hash>-<name>`.
std::size_t entriesNamed(const fs::path& store, const std::string& name) {
    std::size_t count = 0;
    for (const auto& item : fs::directory_iterator(store)) {
        const auto file = item.path().filename().string();
        const auto dash = file.find('-');
        if (dash != std::string::npos && file.substr(dash + 1) == name) ++count;
    }
    return count;
}

// Makes the upstream's repositories of `components` unreachable, as offline or behind a mirror
// holding only Xen.
void removeRepositories(const FakeUpstream& upstream, std::initializer_list<const char*> names) {
    for (const char* name : names)
        fs::rename(upstream.root / "git" / name,
                   upstream.root / "git" / (std::string(name) + ".gone"));
}

} // namespace

TEST_CASE("patches check fetches only the sources the series patches", "[e2e][patch]") {
    FakeUpstream upstream;
    removeRepositories(upstream, {"qemu", "seabios", "ovmf", "ipxe"});

    const auto check = upstream.xenbuild("patches check 4.19");
    INFO(check.output);
    REQUIRE(check.status == 0);
    CHECK(check.output.find("4.19 (4.19.0):\n"
                            "  0001-xen-patched-xl-4.19.patch: clean\n"
                            "  0002-xen-patched-again-4.19.patch: clean\n") != std::string::npos);
    CHECK(entriesNamed(upstream.store, "xen") == 1);
    for (const char* other : {"qemu", "seabios", "ovmf", "ipxe"})
        CHECK(entriesNamed(upstream.store, other) == 0);

    SECTION("with --json") {
        const auto asJson = upstream.xenbuildStdout("patches check 4.19 --json");
        REQUIRE(asJson.status == 0);
        const auto parsed = nlohmann::json::parse(asJson.output);
        REQUIRE(parsed["4.19"].size() == 2);
        CHECK(parsed["4.19"][0]["status"] == "clean");
        CHECK(parsed["4.19"][1]["ok"] == true);
    }
    SECTION("the other sources really are unavailable") {
        const auto prefetch = upstream.xenbuild("prefetch xen_4_19");
        CHECK(prefetch.status != 0);
        CHECK(prefetch.output.find("git/qemu") != std::string::npos);
    }
}

TEST_CASE("patches check fetches a component the series patches, and no other", "[e2e][patch]") {
    FakeUpstream upstream;
    upstream.addPatch("0003-ipxe-readme-4.19.patch",
                      "--- a/README\n+++ b/README\n@@ -1 +1 @@\n"
                      "-ipxe component of the fake upstream\n"
                      "+ipxe component of the fake upstream, patched\n");
    removeRepositories(upstream, {"qemu", "seabios", "ovmf"});

    const auto check = upstream.xenbuild("patches check 4.19");
    INFO(check.output);
    REQUIRE(check.status == 0);
    CHECK(check.output.find("  0003-ipxe-readme-4.19.patch: clean\n") != std::string::npos);
    CHECK(entriesNamed(upstream.store, "ipxe") == 1);
    CHECK(entriesNamed(upstream.store, "qemu") == 0);
}

TEST_CASE("patches check reports an already applied patch and fails", "[e2e][patch]") {
    FakeUpstream upstream;
    // The reverse of 0002 after 0001 and 0002: its result is already in the tree.
    upstream.addPatch(
        "0003-xen-again-4.19.patch",
        "--- a/tools/Makefile\n+++ b/tools/Makefile\n@@ -55,3 +55,3 @@\n"
        " xl:\n"
        "-\tprintf '#!/bin/sh\\necho \"xl from patched Xen $(VERSION)\"\\n' > $@\n"
        "+\tprintf '#!/bin/sh\\necho \"xl from twice patched Xen $(VERSION)\"\\n' > $@\n"
        " \tchmod +x $@\n");
    removeRepositories(upstream, {"qemu", "seabios", "ovmf", "ipxe"});
    const auto check = upstream.xenbuild("patches check 4.19");
    INFO(check.output);
    CHECK(check.status != 0);
    CHECK(check.output.find("  0003-xen-again-4.19.patch: already applied\n") != std::string::npos);
    CHECK(check.output.find("error: some patches do not apply cleanly to their pinned sources") !=
          std::string::npos);
}
