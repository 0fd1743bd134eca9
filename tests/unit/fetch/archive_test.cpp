#include "support/fixtures.hpp"
#include "xenbuild/fetch/archive.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Builds a tarball with Python's tarfile module (explicitly /usr/bin/python3), which can write
// the hostile entries tar(1) refuses to create. `entries` is Python code adding members to `t`.
fs::path makeTar(const TempDir& dir, const std::string& name, const std::string& entries) {
    const fs::path out = dir / name;
    const std::string script = "import io, tarfile\n"
                               "def reg(t, n, data=b'x', mode=0o644):\n"
                               "    i = tarfile.TarInfo(n); i.size = len(data); i.mode = mode\n"
                               "    t.addfile(i, io.BytesIO(data))\n"
                               "def special(t, n, kind, target=''):\n"
                               "    i = tarfile.TarInfo(n); i.type = kind; i.linkname = target\n"
                               "    t.addfile(i)\n"
                               "with tarfile.open('" +
                               out.string() + "', 'w:gz') as t:\n" + entries;
    xenbuild::testing::writeFile(dir / (name + ".py"), script);
    xenbuild::testing::runOk("/usr/bin/python3 " +
                             xenbuild::testing::shellQuote((dir / (name + ".py")).string()));
    return out;
}

} // namespace

TEST_CASE("fetch::extractArchive unpacks files, executables, symlinks and hard links",
          "[fetch][archive]") {
    TempDir dir;
    const auto tar = makeTar(dir, "good.tar.gz",
                             "    special(t, 'pkg-1.0', tarfile.DIRTYPE)\n"
                             "    reg(t, 'pkg-1.0/README', b'hello\\n')\n"
                             "    reg(t, 'pkg-1.0/bin/run', b'#!/bin/sh\\n', 0o755)\n"
                             "    special(t, 'pkg-1.0/link', tarfile.SYMTYPE, 'README')\n"
                             "    special(t, 'pkg-1.0/bin/up', tarfile.SYMTYPE, '../README')\n"
                             "    special(t, 'pkg-1.0/hard', tarfile.LNKTYPE, 'pkg-1.0/README')\n");
    SECTION("stripping the top-level directory") {
        fetch::extractArchive(tar, dir / "out", true);
        CHECK(xenbuild::testing::runOk("cat " + (dir / "out" / "hard").string()) == "hello\n");
        CHECK(fs::read_symlink(dir / "out" / "bin" / "up") == "../README");
        CHECK((fs::status(dir / "out" / "bin" / "run").permissions() & fs::perms::owner_exec) !=
              fs::perms::none);
        CHECK_FALSE(fs::exists(dir.path() / "out~unpack"));
    }
    SECTION("keeping it") {
        fetch::extractArchive(tar, dir / "out", false);
        CHECK(fs::exists(dir / "out" / "pkg-1.0" / "README"));
    }
}

TEST_CASE("fetch::extractArchive refuses hostile archives", "[fetch][archive]") {
    TempDir dir;
    const fs::path outside = dir / "outside";
    struct Case {
        const char* name;
        const char* entries;
        const char* message;
    };
    const Case cases[] = {
        {"absolute", "    reg(t, '/tmp/xb-evil-absolute')\n", "absolute path"},
        {"dotdot", "    reg(t, 'pkg/../../outside/evil')\n", "'..'"},
        {"symlink-escape", "    special(t, 'pkg/esc', tarfile.SYMTYPE, '../../outside')\n",
         "outside the tree"},
        {"absolute-symlink", "    special(t, 'pkg/abs', tarfile.SYMTYPE, '/etc')\n",
         "outside the tree"},
        {"through-symlink",
         "    special(t, 'pkg/dir', tarfile.SYMTYPE, 'real')\n"
         "    reg(t, 'pkg/dir/file')\n",
         "through the symlink"},
        {"hardlink-escape", "    special(t, 'pkg/hard', tarfile.LNKTYPE, '../outside/secret')\n",
         "hard link"},
        {"hardlink-absolute", "    special(t, 'pkg/hard', tarfile.LNKTYPE, '/etc/passwd')\n",
         "hard link"},
        {"long-symlink", "    special(t, 'pkg/long', tarfile.SYMTYPE, 'a/' * 100000)\n",
         "is a symlink with a target of 200000 bytes, longer than a path can be"},
        {"device", "    special(t, 'pkg/null', tarfile.CHRTYPE)\n", "device node, fifo"},
        {"fifo", "    special(t, 'pkg/fifo', tarfile.FIFOTYPE)\n", "device node, fifo"},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name) {
            const auto tar = makeTar(dir, std::string(c.name) + ".tar.gz", c.entries);
            REQUIRE_THROWS_AS(fetch::extractArchive(tar, dir / "out", true), FetchError);
            REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out2", false),
                                Catch::Contains(c.message) &&
                                    Catch::Contains("'" + tar.string() + "'"));
            CHECK_FALSE(fs::exists(outside));
            CHECK_FALSE(fs::exists("/tmp/xb-evil-absolute"));
        }
    }
}

