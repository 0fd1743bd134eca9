#pragma once
// Checks that a staged tree, or a tarball packed from one, is its source exactly: the listing
// of every entry (support/tree_listing.hpp), the NAR hash, and `diff -r --no-dereference`.

#include "support/fixtures.hpp"
#include "support/tree_listing.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/hash.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xenbuild::testing {

inline void requireSameTree(const fs::path& source, const fs::path& staged) {
    const auto expected = listTree(source);
    REQUIRE(listTree(staged) == expected);
    REQUIRE(xenbuild::store::narHash(staged).sri() == xenbuild::store::narHash(source).sri());
    // And by an independent tool, links compared as links.
    const auto diff =
        run("diff -r --no-dereference " + shellQuote(source) + " " + shellQuote(staged) + " 2>&1");
    INFO(diff.output);
    REQUIRE(diff.status == 0);
}

struct TarMember {
    std::string type; // "d", "f", "l" or "?"
    unsigned perm = 0;
    std::string link;
    std::string sha; // regular files: sha256 of the content
    std::int64_t uid = -1, gid = -1, mtime = -1;
};

// Every member of a tar.gz, in archive order, read with libarchive.
inline std::vector<std::pair<std::string, TarMember>> readTarball(const fs::path& file) {
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                             &archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_all(a.get());
    REQUIRE(archive_read_open_filename(a.get(), file.c_str(), 65536) == ARCHIVE_OK);
    std::vector<std::pair<std::string, TarMember>> members;
    archive_entry* entry = nullptr;
    while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
        TarMember member;
        const auto type = archive_entry_filetype(entry);
        member.type = type == AE_IFDIR   ? "d"
                      : type == AE_IFLNK ? "l"
                      : type == AE_IFREG ? "f"
                                         : "?";
        member.perm = static_cast<unsigned>(archive_entry_perm(entry));
        if (type == AE_IFLNK) member.link = archive_entry_symlink(entry);
        member.uid = archive_entry_uid(entry);
        member.gid = archive_entry_gid(entry);
        member.mtime = archive_entry_mtime(entry);
        xenbuild::util::Sha256 hasher;
        const void* block = nullptr;
        std::size_t size = 0;
        la_int64_t offset = 0;
        while (archive_read_data_block(a.get(), &block, &size, &offset) == ARCHIVE_OK)
            hasher.update(block, size);
        if (type == AE_IFREG) member.sha = hasher.finish().hex();
        members.emplace_back(archive_entry_pathname(entry), member);
    }
    return members;
}

// Requires the tarball `file` (writeTarball with `prefix` and `mtime`) to hold exactly the tree
// at `source`: one member per entry, sorted, links as symlink members with their target text,
// files with their content and 0755/0644 by their executable bit, directories 0755, owner 0:0.
inline std::vector<std::pair<std::string, TarMember>> requireTarballOf(const fs::path& file,
                                                                       const std::string& prefix,
                                                                       const fs::path& source,
                                                                       std::int64_t mtime) {
    const auto members = readTarball(file);
    const auto listing = listTree(source);
    REQUIRE(members.size() == listing.size());
    std::vector<std::string> names;
    for (const auto& [name, member] : members) {
        INFO(name);
        REQUIRE(name.rfind(prefix + "/", 0) == 0);
        std::string relative = name.substr(prefix.size() + 1);
        if (member.type == "d" && relative.ends_with('/')) relative.pop_back();
        names.push_back(relative);
        REQUIRE(listing.count(relative) == 1);
        const std::string& line = listing.at(relative);
        REQUIRE(member.uid == 0);
        REQUIRE(member.gid == 0);
        REQUIRE(member.mtime == mtime);
        if (member.type == "l") {
            REQUIRE(line == "l " + member.link);
            REQUIRE(member.perm == 0777);
        } else if (member.type == "d") {
            REQUIRE(line == "d");
            REQUIRE(member.perm == 0755);
        } else {
            REQUIRE(member.type == "f");
            REQUIRE(line == std::string("f ") + (member.perm == 0755 ? "x " : "- ") + member.sha);
            REQUIRE((member.perm == 0755 || member.perm == 0644));
        }
    }
    REQUIRE(std::is_sorted(names.begin(), names.end(),
                           [](const auto& a, const auto& b) { return fs::path(a) < fs::path(b); }));
    return members;
}

} // namespace xenbuild::testing
