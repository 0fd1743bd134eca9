#include "support/files.hpp"
#include "xenbuild/boot/initramfs.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/hash.hpp"
#include "xenbuild/util/process.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace xenbuild;
namespace fs = std::filesystem;
using boot::ArchiveEntry;

namespace {

std::string run(const std::string& script) {
    util::ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.env = util::Environment{{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C"}, {"TZ", "UTC"}};
    spec.capture = true;
    const auto result = util::runProcess(spec);
    INFO(script << "\n" << result.err);
    REQUIRE(result.success());
    return result.out;
}

std::vector<ArchiveEntry> sampleEntries(const fs::path& source) {
    return {ArchiveEntry::text("init", "#!/bin/sh\necho hi\n", 0755),
            ArchiveEntry::file("usr/sbin/xl", source, 0755),
            ArchiveEntry::symlink("bin/sh", "busybox"), ArchiveEntry::directory("proc", 0555)};
}

} // namespace

TEST_CASE("boot::writeInitramfs writes a sorted newc cpio with fixed owners and times",
          "[boot][initramfs]") {
    testing::TempDir dir;
    std::ofstream(dir / "xl") << "not really xl\n";
    boot::writeInitramfs(sampleEntries(dir / "xl"), dir / "a.gz");

    const std::string archive = (dir / "a.gz").string();
    CHECK(run("gzip -dc '" + archive + "' | cpio -it --quiet") ==
          "bin\nbin/sh\ninit\nproc\nusr\nusr/sbin\nusr/sbin/xl\n");
    CHECK(run("gzip -dc '" + archive + "' | head -c 6") == "070701"); // newc magic
    const auto listing = run("bsdtar -tvf '" + archive + "' --numeric-owner");
    CHECK_THAT(listing,
               Catch::Contains("-rwxr-xr-x  1 0      0          14 Jan  1  1970 usr/sbin/xl"));
    CHECK_THAT(listing, Catch::Contains(
                            "lrwxrwxrwx  1 0      0           7 Jan  1  1970 bin/sh -> busybox"));
    CHECK_THAT(listing, Catch::Contains("dr-xr-xr-x  2 0      0           0 Jan  1  1970 proc"));
    CHECK(run("bsdtar -xOf '" + archive + "' init") == "#!/bin/sh\necho hi\n");
    CHECK(run("bsdtar -xOf '" + archive + "' usr/sbin/xl") == "not really xl\n");
}

TEST_CASE("boot::writeInitramfs is reproducible", "[boot][initramfs]") {
    testing::TempDir dir;
    std::ofstream(dir / "xl") << "not really xl\n";
    boot::writeInitramfs(sampleEntries(dir / "xl"), dir / "a.gz");
    // Another order, another source mtime, another day: the same bytes.
    auto entries = sampleEntries(dir / "xl");
    std::reverse(entries.begin(), entries.end());
    fs::last_write_time(dir / "xl", fs::last_write_time(dir / "xl") - std::chrono::hours(48));
    boot::writeInitramfs(entries, dir / "b.gz");
    const auto a = xenbuild::testing::readFile(dir / "a.gz");
    CHECK(a == xenbuild::testing::readFile(dir / "b.gz"));
    REQUIRE(a.size() > 10);
    CHECK(a.substr(4, 4) == std::string(4, '\0')); // no gzip timestamp
}

TEST_CASE("boot::writeInitramfs refuses bad entries and leaves nothing behind",
          "[boot][initramfs]") {
    testing::TempDir dir;
    const fs::path out = dir / "x.gz";
    SECTION("a path given twice") {
        REQUIRE_THROWS_WITH(boot::writeInitramfs({ArchiveEntry::text("init", "a", 0755),
                                                  ArchiveEntry::text("init", "b", 0755)},
                                                 out),
                            "initramfs entry 'init' is given twice");
    }
    SECTION("absolute and escaping paths") {
        for (const char* bad : {"/init", "../x", "a/./b", ""}) {
            REQUIRE_THROWS_AS(boot::writeInitramfs({ArchiveEntry::text(bad, "a", 0755)}, out),
                              BuildError);
        }
    }
    SECTION("a source that does not exist") {
        REQUIRE_THROWS_AS(
            boot::writeInitramfs({ArchiveEntry::file("usr/sbin/xl", dir / "absent", 0755)}, out),
            SystemError);
    }
    CHECK(fs::is_empty(dir.path()));
}
