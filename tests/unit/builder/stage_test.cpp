// Staging copies trees exactly (links as links, never followed) and never writes outside the
// destination; the iPXE tarball holds the same tree. The fixture (tests/data/make-link-tree.sh)
// has every tree feature the real upstreams have, plus hostile links.

#include "builder/stage.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"

#include "support/fixtures.hpp"
#include "support/staged_tree.hpp"
#include "support/tree_listing.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

using namespace xenbuild;
using xenbuild::testing::TempDir;
using xenbuild::testing::TreeListing;

namespace {

namespace fs = std::filesystem;

// A temporary directory with the fixture at src/, a watched directory at outside/ (where the
// fixture's ../.. links point) and an empty build directory at work/build.
struct Layout {
    TempDir tmp;
    fs::path src = tmp / "src";
    fs::path outside = tmp / "outside";
    fs::path build = tmp / "work" / "build";
    Layout() {
        xenbuild::testing::makeLinkTree(src);
        xenbuild::testing::writeFile(outside / "file", "outside\n");
        fs::create_directories(build);
    }
    // Everything in the temporary directory except what is under `except`.
    TreeListing everythingBut(const fs::path& except) const {
        const std::string prefix = except.lexically_relative(tmp.path()).generic_string();
        auto listing = xenbuild::testing::listTree(tmp.path());
        std::erase_if(listing, [&](const auto& item) {
            return item.first == prefix || item.first.rfind(prefix + "/", 0) == 0;
        });
        return listing;
    }
};

mode_t modeOf(const fs::path& path) {
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    return info.st_mode;
}

void makeSocket(const fs::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.string().size() < sizeof address.sun_path);
    std::strcpy(address.sun_path, path.c_str());
    const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    ::close(fd);
    REQUIRE(bound == 0);
}

} // namespace

TEST_CASE("builder::copyTree copies every entry exactly, links as links", "[build][stage]") {
    Layout layout;
    const auto before = layout.everythingBut(layout.build / "xen");
    const fs::path staged = layout.build / "xen";
    builder::detail::copyTree(layout.src, staged);

    xenbuild::testing::requireSameTree(layout.src, staged);
    // Nothing was created or changed outside the destination (the ../.. links and evil -> /etc
    // included), and nothing in the fixture itself.
    REQUIRE(layout.everythingBut(staged) == before);

    SECTION("links keep their target text, whatever it points at") {
        REQUIRE(fs::read_symlink(staged / "xen/arch/riscv/configs/riscv64_defconfig") ==
                "tiny64_defconfig");
        REQUIRE(fs::read_symlink(staged / "xen/arch/riscv/configs/chained_defconfig") ==
                "riscv64_defconfig");
        REQUIRE(fs::read_symlink(staged / "tools/arch") == "../xen/arch");
        REQUIRE(fs::read_symlink(staged / "tools/self") == ".");
        REQUIRE(fs::read_symlink(staged / "evil") == "/etc");
        REQUIRE(fs::read_symlink(staged / "tools/escape-up") == "../../outside");
        REQUIRE(fs::read_symlink(staged / "loop") == "loop");
        REQUIRE(fs::read_symlink(staged / "dangling") == "does-not-exist");
        REQUIRE(fs::is_regular_file(
            fs::symlink_status(staged / "xen/arch/riscv/configs/tiny64_defconfig")));
    }
    SECTION("every staged file has the same time, whatever the source's times were") {
        // With copy times, make regenerated a shipped flex output or not depending on the clock.
        fs::last_write_time(layout.src / "scripts/run.sh", fs::file_time_type::clock::now());
        const fs::path again = layout.build / "again";
        builder::detail::copyTree(layout.src, again);
        for (const auto& file : fs::recursive_directory_iterator(again)) {
            struct stat info {};
            REQUIRE(::lstat(file.path().c_str(), &info) == 0);
            if (!S_ISREG(info.st_mode)) continue;
            INFO(file.path());
            CHECK(info.st_mtim.tv_sec == 1);
            CHECK(info.st_mtim.tv_nsec == 0);
        }
    }
    SECTION("files keep their permission bits and become owner-writable") {
        REQUIRE((modeOf(staged / "scripts/run.sh") & 07777) == 0755);
        REQUIRE((modeOf(staged / "docs/read-only.txt") & 07777) == 0644);
        REQUIRE((modeOf(staged / "dir with spaces/sub dir/a file with spaces.txt") & 07777) ==
                0644);
    }
}

