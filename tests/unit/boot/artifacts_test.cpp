#include "xenbuild/boot/boot_test.hpp"
#include "xenbuild/boot/dom0_image.hpp"
#include "xenbuild/util/error.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace xenbuild;
namespace fs = std::filesystem;

namespace {

void touch(const fs::path& path) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "x";
}

builder::BuildResult fakeResult(const testing::TempDir& dir) {
    builder::BuildResult result;
    result.plan = "xen_4_17";
    result.outputs = {{"out", dir / "out"}, {"boot", dir / "boot"}};
    fs::create_directories(dir / "out");
    fs::create_directories(dir / "boot");
    return result;
}

} // namespace

TEST_CASE("boot::findArtifacts takes xen or xen.gz and xen-syms where the install puts them",
          "[boot]") {
    testing::TempDir dir;
    const auto result = fakeResult(dir);
    touch(dir / "boot/boot/xen-4.17.5.gz");
    SECTION("xen-syms missing: what the builder must keep") {
        REQUIRE_THROWS_WITH(boot::findArtifacts(result),
                            "no xen-syms in '" + (dir / "boot/boot").string() + "' or '" +
                                (dir / "out/usr/lib/debug").string() +
                                "'; the builder must keep xen-syms for the expected build-id");
    }
    SECTION("xen-<version>.gz and usr/lib/debug/xen-syms-<version>") {
        touch(dir / "out/usr/lib/debug/xen-syms-4.17.5.map");
        touch(dir / "out/usr/lib/debug/xen-syms-4.17.5");
        const auto artifacts = boot::findArtifacts(result);
        CHECK(artifacts.hypervisor == dir / "boot/boot/xen-4.17.5.gz");
        CHECK(artifacts.xenSyms == dir / "out/usr/lib/debug/xen-syms-4.17.5");
        CHECK(artifacts.tools == dir / "out");
    }
    SECTION("xen-syms under another prefix's lib/debug") {
        touch(dir / "out/opt/xen/sbin/xl");
        touch(dir / "out/opt/xen/lib/debug/xen-syms-4.17.5");
        CHECK(boot::findArtifacts(result).xenSyms == dir / "out/opt/xen/lib/debug/xen-syms-4.17.5");
    }
    SECTION("an uncompressed xen and xen-syms in /boot win") {
        touch(dir / "boot/boot/xen");
        touch(dir / "boot/boot/xen-syms");
        touch(dir / "out/usr/lib/debug/xen-syms-4.17.5");
        const auto artifacts = boot::findArtifacts(result);
        CHECK(artifacts.hypervisor == dir / "boot/boot/xen");
        CHECK(artifacts.xenSyms == dir / "boot/boot/xen-syms");
    }
}

TEST_CASE("boot::findArtifacts needs a hypervisor in the boot output", "[boot]") {
    testing::TempDir dir;
    REQUIRE_THROWS_WITH(boot::findArtifacts(fakeResult(dir)),
                        "the boot output '" + (dir / "boot").string() +
                            "' holds neither boot/xen nor boot/xen.gz; the builder must keep the "
                            "hypervisor (a build made before xenbuild installed at the target "
                            "host's paths has it at the top: build it again)");
}