TEST_CASE("fetch::extractArchive wants one top-level directory when stripping",
          "[fetch][archive]") {
    TempDir dir;
    const auto tar = makeTar(dir, "two.tar.gz", "    reg(t, 'a/x')\n    reg(t, 'b/y')\n");
    REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true),
                        Catch::Contains("single top-level directory"));
    CHECK_FALSE(fs::exists(dir / "out~unpack"));
}

TEST_CASE("fetch::extractArchive names a corrupt archive", "[fetch][archive]") {
    TempDir dir;
    xenbuild::testing::writeFile(dir / "bad.tar.gz", "this is not an archive");
    REQUIRE_THROWS_WITH(fetch::extractArchive(dir / "bad.tar.gz", dir / "out", false),
                        Catch::Contains("bad.tar.gz'"));
}

TEST_CASE("fetch::extractArchive follows symlink targets through the links before them",
          "[fetch][archive]") {
    TempDir dir;
    // l0 -> ., l1 -> l0/.., ... l15 -> l14/..: each looks harmless as text, together they climb
    // out of the tree, and x -> l15/tmp/sentinel would lead to /tmp/sentinel.
    std::string chain = "    special(t, 'pkg', tarfile.DIRTYPE)\n"
                        "    special(t, 'pkg/l0', tarfile.SYMTYPE, '.')\n";
    for (int i = 1; i <= 15; ++i) {
        chain += "    special(t, 'pkg/l" + std::to_string(i) + "', tarfile.SYMTYPE, 'l" +
                 std::to_string(i - 1) + "/..')\n";
    }
    chain += "    special(t, 'pkg/x', tarfile.SYMTYPE, 'l15/tmp/sentinel')\n";
    const auto tar = makeTar(dir, "chain.tar.gz", chain);
    SECTION("stripping the top-level directory: pkg/l1 leads out of it") {
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true),
                            "refusing to unpack '" + tar.string() +
                                "': entry 'pkg/l1' is a symlink to 'l0/..', which leads outside "
                                "the tree (following the symlinks in it)");
        CHECK_FALSE(fs::exists(dir / "out"));
        CHECK_FALSE(fs::exists(dir / "out~unpack"));
    }
    SECTION("keeping it: pkg/l2 leads out of the root") {
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", false),
                            Catch::Contains("entry 'pkg/l2' is a symlink to 'l1/..', which leads "
                                            "outside the tree"));
        CHECK_FALSE(fs::exists(dir / "out"));
    }
}

TEST_CASE("fetch::extractArchive checks every symlink again once all members are out",
          "[fetch][archive]") {
    TempDir dir;
    // When pkg/d/l arrives, pkg/d/x does not exist and x/../../.. stays in the tree; the later
    // pkg/d/x -> .. turns it into pkg/d/x/../../.. = one level above the root.
    const auto tar = makeTar(dir, "late.tar.gz",
                             "    special(t, 'pkg/d', tarfile.DIRTYPE)\n"
                             "    special(t, 'pkg/d/l', tarfile.SYMTYPE, 'x/../../..')\n"
                             "    special(t, 'pkg/d/x', tarfile.SYMTYPE, '..')\n");
    REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", false),
                        Catch::Contains("entry 'pkg/d/l' is a symlink to 'x/../../..', which "
                                        "leads outside the tree"));
    CHECK_FALSE(fs::exists(dir / "out"));
    // Stripping pkg/, the tree is pkg: pkg/d/x/../.. leaves it.
    const auto stripped = makeTar(dir, "late2.tar.gz",
                                  "    special(t, 'pkg/d', tarfile.DIRTYPE)\n"
                                  "    special(t, 'pkg/d/l', tarfile.SYMTYPE, 'x/../..')\n"
                                  "    special(t, 'pkg/d/x', tarfile.SYMTYPE, '..')\n");
    REQUIRE_THROWS_WITH(fetch::extractArchive(stripped, dir / "out", true),
                        Catch::Contains("entry 'pkg/d/l' is a symlink to 'x/../..'"));
    // A symlink to the top-level directory's parent would point into the store next to it.
    const auto up = makeTar(dir, "up.tar.gz", "    special(t, 'pkg/up', tarfile.SYMTYPE, '..')\n");
    REQUIRE_THROWS_WITH(fetch::extractArchive(up, dir / "out", true),
                        Catch::Contains("entry 'pkg/up' is a symlink to '..', which leads "
                                        "outside the tree"));
    CHECK_NOTHROW(fetch::extractArchive(up, dir / "kept", false)); // pkg/.. is the root
}

