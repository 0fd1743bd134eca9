#include "xenbuild/util/archive.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/hash.hpp"

#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

using namespace xenbuild;
using Type = util::ArchiveMember::Type;
using Format = util::ArchiveWriter::Format;
namespace fs = std::filesystem;

namespace {

struct Read {
    util::ArchiveMember member;
    std::string content;
};

std::vector<Read> readAll(const fs::path& file) {
    util::ArchiveReader reader(file);
    std::vector<Read> out;
    while (auto member = reader.next()) {
        Read read{*member, {}};
        while (auto block = reader.readBlock()) {
            read.content.resize(
                std::max<std::size_t>(read.content.size(), block->offset + block->size));
            read.content.replace(block->offset, block->size, block->data, block->size);
        }
        out.push_back(std::move(read));
    }
    return out;
}

// A sample written in the caller's order, one member of each kind, a file from a descriptor.
void writeSample(const fs::path& output, Format format, const fs::path& source) {
    const util::Fd out(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(out.valid());
    util::ArchiveWriter writer(out.get(), format, output.string(), 1700000000);
    writer.addDirectory("pkg", 0755);
    writer.addFile("pkg/README", 0644, "hello\n");
    const util::Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    writer.addFile("pkg/run", 0755, in.get(), fs::file_size(source), source);
    writer.addSymlink("pkg/link", "README");
    writer.finish();
}

} // namespace

TEST_CASE("util::ArchiveWriter writes what util::ArchiveReader reads back", "[util][archive]") {
    testing::TempDir dir;
    xenbuild::testing::writeFile(dir / "run", std::string(100000, 'r'));
    for (const auto format : {Format::TarGz, Format::CpioGz, Format::TarZst}) {
        const bool tar = format != Format::CpioGz;
        const fs::path file = dir / (format == Format::TarGz    ? "a.tar.gz"
                                     : format == Format::TarZst ? "a.tar.zst"
                                                                : "a.cpio.gz");
        writeSample(file, format, dir / "run");
        const auto members = readAll(file);
        REQUIRE(members.size() == 4);
        CHECK(members[0].member.path == (tar ? "pkg/" : "pkg")); // tar's way
        CHECK(members[0].member.type == Type::Directory);
        CHECK(members[0].member.perm == 0755);
        CHECK(members[1].member.path == "pkg/README");
        CHECK(members[1].member.type == Type::Regular);
        CHECK(members[1].member.perm == 0644);
        CHECK(members[1].member.size == 6);
        CHECK(members[1].content == "hello\n");
        CHECK(members[2].member.path == "pkg/run");
        CHECK(members[2].member.perm == 0755);
        CHECK(members[2].content == std::string(100000, 'r'));
        CHECK(members[3].member.path == "pkg/link");
        CHECK(members[3].member.type == Type::Symlink);
        CHECK(members[3].member.symlinkTarget == "README");
        for (const auto& read : members) {
            CHECK(read.member.uid == 0);
            CHECK(read.member.gid == 0);
            CHECK(read.member.mtime == 1700000000);
            CHECK_FALSE(read.member.hardLinkTo);
        }
    }
}

TEST_CASE("util::ArchiveWriter is reproducible", "[util][archive]") {
    testing::TempDir dir;
    xenbuild::testing::writeFile(dir / "run", "#!/bin/sh\n");
    for (const auto format : {Format::TarGz, Format::CpioGz, Format::TarZst}) {
        writeSample(dir / "a.gz", format, dir / "run");
        fs::last_write_time(dir / "run", fs::file_time_type::clock::now() - std::chrono::hours(5));
        writeSample(dir / "b.gz", format, dir / "run");
        const std::string a = util::readFile(dir / "a.gz");
        CHECK(a == util::readFile(dir / "b.gz"));
        REQUIRE(a.size() > 10);
        if (format == Format::TarZst) {
            CHECK(a.substr(0, 4) == "\x28\xb5\x2f\xfd"); // a zstd frame
        } else {
            CHECK(a.substr(4, 4) == std::string(4, '\0')); // no gzip timestamp
        }
    }
}

TEST_CASE("util::ArchiveReader reads hard links and what tar(1) wrote", "[util][archive]") {
    testing::TempDir dir;
    xenbuild::testing::writeFile(dir / "src" / "a", "data");
    xenbuild::testing::runOk("cd " + xenbuild::testing::shellQuote((dir / "src").string()) +
                             " && ln a b && tar -czf ../t.tar.gz a b");
    const auto members = readAll(dir / "t.tar.gz");
    REQUIRE(members.size() == 2);
    CHECK(members[0].content == "data");
    CHECK(members[1].member.path == "b");
    CHECK(members[1].member.hardLinkTo == std::optional<std::string>("a"));
}

TEST_CASE("util::ArchiveReader names the archive it cannot read", "[util][archive]") {
    testing::TempDir dir;
    SECTION("not an archive") {
        xenbuild::testing::writeFile(dir / "bad.tar.gz", "this is not an archive");
        REQUIRE_THROWS_MATCHES(util::ArchiveReader(dir / "bad.tar.gz", "https://example/x.tgz"),
                               ArchiveError,
                               Catch::Message("cannot open archive 'https://example/x.tgz': "
                                              "Unrecognized archive format"));
    }
    SECTION("missing, named by its path without a label") {
        const std::string path = (dir / "missing.tar").string();
        REQUIRE_THROWS_MATCHES(
            util::ArchiveReader(dir / "missing.tar"), ArchiveError,
            Catch::Message("cannot open archive '" + path + "': Failed to open '" + path + "'"));
    }
    SECTION("cut short in a member's data") {
        xenbuild::testing::writeFile(dir / "src" / "big", std::string(200000, 'b'));
        xenbuild::testing::runOk("cd " + xenbuild::testing::shellQuote((dir / "src").string()) +
                                 " && tar -cf ../t.tar big && head -c 20000 ../t.tar > ../cut.tar");
        auto readCut = [&] {
            util::ArchiveReader reader(dir / "cut.tar", "cut");
            REQUIRE(reader.next());
            while (reader.readBlock()) {
            }
        };
        REQUIRE_THROWS_AS(readCut(), ArchiveError);
        REQUIRE_THROWS_WITH(readCut(), Catch::StartsWith("cannot read entry 'big' of 'cut': "));
    }
}

TEST_CASE("util::ArchiveWriter names what it could not write", "[util][archive]") {
    testing::TempDir dir;
    SECTION("a source that cannot be read") {
        const util::Fd out(
            ::open((dir / "a.tar.gz").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        util::ArchiveWriter writer(out.get(), Format::TarGz, "a.tar.gz");
        const util::Fd source(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        REQUIRE_THROWS_MATCHES(
            writer.addFile("x", 0644, source.get(), 1, dir.path()), SystemError,
            Catch::Message("cannot read '" + dir.path().string() + "': Is a directory"));
    }
    SECTION("an output that cannot be written") {
        xenbuild::testing::writeFile(dir / "ro", "");
        const util::Fd out(::open((dir / "ro").c_str(), O_RDONLY | O_CLOEXEC));
        auto write = [&] {
            util::ArchiveWriter writer(out.get(), Format::CpioGz, "initramfs");
            writer.addFile("init", 0755, std::string(300000, 'i'));
            writer.finish();
        };
        REQUIRE_THROWS_AS(write(), ArchiveError);
        REQUIRE_THROWS_WITH(write(), Catch::StartsWith("cannot write archive 'initramfs'"));
    }
}

TEST_CASE("util::gunzipFile decompresses a gzip file", "[util][archive]") {
    testing::TempDir dir;
    xenbuild::testing::writeFile(dir / "xen", std::string(70000, 'x') + "Xen 4.19.1\n");
    xenbuild::testing::runOk("gzip -k " + xenbuild::testing::shellQuote((dir / "xen").string()));
    CHECK(util::gunzipFile(dir / "xen.gz") == util::readFile(dir / "xen"));
    // Cut short: the gzip header is right, the stream ends early.
    fs::copy_file(dir / "xen.gz", dir / "bad.gz");
    fs::resize_file(dir / "bad.gz", 20);
    REQUIRE_THROWS_AS(util::gunzipFile(dir / "bad.gz"), ArchiveError);
    REQUIRE_THROWS_WITH(
        util::gunzipFile(dir / "bad.gz"),
        Catch::StartsWith("cannot decompress '" + (dir / "bad.gz").string() + "': "));
}
