// Splitting the install root into outputs by install path, and the builder's own check that no
// output mentions the store.

#include "builder/checks.hpp"
#include "builder/install_layout.hpp"
#include "xenbuild/util/error.hpp"

#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kOutputs = {"out", "boot", "dev", "man"};
const std::map<std::string, std::vector<std::string>> kPaths = {
    {"boot", {"/boot"}},
    {"dev", {"/usr/include", "/usr/lib/pkgconfig"}},
    {"man", {"/usr/share/man"}}};

std::map<std::string, fs::path> stagedIn(const fs::path& dir) {
    std::map<std::string, fs::path> staged;
    for (const auto& name : kOutputs)
        staged[name] = dir / "staged" / name;
    return staged;
}

} // namespace

TEST_CASE("builder::splitInstallRoot keeps each file at its install path in its output",
          "[builder]") {
    testing::TempDir dir;
    const fs::path root = dir / "install";
    testing::writeFile(root / "usr/sbin/xl", "xl\n", true);
    testing::writeFile(root / "usr/lib/libxenlight.so.4.19", "lib\n");
    testing::writeFile(root / "usr/lib/pkgconfig/xenlight.pc", "prefix=/usr\n");
    testing::writeFile(root / "usr/include/xenctrl.h", "/* */\n");
    testing::writeFile(root / "boot/xen-4.19.0.gz", "xen\n");
    fs::create_symlink("xen-4.19.0.gz", root / "boot/xen.gz");
    testing::writeFile(root / "etc/xen/xl.conf", "# xl.conf\n");
    fs::create_directories(root / "var/lib/xen/dump"); // empty, as Xen installs it
    const auto staged = stagedIn(dir.path());

    builder::detail::splitInstallRoot(root, kOutputs, kPaths, staged);

    CHECK(testing::readFile(staged.at("out") / "usr/sbin/xl") == "xl\n");
    CHECK(fs::exists(staged.at("out") / "usr/lib/libxenlight.so.4.19"));
    CHECK(fs::exists(staged.at("out") / "etc/xen/xl.conf"));
    CHECK(fs::is_directory(staged.at("out") / "var/lib/xen/dump"));
    CHECK_FALSE(fs::exists(staged.at("out") / "usr/include"));       // moved, parent kept
    CHECK_FALSE(fs::exists(staged.at("out") / "usr/lib/pkgconfig")); // nested in out's usr/lib
    CHECK_FALSE(fs::exists(staged.at("out") / "boot"));
    CHECK(fs::exists(staged.at("dev") / "usr/include/xenctrl.h"));
    CHECK(fs::exists(staged.at("dev") / "usr/lib/pkgconfig/xenlight.pc"));
    CHECK(fs::read_symlink(staged.at("boot") / "boot/xen.gz") == "xen-4.19.0.gz");
    CHECK(fs::is_directory(staged.at("man"))); // nothing installed: an empty output
    CHECK(fs::is_empty(staged.at("man")));
    CHECK_FALSE(fs::exists(root));
}

TEST_CASE("builder::splitInstallRoot refuses what it cannot split", "[builder]") {
    testing::TempDir dir;
    const fs::path root = dir / "install";
    const auto staged = stagedIn(dir.path());
    SECTION("nothing installed") {
        REQUIRE_THROWS_WITH(builder::detail::splitInstallRoot(root, kOutputs, kPaths, staged),
                            "the build installed nothing: '" + root.string() + "' does not exist");
    }
    SECTION("a link on the way to an output's path") {
        testing::writeFile(dir / "elsewhere/pkgconfig/host.pc", "host\n");
        fs::create_directories(root / "usr");
        fs::create_symlink(dir / "elsewhere", root / "usr/lib");
        REQUIRE_THROWS_WITH(builder::detail::splitInstallRoot(root, kOutputs, kPaths, staged),
                            "install: cannot take '/usr/lib/pkgconfig' for the dev output: the "
                            "path its component 'usr/lib' is a symbolic link, which could lead "
                            "out of '" +
                                root.string() + "'");
        CHECK(fs::exists(dir / "elsewhere/pkgconfig/host.pc"));
    }
}

TEST_CASE("builder::checkNoStoreReferences names the files that mention the store", "[builder]") {
    testing::TempDir dir;
    const fs::path store = dir / "store";
    const auto staged = stagedIn(dir.path());
    for (const auto& name : kOutputs)
        fs::create_directories(staged.at(name));
    testing::writeFile(staged.at("out") / "usr/sbin/xl", "#!/bin/sh\nexec /usr/lib/xen/bin/x\n");
    const auto clean = builder::detail::checkNoStoreReferences(staged, kOutputs, store);
    CHECK(clean.kind == "relocatable");
    CHECK(clean.passed);
    CHECK(clean.detail == "none of 1 files mentions the store '" + store.string() + "'");

    SECTION("in a file, also across the chunks it is read in") {
        std::string big(3 << 20, 'x');
        big.replace((1 << 20) - 3, store.string().size() + 1, store.string() + "/");
        testing::writeFile(staged.at("dev") / "usr/lib/libbig.a", big);
        const auto found = builder::detail::checkNoStoreReferences(staged, kOutputs, store);
        CHECK_FALSE(found.passed);
        CHECK(found.detail == "usr/lib/libbig.a (dev) mentions the store '" + store.string() +
                                  "': outputs must hold the target host's paths only (install "
                                  "through DESTDIR with FHS prefixes, never ${outputs.<name>} "
                                  "in configure or make flags)");
    }
    SECTION("in a symbolic link's target") {
        fs::create_directories(staged.at("boot") / "boot");
        fs::create_symlink(store / "abc-xen-boot/boot/xen.gz", staged.at("boot") / "boot/xen.gz");
        const auto found = builder::detail::checkNoStoreReferences(staged, kOutputs, store);
        CHECK_FALSE(found.passed);
        CHECK_THAT(found.detail, Catch::StartsWith("boot/xen.gz (boot) mentions the store"));
    }
    SECTION("the store through a link, resolved") {
        fs::create_directories(dir / "real-store");
        fs::create_symlink(dir / "real-store", dir / "linked-store");
        testing::writeFile(staged.at("out") / "usr/lib/libx.so", (dir / "real-store/x").string());
        const auto found =
            builder::detail::checkNoStoreReferences(staged, kOutputs, dir / "linked-store");
        CHECK_FALSE(found.passed);
        CHECK_THAT(found.detail, Catch::StartsWith("usr/lib/libx.so (out) mentions the store '" +
                                                   (dir / "linked-store").string() + "'"));
    }
    SECTION("the store's name without a path below it is no reference") {
        testing::writeFile(staged.at("man") / "usr/share/man/x.1", store.string() + "-other\n");
        CHECK(builder::detail::checkNoStoreReferences(staged, kOutputs, store).passed);
    }
}
