// The boot test on a real Xen build (ctest label real-xen; about a minute: four boots under
// TCG). Inputs, all required (the test fails, saying which is missing):
//   XENBUILD_BOOT_RESULT  the `out` output of a build; `<it>-boot` is the boot output (the
//                         layout `xenbuild build -o result` links). Default, from ctest: the
//                         result of the real_xen_build test.
//   XENBUILD_BOOT_VERSION the plan's version (default 4.17.5, the real-xen target's)
//   XENBUILD_DOM0_DIR     what scripts/fetch-dom0-kernel.sh made (default: the one
//                         real_xen_build fetched, else the script's default)
// tests/real-xen/xenstudy-result.sh makes a result layout from a plain `make dist` tree.
// A standard build (its out output ships QEMU) also boots the qdisk guest, and the pass then
// needs its marker; the dom0 directory must hold xen-blkfront.

#include "xenbuild/boot/boot_test.hpp"
#include "xenbuild/boot/dom0_image.hpp"
#include "xenbuild/boot/libraries.hpp"
#include "xenbuild/util/error.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>

using namespace xenbuild;
namespace fs = std::filesystem;

namespace {

std::string env(const char* name, const std::string& fallback = {}) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

struct RealInputs {
    builder::BuildResult result;
    std::string version;
    boot::Dom0Kernel dom0;
};

RealInputs realInputs() {
    const std::string base = env("XENBUILD_BOOT_RESULT", env("XENBUILD_BOOT_RESULT_DEFAULT"));
    if (base.empty() || !fs::is_directory(base) || !fs::is_directory(base + "-boot")) {
        FAIL("XENBUILD_BOOT_RESULT must name a build's out output with its boot output next to "
             "it as <dir>-boot (got '"
             << base << "'); see tests/e2e/boot_real_xen_test.cpp");
    }
    const std::string cache = env("XDG_CACHE_HOME", env("HOME") + "/.cache");
    const std::string fetched = env("XENBUILD_DOM0_DIR_DEFAULT"); // real_xen_build's
    const fs::path dom0 =
        env("XENBUILD_DOM0_DIR",
            !fetched.empty() && fs::exists(fetched) ? fetched : cache + "/xenbuild/dom0");
    if (!fs::is_regular_file(dom0 / "vmlinuz")) {
        FAIL("no dom0 kernel in " << dom0
                                  << ": run scripts/fetch-dom0-kernel.sh or set XENBUILD_DOM0_DIR");
    }
    RealInputs inputs;
    inputs.result.plan = "real-xen";
    inputs.result.outputs = {{"out", fs::canonical(base)}, {"boot", fs::canonical(base + "-boot")}};
    inputs.version = env("XENBUILD_BOOT_VERSION", "4.17.5");
    inputs.dom0 = {dom0 / "vmlinuz", dom0 / "modules"};
    return inputs;
}

// The initramfs testBuild would write, with `edit` applied to its entries.
boot::BootRequest customRequest(const RealInputs& in, const fs::path& dir,
                                const std::function<void(std::vector<boot::ArchiveEntry>&)>& edit) {
    const auto artifacts = boot::findArtifacts(in.result);
    boot::Dom0ImageSpec spec;
    spec.tools = boot::findTools(artifacts.tools);
    spec.modules = boot::findDom0Modules(in.dom0.modulesDir);
    spec.busybox = "/bin/busybox";
    spec.hostLibraryDirs = boot::hostLibraryDirs();
    auto entries = boot::dom0ImageEntries(spec);
    edit(entries);
    boot::writeInitramfs(entries, dir / "initrd.gz");
    return {artifacts.hypervisor, in.dom0.kernel, dir / "initrd.gz", {in.version, "unused"}};
}

void replaceInit(std::vector<boot::ArchiveEntry>& entries, const std::string& script) {
    for (auto& entry : entries) {
        if (entry.path == "init") entry.content = script;
    }
}

} // namespace

TEST_CASE("boot::testBuild boots a real Xen build and checks xl info", "[.][real-xen-boot]") {
    const auto in = realInputs();
    util::NullProgress quiet;
    boot::BootOptions options;
    // Without KVM, QEMU emulates: a boot that takes 15 to 40 s on a quiet machine took over the
    // default 120 s while other jobs compiled on both cores. Four boots still fit the ctest
    // timeout (900 s). A standard build's test also boots the qdisk guest (30 to 80 s more).
    const bool standard = boot::findTools(in.result.outputs.front().path).deviceModel.has_value();
    options.timeout = std::chrono::seconds{standard ? 400 : 200};

    SECTION("the build passes, with the plan's version and xen-syms' build-id") {
        const auto report = boot::testBuild(in.result, in.version, in.dom0, options, quiet);
        INFO(report.describeFailure());
        REQUIRE(report.verdict.passed);
        CHECK(report.verdict.version == in.version);
        CHECK(report.verdict.buildId == report.expected.buildId);
        REQUIRE(report.secondsToMarker);
        CHECK_FALSE(fs::exists(report.workDir)); // removed after a pass without --keep
        std::cerr << "boot test: marker after " << *report.secondsToMarker << " s, QEMU ran "
                  << report.seconds << " s\n";
        if (standard) { // the built QEMU served the guest's disk
            REQUIRE(report.expected.qdiskToken);
            CHECK(report.verdict.guestToken == report.expected.qdiskToken);
            REQUIRE(report.secondsToGuestMarker);
            std::cerr << "boot test: qdisk guest's marker after " << *report.secondsToGuestMarker
                      << " s\n";
        }
    }
    SECTION("a plan version the hypervisor does not carry fails") {
        const auto report = boot::testBuild(in.result, in.version + ".99", in.dom0, options, quiet);
        CHECK_FALSE(report.verdict.passed);
        CHECK(report.verdict.reason ==
              "xl info reports xen_version '" + in.version + "', expected '" + in.version + ".99'");
        CHECK(fs::exists(report.serialLog)); // kept for the failure message
        fs::remove_all(report.workDir);
    }
    SECTION("an init that exits without the marker fails") {
        testing::TempDir dir;
        const auto request = customRequest(in, dir.path(), [](auto& entries) {
            replaceInit(entries, "#!/bin/busybox sh\necho dom0 up\n/bin/busybox reboot -f\n");
        });
        const auto report = boot::bootOnce(request, dir.path(), options, quiet);
        CHECK_FALSE(report.verdict.passed);
        CHECK_THAT(report.verdict.reason, Catch::Contains("without printing the marker line"));
        CHECK_THAT(report.describeFailure(), Catch::Contains("| dom0 up"));
        CHECK_THAT(report.describeFailure(), Catch::Contains((dir / "serial.log").string()));
    }
    SECTION("an initramfs without xl fails, saying so") {
        testing::TempDir dir;
        const auto request = customRequest(in, dir.path(), [](auto& entries) {
            entries.erase(std::remove_if(entries.begin(), entries.end(),
                                         [](const auto& e) { return e.path == "usr/sbin/xl"; }),
                          entries.end());
        });
        const auto report = boot::bootOnce(request, dir.path(), options, quiet);
        CHECK_FALSE(report.verdict.passed);
        CHECK(report.verdict.reason ==
              "dom0 init failed: /usr/sbin/xl is missing from the initramfs");
    }
}
