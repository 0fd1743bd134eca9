#include "xenbuild/boot/dom0_image.hpp"
#include "xenbuild/boot/libraries.hpp"
#include "xenbuild/boot/qdisk_guest.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/process.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

using namespace xenbuild;
namespace fs = std::filesystem;

namespace {

void gcc(std::vector<std::string> args) {
    util::ProcessSpec spec;
    spec.argv = {"gcc"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = util::Environment{{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C"}};
    spec.capture = true;
    const auto result = util::runProcess(spec);
    INFO(result.err);
    REQUIRE(result.success());
}

// A tools output shaped like Xen's, installed with --prefix=/usr: three programs needing
// libxentoy.so.1 from <out>/usr/lib.
boot::Dom0ImageSpec fakeSpec(const testing::TempDir& dir) {
    const fs::path out = dir / "out";
    for (const char* sub : {"usr/lib/xen/bin", "usr/sbin", "etc/xen", "modules"})
        fs::create_directories(out / sub);
    std::ofstream(dir / "toy.c") << "int toy(void) { return 0; }\n";
    std::ofstream(dir / "main.c") << "int toy(void);\nint main(void) { return toy(); }\n";
    gcc({"-shared", "-fPIC", "-Wl,-soname,libxentoy.so.1", "-o",
         (out / "usr/lib/libxentoy.so.1").string(), (dir / "toy.c").string()});
    for (const char* program :
         {"usr/sbin/xl", "usr/sbin/xenstored", "usr/lib/xen/bin/xen-init-dom0"}) {
        gcc({"-o", (out / program).string(), (dir / "main.c").string(),
             "-L" + (out / "usr/lib").string(), "-l:libxentoy.so.1"});
    }
    std::ofstream(out / "etc/xen/xl.conf") << "# xl.conf\n";
    gcc({"-static", "-o", (dir / "busybox").string(), (dir / "main.c").string(),
         (dir / "toy.c").string()});
    boot::Dom0ImageSpec spec;
    spec.tools = boot::findTools(out);
    spec.busybox = dir / "busybox";
    for (const char* name : boot::kDom0Modules) {
        std::ofstream(dir / "modules" / (std::string(name) + ".ko")) << name;
        spec.modules.push_back(dir / "modules" / (std::string(name) + ".ko"));
    }
    spec.hostLibraryDirs = boot::hostLibraryDirs();
    return spec;
}

std::vector<std::string> paths(const std::vector<boot::ArchiveEntry>& entries) {
    std::vector<std::string> result;
    for (const auto& entry : entries)
        result.push_back(entry.path);
    std::sort(result.begin(), result.end());
    return result;
}

} // namespace

TEST_CASE("boot::dom0ImageEntries holds the tools and exactly the libraries they need",
          "[boot][initramfs]") {
    testing::TempDir dir;
    fs::create_directories(dir / "modules");
    const auto spec = fakeSpec(dir);
    const auto all = paths(boot::dom0ImageEntries(spec));
    std::vector<std::string> files;
    std::copy_if(all.begin(), all.end(), std::back_inserter(files), [](const std::string& p) {
        return p.find('.') != std::string::npos || p.find("bin/") != std::string::npos ||
               p == "init";
    });
    std::vector<std::string> expected = {"bin/busybox",
                                         "etc/xen/xl.conf",
                                         "init",
                                         "lib/modules/xenbuild/xen-evtchn.ko",
                                         "lib/modules/xenbuild/xen-gntalloc.ko",
                                         "lib/modules/xenbuild/xen-gntdev.ko",
                                         "lib/modules/xenbuild/xen-privcmd.ko",
                                         "lib/modules/xenbuild/xenfs.ko",
                                         "lib64/ld-linux-x86-64.so.2",
                                         "usr/lib/libc.so.6",
                                         "usr/lib/libxentoy.so.1",
                                         "usr/lib/xen/bin/xen-init-dom0",
                                         "usr/sbin/xenstored",
                                         "usr/sbin/xl"};
    std::sort(expected.begin(), expected.end());
    CHECK(files == expected);
    for (const char* dirName : {"proc", "sys", "dev", "run", "tmp"})
        CHECK(std::count(all.begin(), all.end(), dirName) == 1);
}

TEST_CASE("boot::dom0ImageEntries refuses a dynamic busybox and a missing library",
          "[boot][initramfs]") {
    testing::TempDir dir;
    fs::create_directories(dir / "modules");
    auto spec = fakeSpec(dir);
    SECTION("dynamic busybox") {
        spec.busybox = spec.tools.xl;
        REQUIRE_THROWS_WITH(boot::dom0ImageEntries(spec),
                            Catch::Contains("is dynamically linked; the initramfs needs a static "
                                            "one (Debian: busybox-static"));
    }
    SECTION("library not in the tools output nor on the host") {
        fs::remove(dir / "out/usr/lib/libxentoy.so.1");
        REQUIRE_THROWS_AS(boot::dom0ImageEntries(spec), BuildError);
        REQUIRE_THROWS_WITH(boot::dom0ImageEntries(spec),
                            Catch::StartsWith("library 'libxentoy.so.1' needed by '" +
                                              spec.tools.xl.string() + "' was not found"));
    }
}

namespace {

// Makes the fake tools output of fakeSpec a standard build's: a QEMU at
// usr/lib/xen/bin/qemu-system-i386 needing the output's libxentoy.so.1 and the "host's"
// libpixtoy.so.1 (as QEMU needs glib and pixman), xenconsoled and QEMU's keymap.
void makeStandard(const testing::TempDir& dir, boot::Dom0ImageSpec& spec) {
    const fs::path out = dir / "out";
    fs::create_directories(dir / "hostlib");
    std::ofstream(dir / "pix.c") << "int pix(void) { return 0; }\n";
    std::ofstream(dir / "qemu.c") << "int toy(void);\nint pix(void);\n"
                                     "int main(void) { return toy() + pix(); }\n";
    gcc({"-shared", "-fPIC", "-Wl,-soname,libpixtoy.so.1", "-o",
         (dir / "hostlib/libpixtoy.so.1").string(), (dir / "pix.c").string()});
    gcc({"-o", (out / "usr/lib/xen/bin/qemu-system-i386").string(), (dir / "qemu.c").string(),
         "-L" + (out / "usr/lib").string(), "-l:libxentoy.so.1", "-L" + (dir / "hostlib").string(),
         "-l:libpixtoy.so.1"});
    gcc({"-o", (out / "usr/sbin/xenconsoled").string(), (dir / "main.c").string(),
         "-L" + (out / "usr/lib").string(), "-l:libxentoy.so.1"});
    fs::create_directories(out / "usr/share/qemu-xen/qemu/keymaps");
    std::ofstream(out / "usr/share/qemu-xen/qemu/keymaps/en-us") << "# en-us\n";
    std::ofstream(dir / "vmlinuz") << "kernel";
    std::ofstream(dir / "guest-initrd.gz") << "guest initramfs";
    spec.tools = boot::findTools(out);
    spec.hostLibraryDirs.insert(spec.hostLibraryDirs.begin(), dir / "hostlib");
    REQUIRE(spec.tools.deviceModel);
    boot::QdiskGuest guest;
    guest.kernel = dir / "vmlinuz";
    guest.initramfs = dir / "guest-initrd.gz";
    guest.token = "0123456789abcdef";
    guest.deviceModel = *spec.tools.deviceModel;
    guest.wait = std::chrono::seconds{240};
    spec.guest = guest;
}

std::vector<std::string> files(const std::vector<boot::ArchiveEntry>& entries) {
    std::vector<std::string> result;
    for (const auto& entry : entries) {
        if (entry.kind == boot::ArchiveEntry::Kind::File) result.push_back(entry.path);
    }
    std::sort(result.begin(), result.end());
    return result;
}

const boot::ArchiveEntry& entry(const std::vector<boot::ArchiveEntry>& entries,
                                const std::string& path) {
    const auto it =
        std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.path == path; });
    REQUIRE(it != entries.end());
    return *it;
}

const std::vector<std::string> kSlimFiles = {"bin/busybox",
                                             "etc/xen/xl.conf",
                                             "init",
                                             "lib/modules/xenbuild/xen-evtchn.ko",
                                             "lib/modules/xenbuild/xen-gntalloc.ko",
                                             "lib/modules/xenbuild/xen-gntdev.ko",
                                             "lib/modules/xenbuild/xen-privcmd.ko",
                                             "lib/modules/xenbuild/xenfs.ko",
                                             "lib64/ld-linux-x86-64.so.2",
                                             "usr/lib/libc.so.6",
                                             "usr/lib/libxentoy.so.1",
                                             "usr/lib/xen/bin/xen-init-dom0",
                                             "usr/sbin/xenstored",
                                             "usr/sbin/xl"};

} // namespace

TEST_CASE("boot::dom0ImageEntries of a slim build has no guest, QEMU or xenconsoled",
          "[boot][initramfs][qdisk]") {
    testing::TempDir dir;
    fs::create_directories(dir / "modules");
    auto spec = fakeSpec(dir);
    // xenconsoled alone (every build has it) does not make a standard build.
    gcc({"-o", (dir / "out/usr/sbin/xenconsoled").string(), (dir / "main.c").string(),
         "-L" + (dir / "out/usr/lib").string(), "-l:libxentoy.so.1"});
    spec.tools = boot::findTools(dir / "out");
    CHECK_FALSE(spec.tools.deviceModel);
    CHECK(spec.tools.xenconsoled == dir / "out/usr/sbin/xenconsoled");
    const auto entries = boot::dom0ImageEntries(spec);
    CHECK(files(entries) == kSlimFiles);
    CHECK(entry(entries, "init").content ==
          boot::dom0InitScript({"xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-privcmd", "xenfs"},
                               "/usr"));
}

TEST_CASE("boot::dom0ImageEntries of a standard build holds QEMU, its libraries and the guest",
          "[boot][initramfs][qdisk]") {
    testing::TempDir dir;
    fs::create_directories(dir / "modules");
    auto spec = fakeSpec(dir);
    makeStandard(dir, spec);
    const auto entries = boot::dom0ImageEntries(spec);
    auto expected = kSlimFiles;
    for (const char* path :
         {"guest/disk.img", "guest/guest.cfg", "guest/initrd.gz", "guest/vmlinuz",
          "usr/lib/libpixtoy.so.1", "usr/lib/xen/bin/qemu-system-i386", "usr/sbin/xenconsoled",
          "usr/share/qemu-xen/qemu/keymaps/en-us"}) {
        expected.push_back(path);
    }
    std::sort(expected.begin(), expected.end());
    CHECK(files(entries) == expected);
    CHECK(entry(entries, "guest/disk.img").content == boot::qdiskDiskImage("0123456789abcdef"));
    CHECK(entry(entries, "guest/guest.cfg").content == boot::guestConfig());
    CHECK(entry(entries, "guest/vmlinuz").source == dir / "vmlinuz");
    CHECK(entry(entries, "guest/initrd.gz").source == dir / "guest-initrd.gz");
    CHECK(entry(entries, "usr/lib/libpixtoy.so.1").source == dir / "hostlib/libpixtoy.so.1");
    CHECK(entry(entries, "init").content ==
          boot::dom0InitScript({"xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-privcmd", "xenfs"},
                               "/usr", std::chrono::seconds{240}));
    // The token is on the disk only, not in what dom0 prints.
    CHECK(entry(entries, "init").content.find("0123456789abcdef") == std::string::npos);
}

TEST_CASE("boot::dom0ImageEntries with another QEMU puts it at its own path and names it",
          "[boot][initramfs][qdisk]") {
    testing::TempDir dir;
    fs::create_directories(dir / "modules");
    auto spec = fakeSpec(dir);
    makeStandard(dir, spec);
    // QEMU's own layout: <bindir>/../share/qemu/keymaps.
    const fs::path host = dir / "host";
    fs::create_directories(host / "libexec");
    fs::create_directories(host / "share/qemu/keymaps");
    fs::copy_file(*spec.tools.deviceModel, host / "libexec/xen-qemu");
    std::ofstream(host / "share/qemu/keymaps/en-us") << "# en-us\n";
    spec.guest->deviceModel = host / "libexec/xen-qemu";
    spec.guest->overrideDeviceModel = true;
    const auto entries = boot::dom0ImageEntries(spec);
    const auto all = files(entries);
    const std::string qemu = (host / "libexec/xen-qemu").relative_path().string();
    CHECK(std::count(all.begin(), all.end(), qemu) == 1);
    CHECK(std::count(all.begin(), all.end(),
                     (host / "share/qemu/keymaps/en-us").relative_path().string()) == 1);
    // Not the build's QEMU nor its keymap.
    CHECK(std::count(all.begin(), all.end(), "usr/lib/xen/bin/qemu-system-i386") == 0);
    CHECK(std::count(all.begin(), all.end(), "usr/share/qemu-xen/qemu/keymaps/en-us") == 0);
    CHECK(entry(entries, "guest/guest.cfg").content == boot::guestConfig("/" + qemu));
}

TEST_CASE("boot::dom0ImageEntries says what the qdisk guest lacks", "[boot][initramfs][qdisk]") {
    testing::TempDir dir;
    fs::create_directories(dir / "modules");
    auto spec = fakeSpec(dir);
    makeStandard(dir, spec);
    SECTION("no xenconsoled") {
        spec.tools.xenconsoled.reset();
        REQUIRE_THROWS_WITH(boot::dom0ImageEntries(spec),
                            "the tools output '" + (dir / "out").string() +
                                "' has no xenconsoled (looked for usr/sbin/xenconsoled); the "
                                "qdisk guest's console needs it");
    }
    SECTION("no keymap") {
        fs::remove(dir / "out/usr/share/qemu-xen/qemu/keymaps/en-us");
        REQUIRE_THROWS_WITH(boot::dom0ImageEntries(spec),
                            "the device model '" +
                                (dir / "out/usr/lib/xen/bin/qemu-system-i386").string() +
                                "' has no keymap en-us (looked for " +
                                (dir / "out/usr/share/qemu-xen/qemu/keymaps/en-us").string() +
                                ", " + (dir / "out/usr/lib/xen/share/qemu/keymaps/en-us").string() +
                                "); QEMU loads it for the -vnc none that libxl passes");
    }
    SECTION("a wrapper script instead of QEMU") {
        std::ofstream(dir / "qemu-wrapper") << "#!/bin/sh\nexec qemu \"$@\"\n";
        spec.guest->deviceModel = dir / "qemu-wrapper";
        spec.guest->overrideDeviceModel = true;
        REQUIRE_THROWS_WITH(boot::dom0ImageEntries(spec),
                            "the device model '" + (dir / "qemu-wrapper").string() +
                                "' is not an ELF program (a wrapper script?); give QEMU's binary "
                                "itself (Debian: /usr/libexec/xen-qemu-system-i386 from "
                                "qemu-system-xen)");
    }
    SECTION("a device model that does not exist") {
        spec.guest->deviceModel = dir / "no-qemu";
        REQUIRE_THROWS_WITH(boot::dom0ImageEntries(spec),
                            "the device model '" + (dir / "no-qemu").string() + "' does not exist");
    }
    SECTION("a library of QEMU that is nowhere") {
        spec.hostLibraryDirs.erase(spec.hostLibraryDirs.begin());
        REQUIRE_THROWS_WITH(boot::dom0ImageEntries(spec),
                            Catch::StartsWith("library 'libpixtoy.so.1' needed by '" +
                                              spec.guest->deviceModel.string() +
                                              "' was not found"));
    }
}