TEST_CASE("builder::copyTree stages a read-only store entry exactly", "[build][stage]") {
    Layout layout;
    auto store = store::Store::open(layout.tmp / "store", {false});
    store::AddRequest request;
    request.name = "xen";
    request.lockKey = "stage-test";
    const auto entry = store.add(request, [&](const fs::path& dest, const fs::path&) {
        xenbuild::testing::runOk("cp -a " + xenbuild::testing::shellQuote(layout.src.string()) +
                                 " " + xenbuild::testing::shellQuote(dest.string()));
        return std::string();
    });
    const auto before = layout.everythingBut(layout.build / "xen");
    builder::detail::copyTree(entry.path, layout.build / "xen");
    xenbuild::testing::requireSameTree(entry.path, layout.build / "xen");
    xenbuild::testing::requireSameTree(layout.src, layout.build / "xen");
    REQUIRE(layout.everythingBut(layout.build / "xen") == before);
    // Staged files are writable (patches apply to them), executables stay executable.
    REQUIRE((modeOf(layout.build / "xen/scripts/run.sh") & 0777) == 0755);
    REQUIRE((modeOf(layout.build / "xen/xen/arch/riscv/configs/tiny64_defconfig") & 0200) != 0);
}

TEST_CASE("builder::copyTree never writes through a link at the destination", "[build][stage]") {
    Layout layout;
    const fs::path staged = layout.build / "xen";
    fs::create_directory_symlink(layout.outside, staged);
    const auto before = xenbuild::testing::listTree(layout.outside);
    REQUIRE_THROWS_WITH(builder::detail::copyTree(layout.src, staged),
                        "cannot create directory '" + staged.string() + "': File exists");
    REQUIRE(xenbuild::testing::listTree(layout.outside) == before);
}

TEST_CASE("builder::copyTree skips .git entries of an override", "[build][stage]") {
    TempDir tmp;
    xenbuild::testing::writeFile(tmp / "src/README", "readme\n");
    xenbuild::testing::writeFile(tmp / "src/.git/HEAD", "ref: refs/heads/main\n");
    xenbuild::testing::writeFile(tmp / "src/sub/.git", "gitdir: ../../.git/modules/sub\n");
    xenbuild::testing::writeFile(tmp / "src/sub/file", "file\n");
    builder::detail::copyTree(tmp / "src", tmp / "dst");
    REQUIRE(xenbuild::testing::listTree(tmp / "dst") ==
            TreeListing{{"README", "f - " + util::sha256("readme\n").hex()},
                        {"sub", "d"},
                        {"sub/file", "f - " + util::sha256("file\n").hex()}});
}

