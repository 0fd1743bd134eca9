#include "xenbuild/patch/apply.hpp"

#include "unit/patch/patch_fixture.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace xenbuild::patch;
using xenbuild::testing::numberedLines;
using xenbuild::testing::TempDir;

namespace {

// Replaces "line 5" by "LINE 5" in a 10-line file: 3 lines of context each side.
const std::string kLine5Patch = "--- a/xen/foo.c\n"
                                "+++ b/xen/foo.c\n"
                                "@@ -2,7 +2,7 @@\n"
                                " line 2\n"
                                " line 3\n"
                                " line 4\n"
                                "-line 5\n"
                                "+LINE 5\n"
                                " line 6\n"
                                " line 7\n"
                                " line 8\n";

std::string with5Replaced(const std::string& text) {
    std::string out = text;
    out.replace(out.find("line 5\n"), 6, "LINE 5");
    return out;
}

PatchReport applyText(const TempDir& tree, const std::string& text, unsigned fuzz = 0,
                      bool dryRun = false) {
    return applyPatch(parsePatch(text, "test.patch"), tree.path(),
                      ApplyOptions{.fuzz = fuzz, .dryRun = dryRun});
}

} // namespace

TEST_CASE("patch::applyPatch applies a clean patch", "[patch][apply]") {
    TempDir tree;
    tree.write("xen/foo.c", numberedLines(1, 10));
    const PatchReport report = applyText(tree, kLine5Patch);
    CHECK(report.status == PatchStatus::Clean);
    CHECK(report.summary() == "clean");
    REQUIRE(report.files.size() == 1);
    CHECK(report.files[0].path == "xen/foo.c");
    CHECK(report.files[0].hunks.at(0).header == "@@ -2,7 +2,7 @@");
    CHECK(tree.read("xen/foo.c") == with5Replaced(numberedLines(1, 10)));
}

TEST_CASE("patch::applyPatch finds moved code at an offset", "[patch][apply]") {
    TempDir tree;
    const std::string original = "extra a\nextra b\nextra c\n" + numberedLines(1, 10);
    tree.write("xen/foo.c", original);
    const PatchReport report = applyText(tree, kLine5Patch);
    CHECK(report.status == PatchStatus::Offset);
    CHECK(report.files.at(0).hunks.at(0).offset == 3);
    CHECK(report.summary() == "offset +3");
    CHECK(tree.read("xen/foo.c") == with5Replaced(original));

    SECTION("and before the expected line") {
        TempDir shorter;
        shorter.write("xen/foo.c", numberedLines(2, 10));
        const PatchReport r = applyText(shorter, kLine5Patch);
        CHECK(r.summary() == "offset -1");
    }
}

TEST_CASE("patch::applyPatch uses fuzz only within the allowance", "[patch][apply]") {
    TempDir tree;
    // The first context line differs: fuzz 1 ignores it.
    std::string original = numberedLines(1, 10);
    original.replace(original.find("line 2\n"), 6, "line two");
    tree.write("xen/foo.c", original);

    SECTION("within the allowance") {
        const PatchReport report = applyText(tree, kLine5Patch, 1);
        CHECK(report.status == PatchStatus::Fuzz);
        CHECK(report.summary() == "fuzz 1");
        CHECK(report.files.at(0).hunks.at(0).fuzz == 1);
        // Context lines keep the file's text.
        CHECK(tree.read("xen/foo.c") == with5Replaced(original));
    }
    SECTION("beyond the allowance: failed, tree untouched") {
        const PatchReport report = applyText(tree, kLine5Patch, 0);
        CHECK(report.status == PatchStatus::Failed);
        CHECK(report.summary() ==
              "failed: hunk #1 of 'xen/foo.c' does not match (@@ -2,7 +2,7 @@)");
        CHECK(tree.read("xen/foo.c") == original);
    }
    SECTION("a changed line next to the change needs more fuzz than allowed") {
        TempDir near;
        std::string text = numberedLines(1, 10);
        text.replace(text.find("line 4\n"), 6, "line four");
        near.write("xen/foo.c", text);
        const PatchReport report = applyText(near, kLine5Patch, 2);
        CHECK(report.summary() ==
              "failed: hunk #1 of 'xen/foo.c' does not match (@@ -2,7 +2,7 @@) even with fuzz 2");
        CHECK(near.read("xen/foo.c") == text);
    }
}

