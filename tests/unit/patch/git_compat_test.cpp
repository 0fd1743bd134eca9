// Applies a patch made by `git format-patch` (real git, run at test time) and requires the tree
// git committed: contents, deletions, renames and modes.

#include "xenbuild/patch/apply.hpp"

#include "unit/patch/patch_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>

using namespace xenbuild::patch;
using xenbuild::testing::numberedLines;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;

namespace {

void git(const TempDir& repo, const std::string& args) {
    const std::string command =
        "cd '" + repo.path().string() +
        "' && export PATH=/usr/bin:/bin HOME=/nonexistent GIT_CONFIG_NOSYSTEM=1 "
        "GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t "
        "GIT_COMMITTER_EMAIL=t@example.org && " +
        "(" + args + ") >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
}

// Relative path -> (mode, content) of every file outside .git.
std::map<std::string, std::pair<unsigned, std::string>> snapshot(const TempDir& tree) {
    std::map<std::string, std::pair<unsigned, std::string>> files;
    for (auto it = fs::recursive_directory_iterator(tree.path());
         it != fs::recursive_directory_iterator(); ++it) {
        const std::string rel = fs::relative(it->path(), tree.path()).string();
        if (rel == ".git") {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file()) files[rel] = {tree.mode(rel), tree.read(rel)};
    }
    return files;
}

void writeOriginal(const TempDir& tree) {
    tree.write("xen/common/sched.c", numberedLines(1, 80));
    tree.write("xen/old.c", "old\n");
    tree.write("tools/move me.c", numberedLines(1, 30, "moved "));
    tree.write("tools/run.sh", "#!/bin/sh\n");
    tree.write("win/build.bat", "@echo off\r\nset A=1\r\nset B=2\r\n");
    tree.write("docs/tail.txt", "first\nlast");
}

void change(const TempDir& tree) {
    std::string sched = numberedLines(1, 80);
    sched.replace(sched.find("line 10\n"), 8, "LINE 10\n");
    sched.replace(sched.find("line 60\n"), 8, "line 60\nadded after 60\n");
    tree.write("xen/common/sched.c", sched);
    fs::remove(tree / "xen/old.c");
    tree.write("tools/new.sh", "#!/bin/sh\necho new\n");
    fs::permissions(tree / "tools/new.sh", fs::perms(0755));
    fs::remove(tree / "tools/move me.c");
    std::string moved = numberedLines(1, 30, "moved ");
    moved.replace(moved.find("moved 15\n"), 9, "moved fifteen\n");
    tree.write("tools/moved.c", moved);
    fs::permissions(tree / "tools/run.sh", fs::perms(0755));
    tree.write("win/build.bat", "@echo off\r\nset A=2\r\nset B=2\r\n");
    tree.write("docs/tail.txt", "first\nlast\nmore");
}

} // namespace

TEST_CASE("patch::applyPatch reproduces a git format-patch commit", "[patch][git]") {
    TempDir repo;
    TempDir copy;
    writeOriginal(repo);
    writeOriginal(copy);
    for (const auto& rel : {"xen/common/sched.c", "xen/old.c", "tools/move me.c", "tools/run.sh",
                            "win/build.bat", "docs/tail.txt"}) {
        fs::permissions(repo / rel, fs::perms(0644));
        fs::permissions(copy / rel, fs::perms(0644));
    }
    git(repo, "git init -q . && git add -A && git commit -qm base");
    change(repo);
    TempDir out;
    git(repo, "git add -A && git commit -qm change && git format-patch -M -1 --stdout > '" +
                  (out / "change.patch").string() + "'");
    const Patch patch = readPatch(out / "change.patch");

    const PatchReport report = applyPatch(patch, copy.path(), ApplyOptions{});
    CHECK(report.summary() == "clean");
    CHECK(snapshot(copy) == snapshot(repo));
    CHECK(applyPatch(patch, copy.path(), ApplyOptions{}).summary() == "already applied");
}
