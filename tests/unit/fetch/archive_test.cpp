#include "support/fixtures.hpp"
#include "xenbuild/fetch/archive.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using xbtest::TempDir;
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
    xbtest::writeFile(dir / (name + ".py"), script);
    xbtest::runOk("/usr/bin/python3 " + xbtest::shellQuote((dir / (name + ".py")).string()));
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
        CHECK(xbtest::runOk("cat " + (dir / "out" / "hard").string()) == "hello\n");
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
    xbtest::writeFile(dir / "bad.tar.gz", "this is not an archive");
    REQUIRE_THROWS_WITH(fetch::extractArchive(dir / "bad.tar.gz", dir / "out", false),
                        Catch::Contains("bad.tar.gz'"));
}