TEST_CASE("patch::applyPatch reports an already applied patch", "[patch][apply]") {
    TempDir tree;
    tree.write("xen/foo.c", numberedLines(1, 10));
    REQUIRE(applyText(tree, kLine5Patch).status == PatchStatus::Clean);
    const std::string once = tree.read("xen/foo.c");
    const PatchReport again = applyText(tree, kLine5Patch);
    CHECK(again.status == PatchStatus::AlreadyApplied);
    CHECK(again.summary() == "already applied");
    CHECK(tree.read("xen/foo.c") == once);
}

TEST_CASE("patch::applyPatch is atomic: a failing hunk leaves every file untouched",
          "[patch][apply]") {
    TempDir tree;
    tree.write("xen/a.c", numberedLines(1, 10));
    tree.write("xen/foo.c", numberedLines(1, 20));
    const std::string text = "--- a/xen/a.c\n+++ b/xen/a.c\n@@ -1,2 +1,2 @@\n-line 1\n+LINE 1\n"
                             " line 2\n" +
                             kLine5Patch +
                             "@@ -14,3 +14,3 @@\n"
                             " line 14\n"
                             "-line 15 is not there\n"
                             "+line 15\n"
                             " line 16\n";
    const PatchReport report = applyText(tree, text);
    CHECK(report.status == PatchStatus::Failed);
    CHECK(report.message == "hunk #2 of 'xen/foo.c' does not match (@@ -14,3 +14,3 @@)");
    CHECK(tree.read("xen/a.c") == numberedLines(1, 10));
    CHECK(tree.read("xen/foo.c") == numberedLines(1, 20));
    // No temporary file was left behind.
    CHECK(std::distance(std::filesystem::directory_iterator(tree / "xen"),
                        std::filesystem::directory_iterator()) == 2);
}

TEST_CASE("patch::applyPatch with dryRun writes nothing", "[patch][apply]") {
    TempDir tree;
    tree.write("xen/foo.c", numberedLines(1, 10));
    const PatchReport report = applyText(tree, kLine5Patch, 0, true);
    CHECK(report.status == PatchStatus::Clean);
    CHECK(tree.read("xen/foo.c") == numberedLines(1, 10));
}

TEST_CASE("patch::applyPatch creates a file from a plain diff without /dev/null",
          "[patch][apply]") {
    TempDir tree;
    const std::string text = "--- a/docs/new.txt\n+++ b/docs/new.txt\n@@ -0,0 +1,2 @@\n+one\n"
                             "+two\n";
    CHECK(applyText(tree, text).summary() == "clean");
    CHECK(tree.read("docs/new.txt") == "one\ntwo\n");
    CHECK(applyText(tree, text).summary() == "already applied");
}

TEST_CASE("patch::applyPatch reports missing and existing files", "[patch][apply]") {
    TempDir tree;
    CHECK(applyText(tree, kLine5Patch).summary() == "failed: file 'xen/foo.c' does not exist");
    tree.write("new.txt", "already here\n");
    CHECK(applyText(tree, "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n").summary() ==
          "failed: file 'new.txt' to be created already exists");
}

TEST_CASE("patch::applyPatch refuses paths escaping the tree", "[patch][apply]") {
    TempDir outside;
    outside.write("victim.c", numberedLines(1, 10));
    TempDir tree;
    const std::string body = "@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+LINE 5\n"
                             " line 6\n line 7\n line 8\n";
    SECTION("..") {
        const std::string rel = "../" + outside.path().filename().string() + "/victim.c";
        REQUIRE_THROWS_WITH(applyText(tree, "--- a/" + rel + "\n+++ b/" + rel + "\n" + body),
                            "refusing path '" + rel + "': '..' would leave the project tree");
    }
    SECTION("absolute") {
        const std::string abs = (outside / "victim.c").string();
        REQUIRE_THROWS_WITH(applyText(tree, "--- a/" + abs + "\n+++ b/" + abs + "\n" + body),
                            "refusing absolute path '" + abs +
                                "': patch paths must be relative to the project tree");
    }
    SECTION("through a symbolic link") {
        std::filesystem::create_directory_symlink(outside.path(), tree / "link");
        REQUIRE_THROWS_WITH(applyText(tree, "--- a/link/victim.c\n+++ b/link/victim.c\n" + body),
                            "refusing path 'link/victim.c': symbolic link 'link' leads outside "
                            "the project tree");
    }
    SECTION("to a file that is a symbolic link") {
        std::filesystem::create_symlink(outside / "victim.c", tree / "victim.c");
        REQUIRE_THROWS_WITH(applyText(tree, "--- a/victim.c\n+++ b/victim.c\n" + body),
                            "refusing path 'victim.c': symbolic link 'victim.c' leads outside "
                            "the project tree");
    }
    CHECK(outside.read("victim.c") == numberedLines(1, 10));

    SECTION("a symbolic link inside the tree is followed") {
        tree.write("real/foo.c", numberedLines(1, 10));
        std::filesystem::create_directory_symlink("real", tree / "alias");
        CHECK(applyText(tree, "--- a/alias/foo.c\n+++ b/alias/foo.c\n" + body).summary() ==
              "clean");
        CHECK(tree.read("real/foo.c") == with5Replaced(numberedLines(1, 10)));
    }
}

