#pragma once
// A listing of every entry of a tree, walked lexically without following any link: relative
// path -> "d" (directory), "f x|- <sha256>" (regular file: executable bit and content),
// "l <target>" (symbolic link: its target text) or "? <mode>" (anything else). Two trees with
// equal listings are the same tree byte for byte, links included. Also the fixture with every
// tree feature real upstreams have (tests/data/make-link-tree.sh).

#include "support/fixtures.hpp"
#include "support/test_paths.hpp"
#include "xenbuild/util/hash.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

namespace xenbuild::testing {

using TreeListing = std::map<std::string, std::string>;

inline void listTreeInto(const fs::path& root, const fs::path& relative, TreeListing& out) {
    const fs::path dir = relative.empty() ? root : root / relative;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const fs::path member = relative / entry.path().filename();
        struct stat info {};
        if (::lstat(entry.path().c_str(), &info) != 0) {
            throw std::runtime_error("lstat failed: " + entry.path().string());
        }
        std::string line;
        if (S_ISLNK(info.st_mode)) {
            line = "l " + fs::read_symlink(entry.path()).string();
        } else if (S_ISDIR(info.st_mode)) {
            line = "d";
            listTreeInto(root, member, out);
        } else if (S_ISREG(info.st_mode)) {
            line = std::string("f ") + ((info.st_mode & S_IXUSR) != 0 ? "x " : "- ") +
                   xenbuild::util::sha256File(entry.path()).hex();
        } else {
            line = "? " + std::to_string(info.st_mode);
        }
        out[member.generic_string()] = line;
    }
}

inline TreeListing listTree(const fs::path& root) {
    TreeListing listing;
    listTreeInto(root, {}, listing);
    return listing;
}

// Makes the fixture tree at `dir` (which must not exist; its parent must).
inline void makeLinkTree(const fs::path& dir) {
    runOk("sh " +
          shellQuote(std::string(::xenbuild::testing::testDataDir()) + "/make-link-tree.sh") + " " +
          shellQuote(dir.string()));
}

} // namespace xenbuild::testing
