#include "xenbuild/update/unified_diff.hpp"
#include "xenbuild/update/version.hpp"
#include "xenbuild/update/xen_tree.hpp"

#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild::update;
using Catch::Matchers::Contains;

TEST_CASE("update::Version orders numerically", "[update]") {
    CHECK(*Version::parse("4.17.10") > *Version::parse("4.17.9"));
    CHECK(*Version::parse("4.19") > *Version::parse("4.9"));
    CHECK(Version::parse("4.19.0")->branch() == "4.19");
    CHECK_FALSE(Version::parse("4.x"));
    CHECK_FALSE(Version::parse("4..1"));
    CHECK(branchLess("4.9", "4.19"));
    CHECK(isBranchName("4.20"));
    CHECK_FALSE(isBranchName("4.20.1"));
}

TEST_CASE("update::parseReleaseTag accepts RELEASE-x.y.z only", "[update]") {
    CHECK(parseReleaseTag("RELEASE-4.19.0")->str() == "4.19.0");
    CHECK_FALSE(parseReleaseTag("RELEASE-4.19.0-rc1"));
    CHECK_FALSE(parseReleaseTag("RELEASE-4.19"));
    CHECK_FALSE(parseReleaseTag("4.19.0-rc1"));
    CHECK_FALSE(parseReleaseTag("xen-RELEASE-4.19.0"));
    const auto newest = newestReleases({"RELEASE-4.17.9", "RELEASE-4.17.10", "RELEASE-4.19.0",
                                        "RELEASE-4.19.1-rc2", "RELEASE-4.9.4", "v1"});
    REQUIRE(newest.size() == 3);
    CHECK(newest[0].tag == "RELEASE-4.9.4");
    CHECK(newest[1].tag == "RELEASE-4.17.10");
    CHECK(newest[2].tag == "RELEASE-4.19.0");
}

TEST_CASE("update::makefileVariables expands references and honours ?=", "[update]") {
    const auto vars = makefileVariables("SEABIOS_UPSTREAM_TAG ?= rel-1.16.3 # comment\n"
                                        "SEABIOS_UPSTREAM_REVISION ?= $(SEABIOS_UPSTREAM_TAG)\n"
                                        "X := a\nX ?= b\nY = ${X}-c\n");
    CHECK(vars.at("SEABIOS_UPSTREAM_REVISION") == "rel-1.16.3");
    CHECK(vars.at("X") == "a");
    CHECK(vars.at("Y") == "a-c");
    const auto pins =
        readComponentPins({{"Config.mk", "QEMU_UPSTREAM_REVISION ?= qemu-xen-4.19.0\n"},
                           {"tools/firmware/etherboot/Makefile", "IPXE_GIT_TAG := 1d1cf74a\n"}});
    REQUIRE(pins.size() == 2);
    CHECK(pins[0].component == "qemu");
    CHECK(pins[1].component == "ipxe");
    CHECK(pins[1].where == "tools/firmware/etherboot/Makefile:IPXE_GIT_TAG");
}

TEST_CASE("update::parseSupportDates reads SUPPORT.md", "[update]") {
    const auto dates = parseSupportDates("    Xen-Version: 4.19\n    Initial-Release: 2024-07-29\n"
                                         "    Supported-Until: 2026-01-29\n"
                                         "    Security-Support-Until: 2027-07-29\n",
                                         "SUPPORT.md");
    CHECK(xenbuild::util::formatDate(dates.initialRelease) == "2024-07-29");
    CHECK(xenbuild::util::formatDate(dates.securitySupportUntil) == "2027-07-29");
    CHECK_THROWS_WITH(parseSupportDates("Initial-Release: unreleased\n", "SUPPORT.md"),
                      Contains("'Initial-Release: unreleased' is not a date"));
}

TEST_CASE("update::unifiedDiff writes patch-compatible hunks", "[update]") {
    CHECK(unifiedDiff("a\n", "a\n", "x", "y").empty());
    CHECK(unifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", "a/f",
                      "b/f") ==
          "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
    CHECK(unifiedDiff("", "new\n", "/dev/null", "b/f") ==
          "--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+new\n");
    CHECK(unifiedDiff("old\n", "", "a/f", "/dev/null") ==
          "--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\n");
}
