#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include <sys/stat.h>

using xenbuild::SystemError;
using xenbuild::util::ReadLimits;
using xenbuild::util::readRegularFile;
namespace fs = std::filesystem;

namespace {

void writeBytes(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

} // namespace

TEST_CASE("util::readRegularFile reads a regular file whole, through links", "[util][file]") {
    xenbuild::testing::TempDir dir;
    writeBytes(dir / "a.json", std::string("{\0}\n", 4));
    CHECK(readRegularFile(dir / "a.json", {}) == std::string("{\0}\n", 4));
    fs::create_symlink("a.json", dir / "link.json");
    CHECK(readRegularFile(dir / "link.json", {"recipe file", 4}) == std::string("{\0}\n", 4));
    writeBytes(dir / "empty", "");
    CHECK(readRegularFile(dir / "empty", {}).empty());
}

TEST_CASE("util::readRegularFile refuses what is not a regular file, without blocking",
          "[util][file]") {
    xenbuild::testing::TempDir dir;
    const std::string base = dir.path().string();
    SECTION("missing") {
        REQUIRE_THROWS_MATCHES(readRegularFile(dir / "no.json", {"recipe file"}), SystemError,
                               Catch::Message("cannot read recipe file '" + base +
                                              "/no.json': No such file or directory"));
    }
    SECTION("a directory") {
        fs::create_directory(dir / "X.json");
        REQUIRE_THROWS_WITH(readRegularFile(dir / "X.json", {"recipe file"}),
                            "recipe file '" + base + "/X.json' is a directory, not a file");
    }
    SECTION("a FIFO: never opened, so nothing blocks") {
        REQUIRE(::mkfifo((dir / "fifo.json").c_str(), 0600) == 0);
        REQUIRE_THROWS_WITH(readRegularFile(dir / "fifo.json", {"advisory"}),
                            "advisory '" + base +
                                "/fifo.json' is a FIFO (named pipe), not a regular file");
    }
    SECTION("a link to /dev/zero: never read") {
        fs::create_symlink("/dev/zero", dir / "zero.json");
        REQUIRE_THROWS_WITH(readRegularFile(dir / "zero.json", {"recipe file"}),
                            "recipe file '" + base +
                                "/zero.json' (a symbolic link to '/dev/zero') is a character "
                                "device, not a regular file");
    }
    SECTION("a link, when links are refused") {
        writeBytes(dir / "real.patch", "x");
        fs::create_symlink("real.patch", dir / "0001.patch");
        REQUIRE_THROWS_WITH(
            readRegularFile(dir / "0001.patch",
                            {.what = "local patch", .maxBytes = 100, .followSymlinks = false}),
            "local patch '" + base +
                "/0001.patch' is a symbolic link, not a regular file (links are "
                "not followed here)");
    }
    SECTION("a link loop, naming the path that loops") {
        fs::create_symlink("loop", dir / "loop");
        REQUIRE_THROWS_WITH(readRegularFile(dir / "loop" / "x.json", {"recipe file"}),
                            "cannot read recipe file '" + base +
                                "/loop/x.json': symbolic link loop at '" + base + "/loop'");
    }
}

TEST_CASE("util::readRegularFile refuses files over the limit", "[util][file]") {
    xenbuild::testing::TempDir dir;
    writeBytes(dir / "big", std::string(17, 'x'));
    REQUIRE_THROWS_WITH(readRegularFile(dir / "big", {"advisory", 16}),
                        "advisory '" + dir.path().string() +
                            "/big' is larger than the limit of 16 bytes");
    CHECK(readRegularFile(dir / "big", {"advisory", 17}).size() == 17);
    CHECK(xenbuild::util::formatSize(16 * xenbuild::util::kMiB) == "16 MiB");
}
