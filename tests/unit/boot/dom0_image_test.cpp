#include "xenbuild/boot/dom0_image.hpp"
#include "xenbuild/boot/libraries.hpp"
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