// Found by tests/fuzz (patch): fs::weakly_canonical does not follow a dangling link, so one
// leading outside passed the check, and the dry run said "clean" where applying failed.
TEST_CASE("patch::applyPatch follows dangling symbolic links before trusting them",
          "[patch][apply]") {
    TempDir outside;
    TempDir tree;
    const std::string create = "--- /dev/null\n+++ b/link/new.c\n@@ -0,0 +1 @@\n+x\n";
    SECTION("leading outside") {
        std::filesystem::create_directory_symlink(outside / "missing", tree / "link");
        for (const bool dryRun : {true, false}) {
            REQUIRE_THROWS_WITH(applyText(tree, create, 0, dryRun),
                                "refusing path 'link/new.c': symbolic link 'link' leads outside "
                                "the project tree");
        }
        CHECK(std::filesystem::is_empty(outside.path()));
    }
    SECTION("leading inside, through another dangling link") {
        std::filesystem::create_directory_symlink("alias", tree / "link");
        std::filesystem::create_directory_symlink("sub/dir", tree / "alias");
        CHECK(applyText(tree, create, 0, true).summary() == "clean");
        CHECK(applyText(tree, create).summary() == "clean");
        CHECK(tree.read("sub/dir/new.c") == "x\n");
    }
    SECTION("in a loop") {
        std::filesystem::create_directory_symlink("loop", tree / "link");
        std::filesystem::create_directory_symlink("link", tree / "loop");
        REQUIRE_THROWS_WITH(applyText(tree, create),
                            "refusing path 'link/new.c': symbolic link 'link' does not resolve "
                            "(a loop of links)");
    }
}

TEST_CASE("patch::applyPatch handles git creations, deletions, renames and modes",
          "[patch][apply]") {
    TempDir tree;
    tree.write("old.txt", "bye\n");
    tree.write("src/a.c", "a\n");
    tree.write("run", "#!/bin/sh\n");
    std::filesystem::permissions(tree / "run", std::filesystem::perms(0644));
    const std::string text = "diff --git a/tools/new.sh b/tools/new.sh\n"
                             "new file mode 100755\n"
                             "--- /dev/null\n"
                             "+++ b/tools/new.sh\n"
                             "@@ -0,0 +1,2 @@\n"
                             "+#!/bin/sh\n"
                             "+echo hi\n"
                             "diff --git a/old.txt b/old.txt\n"
                             "deleted file mode 100644\n"
                             "--- a/old.txt\n"
                             "+++ /dev/null\n"
                             "@@ -1 +0,0 @@\n"
                             "-bye\n"
                             "diff --git a/src/a.c b/src/b.c\n"
                             "similarity index 100%\n"
                             "rename from src/a.c\n"
                             "rename to src/b.c\n"
                             "diff --git a/run b/run\n"
                             "old mode 100644\n"
                             "new mode 100755\n";
    const PatchReport report = applyText(tree, text);
    REQUIRE(report.status == PatchStatus::Clean);
    CHECK(tree.read("tools/new.sh") == "#!/bin/sh\necho hi\n");
    CHECK(tree.mode("tools/new.sh") == 0755U);
    CHECK_FALSE(tree.exists("old.txt"));
    CHECK_FALSE(tree.exists("src/a.c"));
    CHECK(tree.read("src/b.c") == "a\n");
    CHECK(tree.mode("run") == 0755U);
    CHECK(tree.read("run") == "#!/bin/sh\n");
    // Applying it again: every change is found in reverse.
    CHECK(applyText(tree, text).status == PatchStatus::AlreadyApplied);
}