TEST_CASE("boot::findTools finds the tools at their install paths below the prefix", "[boot]") {
    testing::TempDir dir;
    touch(dir / "usr/sbin/xenstored");
    touch(dir / "usr/lib/xen/bin/xen-init-dom0");
    touch(dir / "etc/xen/xl.conf");
    REQUIRE_THROWS_WITH(boot::findTools(dir.path()),
                        "the tools output '" + dir.path().string() +
                            "' has no xl (looked for <prefix>/sbin/xl, such as usr/sbin/xl); was "
                            "the package built with its tools?");
    SECTION("the layout of builds older than FHS outputs: build again") {
        touch(dir / "sbin/xl");
        REQUIRE_THROWS_WITH(boot::findTools(dir.path()),
                            "the tools output '" + dir.path().string() +
                                "' has xl at sbin/xl, the layout of builds made before xenbuild "
                                "installed at the target host's paths (usr/sbin/xl); build the "
                                "package again");
    }
    SECTION("prefix /usr") {
        touch(dir / "usr/sbin/xl");
        touch(dir / "usr/lib/libxenlight.so.4.17");
        const auto tools = boot::findTools(dir.path());
        CHECK(tools.prefix == "usr");
        CHECK(tools.xl == dir / "usr/sbin/xl");
        CHECK(tools.xenInitDom0 == dir / "usr/lib/xen/bin/xen-init-dom0");
        CHECK(tools.xlConf == dir / "etc/xen/xl.conf");
        CHECK(tools.libraryDirs == std::vector<fs::path>{dir / "usr/lib"});
    }
    SECTION("another prefix names what is missing below it") {
        touch(dir / "opt/xen/sbin/xl");
        REQUIRE_THROWS_WITH(boot::findTools(dir.path()),
                            "the tools output '" + dir.path().string() +
                                "' has no xenstored (looked for opt/xen/sbin/xenstored); was the "
                                "package built with its tools?");
    }
}

TEST_CASE("boot::findDom0Modules finds the five modules or says how to get them", "[boot]") {
    testing::TempDir dir;
    for (const char* name : {"xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-privcmd"})
        touch(dir / (std::string(name) + ".ko"));
    REQUIRE_THROWS_WITH(boot::findDom0Modules(dir.path()),
                        Catch::StartsWith("dom0 kernel modules missing: xenfs.ko; run "
                                          "scripts/fetch-dom0-kernel.sh"));
    touch(dir / "xenfs/xenfs.ko"); // the kernel package's own layout
    const auto modules = boot::findDom0Modules(dir.path());
    REQUIRE(modules.size() == 5);
    CHECK(modules.front() == dir / "xen-evtchn.ko");
    CHECK(modules.back() == dir / "xenfs/xenfs.ko");
}

TEST_CASE("boot::dom0InitScript loads the modules in order and prints the marker", "[boot]") {
    const auto script = boot::dom0InitScript({"xen-evtchn", "xenfs"});
    CHECK_THAT(script, Catch::Contains("export PATH=/bin:/usr/sbin:/usr/bin:/usr/lib/xen/bin "
                                       "LD_LIBRARY_PATH=/usr/lib\n"));
    CHECK_THAT(script, Catch::Contains("for t in /usr/sbin/xl /usr/sbin/xenstored "
                                       "/usr/lib/xen/bin/xen-init-dom0; do\n"));
    CHECK_THAT(boot::dom0InitScript({"xenfs"}, "/opt/xen"),
               Catch::Contains("export PATH=/bin:/opt/xen/sbin:/opt/xen/bin:/opt/xen/lib/xen/bin "
                               "LD_LIBRARY_PATH=/opt/xen/lib:/usr/lib\n"));
    CHECK_THAT(script, Catch::StartsWith("#!/bin/busybox sh\n"));
    CHECK_THAT(script, Catch::Contains("for m in xen-evtchn xenfs; do\n"));
    CHECK_THAT(script, Catch::Contains("mount -t xenfs xenfs /proc/xen"));
    CHECK_THAT(
        script,
        Catch::Contains("echo \"XENBUILD-BOOT-MARKER xen_version=$version build_id=$build_id\""));
}

TEST_CASE("boot::bootOnce says how to get QEMU when it is missing", "[boot]") {
    testing::TempDir dir;
    boot::BootOptions options;
    options.qemu = "no-such-qemu";
    util::NullProgress quiet;
    REQUIRE_THROWS_WITH(boot::bootOnce({}, dir.path(), options, quiet),
                        "'no-such-qemu' not found in '/usr/bin:/bin:/usr/sbin:/sbin'; install "
                        "qemu-system-x86 (scripts/install-deps.sh)");
}