TEST_CASE("fetch::extractArchive keeps symlinks that stay inside through other links",
          "[fetch][archive]") {
    TempDir dir;
    const auto tar = makeTar(dir, "fine.tar.gz",
                             "    reg(t, 'pkg/a/b/file')\n"
                             "    special(t, 'pkg/deep', tarfile.SYMTYPE, 'a/b')\n"
                             "    special(t, 'pkg/a/up', tarfile.SYMTYPE, '../deep/..')\n"
                             "    special(t, 'pkg/loop', tarfile.SYMTYPE, 'loop')\n"
                             "    special(t, 'pkg/later', tarfile.SYMTYPE, 'not/yet/../there')\n"
                             "    special(t, 'pkg/same', tarfile.SYMTYPE, './a//b/./file')\n");
    SECTION("loops are refused") {
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true),
                            Catch::Contains("entry 'pkg/loop' is a symlink to 'loop', which goes "
                                            "through more than 40 symlinks (a loop?)"));
    }
    SECTION("without the loop") {
        const auto fine = makeTar(dir, "fine2.tar.gz",
                                  "    reg(t, 'pkg/a/b/file')\n"
                                  "    special(t, 'pkg/deep', tarfile.SYMTYPE, 'a/b')\n"
                                  "    special(t, 'pkg/a/up', tarfile.SYMTYPE, '../deep/..')\n"
                                  "    special(t, 'pkg/later', tarfile.SYMTYPE, 'not/../there')\n"
                                  "    special(t, 'pkg/same', tarfile.SYMTYPE, './a//b/./file')\n");
        fetch::extractArchive(fine, dir / "out", true);
        CHECK(fs::read_symlink(dir / "out" / "a" / "up") == "../deep/..");
        CHECK(fs::is_regular_file(dir / "out" / "same"));
    }
}

TEST_CASE("fetch::extractArchive stops at the entry, size and ratio limits", "[fetch][archive]") {
    TempDir dir;
    const std::string url = "https://example.invalid/pkg.tar.gz";
    fetch::FetchLimits limits;
    SECTION("entries") {
        const auto tar =
            makeTar(dir, "many.tar.gz", "    for i in range(5): reg(t, 'pkg/f%d' % i)\n");
        limits.entries = 4;
        REQUIRE_THROWS_WITH(
            fetch::extractArchive(tar, dir / "out", true, limits, url),
            "refusing to unpack '" + url +
                "': it has more than 4 entries (the entry limit); if that is "
                "expected, raise the limit with the fetch-limit setting entries=NUMBER");
        limits.entries = 5;
        CHECK_NOTHROW(fetch::extractArchive(tar, dir / "out", true, limits, url));
    }
    SECTION("unpacked bytes, refused before the member is written") {
        const auto tar = makeTar(dir, "big.tar.gz",
                                 "    reg(t, 'pkg/small', b'x' * 1000)\n"
                                 "    reg(t, 'pkg/big', b'y' * 2000)\n");
        limits.unpackedBytes = 2048;
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", false, limits, url),
                            "refusing to unpack '" + url +
                                "': it unpacks to more than 2 KiB (the unpacked size limit); if "
                                "that is expected, raise the limit with the fetch-limit setting "
                                "unpacked=SIZE");
        CHECK_FALSE(fs::exists(dir / "out"));
        limits.unpackedBytes = 3000;
        CHECK_NOTHROW(fetch::extractArchive(tar, dir / "out", false, limits, url));
    }
    SECTION("hard links count like copies") {
        const auto tar =
            makeTar(dir, "hard.tar.gz",
                    "    reg(t, 'pkg/data', b'x' * 1000)\n"
                    "    for i in range(3):\n"
                    "        special(t, 'pkg/h%d' % i, tarfile.LNKTYPE, 'pkg/data')\n");
        limits.unpackedBytes = 3500;
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true, limits, url),
                            Catch::Contains("more than 3500 bytes (the unpacked size limit)"));
    }
    SECTION("the ratio of unpacked to packed size") {
        // 4 MiB of zeros compress to a few KiB.
        const auto tar = makeTar(dir, "bomb.tar.gz", "    reg(t, 'pkg/zeros', bytes(4 << 20))\n");
        limits.ratioFloor = 1 << 20;
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true, limits, url),
                            Catch::Contains("refusing to unpack '" + url +
                                            "': it unpacks to more than 1 MiB, 200 times its own "
                                            "size of ") &&
                                Catch::Contains("(a decompression bomb?); if that is expected, "
                                                "raise the limit with the fetch-limit setting "
                                                "ratio=NUMBER"));
        CHECK_FALSE(fs::exists(dir / "out"));
        limits.ratio = 0;
        CHECK_NOTHROW(fetch::extractArchive(tar, dir / "out", true, limits, url));
    }
}