TEST_CASE("patch::applyPatch keeps the mode of patched files", "[patch][apply]") {
    TempDir tree;
    tree.write("xen/foo.c", numberedLines(1, 10));
    std::filesystem::permissions(tree / "xen/foo.c", std::filesystem::perms(0750));
    applyText(tree, kLine5Patch);
    CHECK(tree.mode("xen/foo.c") == 0750U);
}

TEST_CASE("patch::applyPatch never leaves setuid, setgid or sticky bits", "[patch][apply]") {
    TempDir tree;
    tree.write("tool", "#!/bin/sh\n");
    std::filesystem::permissions(tree / "tool", std::filesystem::perms(0644));
    tree.write("run", "#!/bin/sh\n");
    std::filesystem::permissions(tree / "run", std::filesystem::perms(0755));
    tree.write("xen/foo.c", numberedLines(1, 10));
    // A file that already carries the bits (e.g. a source override) loses them when patched.
    REQUIRE(::chmod((tree / "xen/foo.c").c_str(), 04750) == 0);
    REQUIRE(tree.mode("xen/foo.c") == 04750U);
    const std::string text = "diff --git a/tool b/tool\n"
                             "old mode 100644\n"
                             "new mode 104755\n"
                             "diff --git a/setgid.sh b/setgid.sh\n"
                             "new file mode 106755\n"
                             "--- /dev/null\n"
                             "+++ b/setgid.sh\n"
                             "@@ -0,0 +1 @@\n"
                             "+#!/bin/sh\n"
                             "diff --git a/run b/run\n"
                             "old mode 100755\n"
                             "new mode 101777\n"
                             "diff --git a/xen/foo.c b/xen/foo.c\n" +
                             kLine5Patch;
    const PatchReport report = applyText(tree, text);
    REQUIRE(report.status == PatchStatus::Clean);
    CHECK(tree.mode("tool") == 0755U);
    CHECK(tree.mode("setgid.sh") == 0755U);
    CHECK(tree.mode("run") == 0777U);
    CHECK(tree.mode("xen/foo.c") == 0750U);
    CHECK(tree.read("xen/foo.c") == with5Replaced(numberedLines(1, 10)));

    SECTION("in a series too") {
        TempDir patches;
        patches.write("suid.patch", "diff --git a/run b/run\nold mode 100777\nnew mode 107755\n");
        const auto reports =
            applySeries({PatchJob{"SUID", patches / "suid.patch", tree.path(), 0}}, {});
        REQUIRE(reports.at(0).status == PatchStatus::Clean);
        CHECK(tree.mode("run") == 0755U);
    }
}

TEST_CASE("patch::applyPatch handles a missing newline at the end of a file", "[patch][apply]") {
    TempDir tree;
    tree.write("f", "one\ntwo");
    SECTION("adding the newline") {
        applyText(tree, "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n one\n-two\n\\ No newline at end of "
                        "file\n+two\n");
        CHECK(tree.read("f") == "one\ntwo\n");
    }
    SECTION("appending after the last line and keeping it unterminated") {
        applyText(tree, "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n one\n-two\n\\ No newline at end of "
                        "file\n+two\n+three\n\\ No newline at end of file\n");
        CHECK(tree.read("f") == "one\ntwo\nthree");
    }
    SECTION("a context line that lacks the newline must lack it in the file") {
        tree.write("f", "one\ntwo\n");
        const PatchReport report = applyText(tree, "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-one\n+ONE\n"
                                                   " two\n\\ No newline at end of file\n");
        CHECK(report.status == PatchStatus::Failed);
    }
}