TEST_CASE("boot::resolveDom0: given paths, else the host profile's, else the setup script's",
          "[boot]") {
    recipe::HostProfile profile;
    const auto defaults = boot::resolveDom0({}, profile);
    CHECK(defaults.kernel.filename() == "vmlinuz");
    CHECK(defaults.kernel.parent_path().filename() == "dom0");
    CHECK(defaults.modulesDir == defaults.kernel.parent_path() / "modules");

    profile.paths = {{"dom0Kernel", "/profile/vmlinuz"}, {"dom0Modules", "/profile/modules"}};
    const auto fromProfile = boot::resolveDom0({}, profile);
    CHECK(fromProfile.kernel == "/profile/vmlinuz");
    CHECK(fromProfile.modulesDir == "/profile/modules");

    const auto given = boot::resolveDom0({"/given/vmlinuz", ""}, profile);
    CHECK(given.kernel == "/given/vmlinuz");
    CHECK(given.modulesDir == "/profile/modules");
}

TEST_CASE("boot::findTools tells a standard build by the QEMU it ships", "[boot][qdisk]") {
    testing::TempDir dir;
    for (const char* file : {"usr/sbin/xl", "usr/sbin/xenstored", "usr/lib/xen/bin/xen-init-dom0",
                             "etc/xen/xl.conf", "usr/sbin/xenconsoled"}) {
        touch(dir / file);
    }
    CHECK_FALSE(boot::findTools(dir.path()).deviceModel);
    touch(dir / "usr/bin/qemu-system-i386"); // a slim build's --with-system-qemu path: the host's
    CHECK_FALSE(boot::findTools(dir.path()).deviceModel);
    touch(dir / "usr/lib/xen/bin/qemu-system-i386");
    const auto tools = boot::findTools(dir.path());
    CHECK(tools.deviceModel == dir / "usr/lib/xen/bin/qemu-system-i386");
    CHECK(tools.xenconsoled == dir / "usr/sbin/xenconsoled");
}

TEST_CASE("boot::findGuestModules finds xen-blkfront or says how to get it", "[boot][qdisk]") {
    testing::TempDir dir;
    for (const char* name : boot::kDom0Modules)
        touch(dir / (std::string(name) + ".ko"));
    REQUIRE_THROWS_WITH(boot::findGuestModules(dir.path()),
                        "the qdisk guest's kernel modules missing: xen-blkfront.ko; run "
                        "scripts/fetch-dom0-kernel.sh to extract Debian's kernel and modules, or "
                        "point the dom0 modules path at a directory holding them (searched '" +
                            dir.path().string() + "')");
    touch(dir / "xen-blkfront.ko");
    CHECK(boot::findGuestModules(dir.path()) == std::vector<fs::path>{dir / "xen-blkfront.ko"});
}

TEST_CASE("boot::testBuild of a standard build needs xen-blkfront before it boots",
          "[boot][qdisk]") {
    testing::TempDir dir;
    const auto result = fakeResult(dir);
    touch(dir / "boot/boot/xen");
    touch(dir / "boot/boot/xen-syms");
    for (const char* file :
         {"usr/sbin/xl", "usr/sbin/xenstored", "usr/lib/xen/bin/xen-init-dom0", "etc/xen/xl.conf",
          "usr/sbin/xenconsoled", "usr/lib/xen/bin/qemu-system-i386"}) {
        touch(dir / "out" / file);
    }
    for (const char* name : boot::kDom0Modules)
        touch(dir / "modules" / (std::string(name) + ".ko"));
    touch(dir / "vmlinuz");
    boot::BootOptions options;
    options.workDir = dir / "work";
    options.qemu = "no-such-qemu";
    util::NullProgress quiet;
    const boot::Dom0Kernel dom0{dir / "vmlinuz", dir / "modules"};
    REQUIRE_THROWS_WITH(boot::testBuild(result, "4.17.5", dom0, options, quiet),
                        Catch::StartsWith("the qdisk guest's kernel modules missing: "
                                          "xen-blkfront.ko; run scripts/fetch-dom0-kernel.sh"));
    CHECK_FALSE(fs::exists(dir / "work")); // nothing was written
    SECTION("a slim build, or another QEMU given, likewise") {
        fs::remove(dir / "out/usr/lib/xen/bin/qemu-system-i386");
        options.deviceModel = "/usr/libexec/xen-qemu-system-i386";
        REQUIRE_THROWS_WITH(boot::testBuild(result, "4.17.5", dom0, options, quiet),
                            Catch::StartsWith("the qdisk guest's kernel modules missing"));
    }
}