TEST_CASE("fetch::extractArchive accepts members rooted at ./", "[fetch][archive]") {
    TempDir dir;
    const auto tar = makeTar(dir, "dot.tar.gz",
                             "    special(t, './', tarfile.DIRTYPE)\n"
                             "    special(t, './xen-4.19', tarfile.DIRTYPE)\n"
                             "    reg(t, './xen-4.19/README', b'hello\\n')\n"
                             "    special(t, './xen-4.19/link', tarfile.SYMTYPE, './README')\n"
                             "    reg(t, './xen-4.19/tools/run', b'#!/bin/sh\\n', 0o755)\n");
    fetch::extractArchive(tar, dir / "out", true);
    CHECK(xenbuild::testing::runOk("cat " + (dir / "out" / "link").string()) == "hello\n");
    CHECK(fs::is_regular_file(dir / "out" / "tools" / "run"));
    // tar(1) writes "./" first when given a directory: the same layout.
    xenbuild::testing::writeFile(dir / "src" / "xen-4.19" / "README", "hi\n");
    xenbuild::testing::runOk("tar -C " + (dir / "src").string() + " -czf " +
                             (dir / "dot2.tar.gz").string() + " .");
    fetch::extractArchive(dir / "dot2.tar.gz", dir / "out2", true);
    CHECK(fs::is_regular_file(dir / "out2" / "README"));
}

TEST_CASE("fetch::extractArchive names the archive's URL and what it found at the top",
          "[fetch][archive]") {
    TempDir dir;
    const std::string url = "https://example.invalid/pkg.tar.gz";
    const std::string expected =
        "cannot unpack '" + url +
        "': expected a single top-level directory (the archive's files inside one directory, "
        "like 'xen-4.19.0/...'), found ";
    SECTION("several") {
        const auto tar = makeTar(dir, "two.tar.gz",
                                 "    reg(t, './b/y')\n    reg(t, 'a/x')\n    reg(t, 'README')\n");
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true, {}, url),
                            expected + "3 top-level entries: 'README', 'a', 'b'");
    }
    SECTION("one file") {
        const auto tar = makeTar(dir, "one.tar.gz", "    reg(t, './README')\n");
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true, {}, url),
                            expected + "only the file 'README'");
    }
    SECTION("nothing") {
        const auto tar = makeTar(dir, "none.tar.gz", "    special(t, './', tarfile.DIRTYPE)\n");
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true, {}, url),
                            expected + "an empty archive");
    }
    SECTION("a refused member") {
        const auto tar = makeTar(dir, "evil.tar.gz", "    reg(t, 'pkg/../../evil')\n");
        REQUIRE_THROWS_WITH(fetch::extractArchive(tar, dir / "out", true, {}, url),
                            "refusing to unpack '" + url +
                                "': entry 'pkg/../../evil' has an absolute path or a '..' "
                                "component");
    }
    CHECK_FALSE(fs::exists(dir / "out"));
    CHECK_FALSE(fs::exists(dir / "out~unpack"));
}
