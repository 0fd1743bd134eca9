// The NAR reader: a tree survives dumpNar then restoreNar byte for byte, and hostile NARs (as a
// binary cache could send) are refused without writing outside the destination.

#include "support/fixtures.hpp"
#include "support/tree_listing.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using xenbuild::StoreError;
using xenbuild::store::dumpNar;
using xenbuild::store::narHash;
using xenbuild::store::NarLimits;
using xenbuild::store::restoreNar;
using xenbuild::testing::listTree;
using xenbuild::testing::TempDir;
using xenbuild::testing::writeFile;
namespace fs = std::filesystem;

namespace {

std::string narOf(const fs::path& path) {
    std::string nar;
    dumpNar(path, [&](const void* data, std::size_t length) {
        nar.append(static_cast<const char*>(data), length);
    });
    return nar;
}

// Restores `nar` at `dest`, handing it out in small reads.
xenbuild::util::Hash restore(const std::string& nar, const fs::path& dest,
                             const NarLimits& limits = {}) {
    std::size_t offset = 0;
    return restoreNar(
        [&](void* data, std::size_t length) {
            const std::size_t n = std::min({length, nar.size() - offset, std::size_t{1000}});
            std::memcpy(data, nar.data() + offset, n);
            offset += n;
            return n;
        },
        dest, "test.nar", limits);
}

// NAR framing, to build hostile archives by hand.
std::string str(const std::string& text) {
    std::string out(8, '\0');
    const auto length = static_cast<std::uint64_t>(text.size());
    for (std::size_t i = 0; i < 8; ++i)
        out[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
    out += text;
    out.append((8 - text.size() % 8) % 8, '\0');
    return out;
}

std::string file(const std::string& contents) {
    return str("(") + str("type") + str("regular") + str("contents") + str(contents) + str(")");
}

std::string entry(const std::string& name, const std::string& node) {
    return str("entry") + str("(") + str("name") + str(name) + str("node") + node + str(")");
}

std::string directory(const std::vector<std::string>& entries) {
    std::string out = str("(") + str("type") + str("directory");
    for (const auto& item : entries)
        out += item;
    return out + str(")");
}

std::string archive(const std::string& root) {
    return str("nix-archive-1") + root;
}

} // namespace

TEST_CASE("restoreNar: a tree comes back identical, with its hash", "[store][nar]") {
    TempDir dir;
    const fs::path tree = dir / "tree";
    writeFile(tree / "a.txt", "alpha\n");
    writeFile(tree / "bin" / "run.sh", "#!/bin/sh\n", true);
    writeFile(tree / "empty", "");
    writeFile(tree / "pad7", "1234567");
    fs::create_directories(tree / "emptydir");
    fs::create_symlink("a.txt", tree / "link");
    fs::create_symlink("/etc/passwd", tree / "absolute");
    std::string big(600 * 1024 + 3, '\0');
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>((i * 7919) % 251);
    writeFile(tree / "big.bin", big);

    const auto hash = restore(narOf(tree), dir / "copy");
    CHECK(hash == narHash(tree));
    CHECK(narHash(dir / "copy") == narHash(tree));
    CHECK(listTree(dir / "copy") == listTree(tree));

    writeFile(dir / "single", "just a file\n", true);
    CHECK(restore(narOf(dir / "single"), dir / "single-copy") == narHash(dir / "single"));
    CHECK(narHash(dir / "single-copy") == narHash(dir / "single"));
}

TEST_CASE("restoreNar: hostile archives are refused and nothing is written outside",
          "[store][nar]") {
    TempDir dir;
    const fs::path dest = dir / "out";
    auto refused = [&](const std::string& nar, const std::string& problem) {
        INFO(problem);
        CHECK_THROWS_WITH(restore(nar, dest), Catch::Contains(problem));
        // Only the destination may have been touched.
        for (const auto& item : fs::directory_iterator(dir.path()))
            CHECK(item.path() == dest);
        xenbuild::util::removeReadOnly(dest);
    };
    refused(archive(directory({entry("..", file("x"))})), "invalid entry name '..'");
    refused(archive(directory({entry(".", file("x"))})), "invalid entry name '.'");
    refused(archive(directory({entry("a/../../escape", file("x"))})), "invalid entry name");
    refused(archive(directory({entry("", file("x"))})), "invalid entry name");
    refused(archive(directory({entry(std::string("a\0b", 3), file("x"))})), "invalid entry name");
    refused(archive(directory({entry("b", file("x")), entry("a", file("y"))})),
            "entries not sorted or repeated");
    refused(archive(directory({entry("a", file("x")), entry("a", file("y"))})),
            "entries not sorted or repeated");
    // A symlink, then an entry trying to write through it: the name is refused first.
    refused(archive(directory({entry("l", str("(") + str("type") + str("symlink") + str("target") +
                                              str("/tmp") + str(")")),
                               entry("l/x", file("x"))})),
            "invalid entry name");
    refused("nix-archive-1", "is too long"); // no length prefix
    refused(str("nix-archive-2") + file("x"), "expected 'nix-archive-1'");
    refused(archive(file("x")) + "trailing", "data after the end of the archive");
    refused(archive(file("hello")).substr(0, 60), "truncated");
    refused(archive(str("(") + str("type") + str("fifo") + str(")")), "unknown node type");

    std::string badPadding = archive(file("x"));
    badPadding[str("nix-archive-1").size() + str("(").size() + str("type").size() +
               str("regular").size() + str("contents").size() + 8 + 1] = 'Z';
    refused(badPadding, "non-zero padding");

    std::string hugeLength = archive(file("x"));
    const std::size_t at = str("nix-archive-1").size() + str("(").size() + str("type").size() +
                           str("regular").size() + str("contents").size();
    for (std::size_t i = 0; i < 8; ++i)
        hugeLength[at + i] = '\xff';
    refused(hugeLength, "a file larger than the limit");

    NarLimits limits;
    limits.depth = 3;
    std::string deep = file("x");
    for (int i = 0; i < 5; ++i)
        deep = directory({entry("d", deep)});
    CHECK_THROWS_WITH(restore(archive(deep), dest, limits), Catch::Contains("nested too deeply"));
    xenbuild::util::removeReadOnly(dest);

    limits = {};
    limits.bytes = 100;
    CHECK_THROWS_WITH(restore(archive(file(std::string(200, 'x'))), dest, limits),
                      Catch::Contains("larger than the limit"));
    xenbuild::util::removeReadOnly(dest);
    limits = {};
    limits.entries = 2;
    CHECK_THROWS_WITH(
        restore(archive(directory({entry("a", file("1")), entry("b", file("2"))})), dest, limits),
        Catch::Contains("more than 2 entries"));
}
