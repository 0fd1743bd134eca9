#include "support/fixtures.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

using xenbuild::store::narHash;
using xenbuild::testing::TempDir;
using xenbuild::testing::writeFile;
namespace fs = std::filesystem;

namespace {

void makeOddTree(const fs::path& root) {
    writeFile(root / "a.txt", "alpha\n");
    writeFile(root / "empty", "");
    writeFile(root / "bin" / "run.sh", "#!/bin/sh\necho hi\n", true);
    writeFile(root / "nested" / "deeper" / "deepest" / "leaf", "leaf\n");
    fs::create_directories(root / "emptydir");
    fs::create_directories(root / "nested" / "empty-inside");
    writeFile(root / "with space", "space\n");
    writeFile(root / "unicode-\xc3\xa9\xe2\x82\xac", "unicode\n");
    writeFile(root / "new\nline", "newline\n");
    writeFile(root / "B-upper", "sorted before lower-case\n");
    writeFile(root / "_under", "sorted between\n");
    fs::create_symlink("a.txt", root / "link-to-file");
    fs::create_symlink("nested/deeper", root / "link-to-dir");
    fs::create_symlink("does/not/exist", root / "dangling");
    fs::create_symlink("/etc/passwd", root / "absolute");
    std::string big(3 * 1024 * 1024 + 7, '\0');
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>((i * 7919) % 251);
    writeFile(root / "big.bin", big);
    writeFile(root / "pad7", "1234567");
    writeFile(root / "pad8", "12345678");
}

} // namespace

TEST_CASE("store::narHash agrees with nix-hash on generated trees", "[store][nar]") {
    TempDir dir;
    const fs::path root = dir / "tree";
    makeOddTree(root);
    CHECK(narHash(root).hex() == xenbuild::testing::nixHash(root));
    SECTION("a single regular file") {
        CHECK(narHash(root / "a.txt").hex() == xenbuild::testing::nixHash(root / "a.txt"));
    }
    SECTION("an executable file") {
        CHECK(narHash(root / "bin" / "run.sh").hex() ==
              xenbuild::testing::nixHash(root / "bin" / "run.sh"));
    }
    SECTION("an empty directory") {
        CHECK(narHash(root / "emptydir").hex() == xenbuild::testing::nixHash(root / "emptydir"));
    }
    SECTION("the executable bit changes the hash") {
        const auto before = narHash(root);
        fs::permissions(root / "a.txt", fs::perms(0755));
        CHECK(narHash(root) != before);
        CHECK(narHash(root).hex() == xenbuild::testing::nixHash(root));
    }
}

TEST_CASE("store::narHash matches the Nix manual vector", "[store][nar]") {
    // A directory holding `world` = "hello\n" (the NAR example of the Nix manual); the expected
    // value was computed once with `nix-hash --type sha256` and is kept as a fixed vector.
    TempDir dir;
    writeFile(dir / "hello" / "world", "hello\n");
    const auto hash = narHash(dir / "hello");
    CHECK(hash.hex() == xenbuild::testing::nixHash(dir / "hello"));
    CHECK(hash.hex() == "8f0cc90ca175c067cebf9f54ab79573fb6b699009ae4e72562e31c60748d6d07");
}

TEST_CASE("store::narHash refuses fifos and sockets, naming the path", "[store][nar]") {
    TempDir dir;
    writeFile(dir / "tree" / "ok", "ok\n");
    SECTION("fifo") {
        REQUIRE(::mkfifo((dir / "tree" / "pipe").c_str(), 0644) == 0);
        REQUIRE_THROWS_AS(narHash(dir / "tree"), xenbuild::StoreError);
        REQUIRE_THROWS_WITH(narHash(dir / "tree"),
                            Catch::Contains("tree/pipe'") && Catch::Contains("fifo, socket"));
    }
    SECTION("socket") {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const std::string path = (dir / "tree" / "sock").string();
        REQUIRE(path.size() < sizeof address.sun_path);
        path.copy(address.sun_path, path.size());
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        ::close(fd);
        REQUIRE_THROWS_WITH(narHash(dir / "tree"), Catch::Contains("tree/sock'"));
    }
}

TEST_CASE("store::narHash names a missing path", "[store][nar]") {
    REQUIRE_THROWS_WITH(narHash("/nonexistent/xb"), Catch::Contains("'/nonexistent/xb'"));
}