TEST_CASE("builder::copyTree refuses FIFOs, sockets and devices, naming them", "[build][stage]") {
    TempDir tmp;
    xenbuild::testing::writeFile(tmp / "src/README", "readme\n");
    fs::create_directories(tmp / "src/dir");
    const std::string rule =
        "; a source tree may hold only directories, regular files and symbolic links";
    SECTION("FIFO") {
        REQUIRE(::mkfifo((tmp / "src/dir/pipe").c_str(), 0644) == 0);
        REQUIRE_THROWS_WITH(builder::detail::copyTree(tmp / "src", tmp / "dst"),
                            "cannot stage '" + (tmp / "src/dir/pipe").string() +
                                "': it is a named pipe (FIFO)" + rule);
    }
    SECTION("socket") {
        makeSocket(tmp / "src/dir/sock");
        REQUIRE_THROWS_WITH(builder::detail::copyTree(tmp / "src", tmp / "dst"),
                            "cannot stage '" + (tmp / "src/dir/sock").string() +
                                "': it is a socket" + rule);
    }
    SECTION("device") {
        if (::mknod((tmp / "src/dir/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
            WARN("cannot make a device node here (not root): device case not checked");
            return;
        }
        REQUIRE_THROWS_WITH(builder::detail::copyTree(tmp / "src", tmp / "dst"),
                            "cannot stage '" + (tmp / "src/dir/null").string() +
                                "': it is a character device" + rule);
    }
}

TEST_CASE("builder::createDirectoriesWithin never passes through a link", "[build][stage]") {
    Layout layout;
    const fs::path tree = layout.build / "xen";
    builder::detail::copyTree(layout.src, tree);
    const auto before = layout.everythingBut(tree);

    builder::detail::createDirectoriesWithin(tree, "tools/firmware/seabios-dir");
    REQUIRE(fs::is_directory(fs::symlink_status(tree / "tools/firmware/seabios-dir")));
    builder::detail::createDirectoriesWithin(tree, "tools/firmware/seabios-dir"); // exists: fine

    SECTION("a link in the tree") {
        REQUIRE_THROWS_WITH(
            builder::detail::createDirectoriesWithin(tree, "tools/escape-up/seabios-dir"),
            "cannot stage at 'tools/escape-up/seabios-dir': '" +
                (tree / "tools/escape-up").string() +
                "' is a symbolic link, and staging never writes through links");
        REQUIRE_THROWS_WITH(builder::detail::createDirectoriesWithin(tree, "evil/x"),
                            "cannot stage at 'evil/x': '" + (tree / "evil").string() +
                                "' is a symbolic link, and staging never writes through links");
    }
    SECTION("a file in the way") {
        REQUIRE_THROWS_WITH(builder::detail::createDirectoriesWithin(tree, "scripts/run.sh/x"),
                            "cannot stage at 'scripts/run.sh/x': '" +
                                (tree / "scripts/run.sh").string() + "' is not a directory");
    }
    SECTION("a path leaving the tree") {
        for (const std::string bad : {"../../victim", "tools/../../x", "/tmp/x"}) {
            REQUIRE_THROWS_WITH(builder::detail::createDirectoriesWithin(tree, bad),
                                "cannot stage at '" + bad +
                                    "': the location must be a relative path inside the tree");
        }
    }
    REQUIRE(layout.everythingBut(tree) == before);
}

TEST_CASE("builder::writeTarball packs links as symlink members", "[build][stage]") {
    Layout layout;
    const fs::path staged = layout.build / "tarball-ipxe";
    builder::detail::copyTree(layout.src, staged);
    const fs::path file = layout.tmp / "ipxe.tar.gz";
    builder::detail::writeTarball(staged, "ipxe", file, 1700000000);

    const auto members = xenbuild::testing::requireTarballOf(file, "ipxe", layout.src, 1700000000);

    SECTION("the riscv link is a link member") {
        const auto found = std::find_if(members.begin(), members.end(), [](const auto& m) {
            return m.first == "ipxe/xen/arch/riscv/configs/riscv64_defconfig";
        });
        REQUIRE(found != members.end());
        REQUIRE(found->second.type == "l");
        REQUIRE(found->second.link == "tiny64_defconfig");
    }
    SECTION("unpacked by tar, it is the source tree") {
        fs::create_directories(layout.tmp / "x");
        xenbuild::testing::runOk(
            "tar -xzf " + xenbuild::testing::shellQuote(file.string()) + " -C " +
            xenbuild::testing::shellQuote((layout.tmp / "x").string()) + " 2>&1");
        xenbuild::testing::requireSameTree(layout.src, layout.tmp / "x/ipxe");
    }
    SECTION("reproducibly") {
        const fs::path again = layout.tmp / "again.tar.gz";
        builder::detail::writeTarball(staged, "ipxe", again, 1700000000);
        REQUIRE(util::sha256File(again).hex() == util::sha256File(file).hex());
    }
}

TEST_CASE("builder::writeTarball never writes through a link", "[build][stage]") {
    Layout layout;
    const fs::path staged = layout.build / "tarball-ipxe";
    builder::detail::copyTree(layout.src, staged);
    const fs::path file = layout.build / "ipxe.tar.gz";
    fs::create_symlink(layout.outside / "file", file);
    REQUIRE_THROWS_WITH(builder::detail::writeTarball(staged, "ipxe", file, 0),
                        "cannot create tarball '" + file.string() +
                            "': Too many levels of symbolic links");
    REQUIRE(xenbuild::testing::trim(xenbuild::testing::runOk(
                "cat " + xenbuild::testing::shellQuote((layout.outside / "file").string()))) ==
            "outside");
}
