#include "xenbuild/boot/verdict.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;

namespace {

const boot::Expectation kExpected{"4.17.5", "877e4a9cfe045335b0f17230f821d3ca2dd24369"};

// What a good boot's serial log looks like (abridged from a real one), with CRLF line ends.
std::string goodLog(const std::string& marker) {
    return " Xen 4.17.5\r\n"
           "(XEN) Xen version 4.17.5 (xenbuild@xenbuild.invalid) debug=n\r\n"
           "(XEN) build-id: 877e4a9cfe045335b0f17230f821d3ca2dd24369\r\n"
           "(XEN) Freed 668kB init memory\r\n"
           "xen_version            : 4.17.5\r\n"
           "build_id               : 877e4a9cfe045335b0f17230f821d3ca2dd24369\r\n" +
           marker +
           "\r\n"
           "[    8.299826] reboot: Restarting system\r\n"
           "(XEN) Hardware Dom0 shutdown: rebooting machine\r\n";
}

const std::string kMarker =
    "XENBUILD-BOOT-MARKER xen_version=4.17.5 build_id=877e4a9cfe045335b0f17230f821d3ca2dd24369";

} // namespace

TEST_CASE("boot::judgeSerialLog passes a boot with the expected marker", "[boot][verdict]") {
    const auto verdict = boot::judgeSerialLog(goodLog(kMarker), kExpected, false);
    CHECK(verdict.passed);
    CHECK(verdict.reason.empty());
    CHECK(verdict.version == "4.17.5");
    CHECK(verdict.buildId == kExpected.buildId);
    CHECK(verdict.markerLine == 6u);
    CHECK(verdict.lastLines.back() == "(XEN) Hardware Dom0 shutdown: rebooting machine");
}

TEST_CASE("boot::judgeSerialLog fails on a wrong version or build-id", "[boot][verdict]") {
    SECTION("version") {
        const auto verdict = boot::judgeSerialLog(
            goodLog("XENBUILD-BOOT-MARKER xen_version=4.17.4 build_id=" + kExpected.buildId),
            kExpected, false);
        CHECK_FALSE(verdict.passed);
        CHECK(verdict.reason == "xl info reports xen_version '4.17.4', expected '4.17.5'");
    }
    SECTION("build-id") {
        const auto verdict = boot::judgeSerialLog(
            goodLog("XENBUILD-BOOT-MARKER xen_version=4.17.5 build_id=00ff"), kExpected, false);
        CHECK_FALSE(verdict.passed);
        CHECK(verdict.reason ==
              "xl info reports build_id '00ff', expected '" + kExpected.buildId + "'");
    }
    SECTION("empty fields (xl info printed nothing useful)") {
        const auto verdict = boot::judgeSerialLog(
            goodLog("XENBUILD-BOOT-MARKER xen_version= build_id="), kExpected, false);
        CHECK_FALSE(verdict.passed);
        CHECK(verdict.reason == "xl info reports xen_version '', expected '4.17.5'");
    }
}

TEST_CASE("boot::judgeSerialLog fails on panics and crashes, even after the marker",
          "[boot][verdict]") {
    const auto [line, where] = GENERATE(
        std::make_pair("(XEN) Panic on CPU 0:", "Xen"),
        std::make_pair("(XEN) Xen BUG at sched/core.c:123", "Xen"),
        std::make_pair("[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs",
                       "dom0"),
        std::make_pair("[    2.0] BUG: kernel NULL pointer dereference, address: 0", "dom0"),
        std::make_pair("(XEN) Hardware Dom0 crashed: rebooting machine in 5 seconds.", "Xen"));
    INFO(where);
    const auto verdict = boot::judgeSerialLog(goodLog(kMarker) + line + "\r\n", kExpected, false);
    CHECK_FALSE(verdict.passed);
    CHECK(verdict.reason == std::string("crash in the serial log: ") + line);
    CHECK(verdict.lastLines.back() == line);
}

TEST_CASE("boot::judgeSerialLog fails without the marker", "[boot][verdict]") {
    const std::string log = " Xen 4.17.5\r\n(XEN) Freed 668kB init memory\r\ndom0 up\r\n";
    SECTION("the machine went down") {
        const auto verdict = boot::judgeSerialLog(log, kExpected, false);
        CHECK_FALSE(verdict.passed);
        CHECK_FALSE(verdict.markerLine);
        CHECK(verdict.reason == "the machine went down without printing the marker line (dom0's "
                                "init exited, or Xen or dom0 reset the machine)");
    }
    SECTION("the timeout struck") {
        CHECK(boot::judgeSerialLog(log, kExpected, true).reason ==
              "timed out before the marker line appeared");
    }
    SECTION("the init reported a failed step") {
        const auto verdict = boot::judgeSerialLog(
            log + "XENBUILD-BOOT-ERROR /usr/sbin/xl is missing from the initramfs\r\n", kExpected,
            false);
        CHECK(verdict.reason == "dom0 init failed: /usr/sbin/xl is missing from the initramfs");
    }
    SECTION("an empty log") {
        const auto verdict = boot::judgeSerialLog("", kExpected, true);
        CHECK_FALSE(verdict.passed);
        CHECK(verdict.lastLines.empty());
    }
}

TEST_CASE("boot::judgeSerialLog keeps only the last lines", "[boot][verdict]") {
    std::string log;
    for (int i = 0; i < 100; ++i)
        log += "line " + std::to_string(i) + "\n";
    const auto verdict = boot::judgeSerialLog(log, kExpected, false, 3);
    CHECK(verdict.lastLines == std::vector<std::string>{"line 97", "line 98", "line 99"});
}