TEST_CASE("patch::applyPatch keeps CRLF lines intact", "[patch][apply]") {
    TempDir tree;
    tree.write("win.bat", "@echo off\r\nset A=1\r\nset B=2\r\n");
    const PatchReport report =
        applyText(tree, "--- a/win.bat\n+++ b/win.bat\n@@ -1,3 +1,3 @@\n @echo off\r\n-set A=1\r\n"
                        "+set A=2\r\n set B=2\r\n");
    CHECK(report.status == PatchStatus::Clean);
    CHECK(tree.read("win.bat") == "@echo off\r\nset A=2\r\nset B=2\r\n");
    SECTION("LF context does not match CRLF lines") {
        CHECK(applyText(tree, "--- a/win.bat\n+++ b/win.bat\n@@ -1,2 +1,2 @@\n @echo off\n"
                              "-set A=2\n+set A=3\n")
                  .status == PatchStatus::Failed);
    }
}

TEST_CASE("patch::applyPatch survives absurd hunk headers", "[patch][apply]") {
    TempDir tree;
    tree.write("f", numberedLines(1, 10));
    const PatchReport report =
        applyText(tree, "--- a/f\n+++ b/f\n@@ -9223372036854775000,3 +9223372036854775000,3 @@\n"
                        " line 4\n-line 5\n+LINE 5\n line 6\n");
    CHECK(report.summary() == "offset -9223372036854774996");
    REQUIRE_THROWS_WITH(applyText(tree, "--- a/f\n+++ b/f\n@@ -1,99999999999 +1 @@\n-x\n"),
                        "test.patch:4: hunk '@@ -1,99999999999 +1 @@' ends early: the patch is "
                        "truncated");
}

TEST_CASE("patch::PatchReport::toJson describes every hunk", "[patch][apply]") {
    TempDir tree;
    tree.write("xen/foo.c", "extra\n" + numberedLines(1, 10));
    const PatchReport report = applyText(tree, kLine5Patch);
    CHECK(report.toJson() == nlohmann::json::parse(R"({
        "id": "test.patch", "patchFile": "test.patch", "status": "offset",
        "summary": "offset +1", "message": "",
        "files": [{"path": "xen/foo.c", "op": "modify", "hunks": [
            {"number": 1, "header": "@@ -2,7 +2,7 @@", "offset": 1, "fuzz": 0}]}]})"));
    CHECK(statusName(PatchStatus::AlreadyApplied) == "already-applied");
}

TEST_CASE("patch::applyPatch never writes a file where a directory is or must be",
          "[patch][apply]") {
    TempDir tree;
    tree.write("tools/script.sh", "echo hi\n");
    tree.write("README", "Xen\n");
    const std::string create = "--- /dev/null\n+++ b/NAME\n@@ -0,0 +1 @@\n+new\n";
    const auto creating = [&](const std::string& name) {
        std::string text = create;
        text.replace(text.find("NAME"), 4, name);
        return text;
    };

    SECTION("a name with a trailing slash is refused") {
        CHECK_THROWS_WITH(applyText(tree, creating("tools/")),
                          "test.patch:2: file name 'b/tools/' ends with '/': only files can be "
                          "patched");
    }
    SECTION("a directory in the tree") {
        const std::string rename = "diff --git a/README b/tools\nsimilarity index 100%\n"
                                   "rename from README\nrename to tools\n";
        for (const bool dryRun : {true, false}) {
            const PatchReport report = applyText(tree, rename, 0, dryRun);
            CHECK(report.status == PatchStatus::Failed);
            CHECK(report.message == "cannot write 'tools': it is a directory");
        }
        CHECK(tree.read("README") == "Xen\n");
    }
    SECTION("below a file of the tree") {
        for (const bool dryRun : {true, false}) {
            const PatchReport report = applyText(tree, creating("README/new.c"), 0, dryRun);
            CHECK(report.status == PatchStatus::Failed);
            CHECK(report.message == "cannot write 'README/new.c': 'README' is not a directory");
        }
    }
    SECTION("below a file the same patch creates") {
        const PatchReport report =
            applyText(tree, creating("docs") + creating("docs/index.md"), 0, false);
        CHECK(report.status == PatchStatus::Failed);
        CHECK(report.message == "cannot write 'docs/index.md': 'docs' is not a directory");
        CHECK_FALSE(tree.exists("docs"));
    }
    SECTION("where the same patch puts a directory") {
        const PatchReport report =
            applyText(tree, creating("docs/index.md") + creating("docs"), 0, false);
        CHECK(report.status == PatchStatus::Failed);
        CHECK(report.message == "cannot write 'docs': it is a directory");
        CHECK_FALSE(tree.exists("docs"));
    }
}
