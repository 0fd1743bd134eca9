#include "xenbuild/boot/verdict.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

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

namespace {

const boot::Expectation kWithGuest{"4.17.5", "877e4a9cfe045335b0f17230f821d3ca2dd24369",
                                   "0123456789abcdef"};

// A standard build's boot: dom0's marker, then what dom0 copies from the guest's console.
std::string guestLog(const std::string& guestLines) {
    return " Xen 4.17.5\r\n"
           "(XEN) Freed 668kB init memory\r\n" +
           kMarker + "\r\n" + guestLines +
           "[   61.905139] reboot: Restarting system\r\n"
           "(XEN) Hardware Dom0 shutdown: rebooting machine\r\n";
}

} // namespace

TEST_CASE("boot::judgeSerialLog passes a standard build only with the guest's marker",
          "[boot][verdict][qdisk]") {
    SECTION("the guest read the token from its disk") {
        const auto verdict = boot::judgeSerialLog(
            guestLog("XENBUILD-GUEST: XENBUILD-QDISK-MARKER 0123456789abcdef\r\n"
                     "XENBUILD-GUEST: [   18.540263] reboot: System halted\r\n"),
            kWithGuest, false);
        CHECK(verdict.passed);
        CHECK(verdict.reason.empty());
        CHECK(verdict.guestToken == "0123456789abcdef");
        CHECK(verdict.guestMarkerLine == 3u);
        CHECK(verdict.markerLine == 2u);
    }
    SECTION("a slim build's expectation ignores guest lines") {
        CHECK(boot::judgeSerialLog(guestLog(""), kExpected, false).passed);
    }
    SECTION("dom0's marker alone is not enough") {
        const auto verdict = boot::judgeSerialLog(guestLog(""), kWithGuest, false);
        CHECK_FALSE(verdict.passed);
        CHECK_FALSE(verdict.guestToken);
        CHECK(verdict.reason == "the machine went down without the qdisk guest's marker (dom0's "
                                "init exited, or Xen or dom0 reset the machine)");
        CHECK(boot::judgeSerialLog(kMarker + "\r\n", kWithGuest, true).reason ==
              "timed out before the qdisk guest's marker appeared");
    }
    SECTION("the marker without the prefix is dom0's doing, not the guest's") {
        CHECK_FALSE(boot::judgeSerialLog(guestLog("XENBUILD-QDISK-MARKER 0123456789abcdef\r\n"),
                                         kWithGuest, false)
                        .passed);
    }
    SECTION("a wrong token") {
        const auto verdict = boot::judgeSerialLog(
            guestLog("XENBUILD-GUEST: XENBUILD-QDISK-MARKER fedcba9876543210\r\n"), kWithGuest,
            false);
        CHECK_FALSE(verdict.passed);
        CHECK(verdict.guestToken == "fedcba9876543210");
        CHECK(verdict.reason == "the qdisk guest printed the token 'fedcba9876543210', expected "
                                "'0123456789abcdef' (the one its disk holds)");
    }
    SECTION("an empty token") {
        CHECK(boot::judgeSerialLog(guestLog("XENBUILD-GUEST: XENBUILD-QDISK-MARKER\r\n"),
                                   kWithGuest, false)
                  .reason == "the qdisk guest printed the token '', expected "
                             "'0123456789abcdef' (the one its disk holds)");
    }
}

TEST_CASE("boot::judgeSerialLog says which part of the qdisk guest failed",
          "[boot][verdict][qdisk]") {
    SECTION("the guest's init") {
        const auto verdict = boot::judgeSerialLog(
            guestLog("XENBUILD-GUEST: XENBUILD-QDISK-ERROR /dev/xvda did not appear within 60 s\r\n"
                     "XENBUILD-GUEST: [   79.092622] reboot: System halted\r\n"
                     "qemu-dm-xenbuild-guest.log: qemu-system-i386: failed to create 'qdisk' "
                     "device '51712'\r\n"
                     "XENBUILD-GUEST-ERROR the guest went down without printing the qdisk "
                     "marker\r\n"),
            kWithGuest, false);
        CHECK_FALSE(verdict.passed);
        CHECK(verdict.reason ==
              "the qdisk guest's init failed: /dev/xvda did not appear within 60 s");
        // What dom0 printed about the guest is in the failure message.
        CHECK(std::count(verdict.lastLines.begin(), verdict.lastLines.end(),
                         "qemu-dm-xenbuild-guest.log: qemu-system-i386: failed to create 'qdisk' "
                         "device '51712'") == 1);
    }
    SECTION("dom0's steps (xl create, xenconsoled, the wait)") {
        const auto verdict = boot::judgeSerialLog(
            guestLog("xl-create: libxl: error: libxl_dm.c:2909:libxl__spawn_local_dm: Domain "
                     "1:device model /usr/lib/xen/bin/qemu-dm is not executable\r\n"
                     "XENBUILD-GUEST-ERROR xl create failed (status 3)\r\n"),
            kWithGuest, false);
        CHECK(verdict.reason == "the qdisk guest failed: xl create failed (status 3)");
    }
    SECTION("a panic of the guest's kernel") {
        const auto verdict = boot::judgeSerialLog(
            guestLog("XENBUILD-GUEST: [    1.2] Kernel panic - not syncing: Attempted to kill "
                     "init! exitcode=0x00000100\r\n"
                     "XENBUILD-GUEST-ERROR the guest went down without printing the qdisk "
                     "marker\r\n"),
            kWithGuest, false);
        CHECK(verdict.reason == "crash in the qdisk guest's console: [    1.2] Kernel panic - not "
                                "syncing: Attempted to kill init! exitcode=0x00000100");
    }
    SECTION("dom0's failures come first") {
        const auto verdict = boot::judgeSerialLog(
            "XENBUILD-BOOT-MARKER xen_version=4.17.4 build_id=" + kWithGuest.buildId + "\r\n",
            kWithGuest, false);
        CHECK(verdict.reason == "xl info reports xen_version '4.17.4', expected '4.17.5'");
        CHECK(boot::judgeSerialLog("XENBUILD-BOOT-ERROR cannot mount /sys\r\n", kWithGuest, false)
                  .reason == "dom0 init failed: cannot mount /sys");
    }
    SECTION("40 last lines, not 25") {
        std::string lines;
        for (int i = 0; i < 100; ++i)
            lines += "line " + std::to_string(i) + "\n";
        CHECK(boot::judgeSerialLog(lines, kWithGuest, false).lastLines.size() == 40);
        CHECK(boot::judgeSerialLog(lines, kExpected, false).lastLines.size() == 25);
    }
}

TEST_CASE("boot::judgeSerialLog takes an error marker without a message", "[boot][verdict]") {
    CHECK(boot::judgeSerialLog("XENBUILD-BOOT-ERROR\n", kExpected, false).reason ==
          "dom0 init failed: ");
}
