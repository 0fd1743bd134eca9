#include "xenbuild/patch/apply.hpp"
#include "xenbuild/patch/diff.hpp"

#include "unit/patch/patch_fixture.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace xenbuild::patch;
using Kind = HunkLine::Kind;

TEST_CASE("patch::parsePatch reads an XSA-style diff after a mail header", "[patch][diff]") {
    const std::string text = "From: Xen.org security team <security@xen.org>\n"
                             "Subject: x86: fix the thing\n"
                             "\n"
                             "This is XSA-999.\n"
                             "--- a/xen/common/foo.c\t2024-01-01 00:00:00.000000000 +0000\n"
                             "+++ b/xen/common/foo.c\t2024-01-02 00:00:00.000000000 +0000\n"
                             "@@ -10,4 +10,4 @@ int foo(void)\n"
                             " a\n"
                             "-b\n"
                             "+B\n"
                             " c\n"
                             "\n"
                             "@@ -30 +30,2 @@\n"
                             " z\n"
                             "+y\n"
                             "-- \n"
                             "2.39.2\n";
    const Patch patch = parsePatch(text, "xsa999.patch");
    REQUIRE(patch.files.size() == 1);
    const FilePatch& fp = patch.files[0];
    CHECK(fp.op == FileOp::Modify);
    CHECK(fp.oldPath == "xen/common/foo.c");
    CHECK(fp.newPath == "xen/common/foo.c");
    CHECK(fp.line == 5);
    REQUIRE(fp.hunks.size() == 2);
    const Hunk& h1 = fp.hunks[0];
    CHECK(h1.header == "@@ -10,4 +10,4 @@ int foo(void)");
    CHECK(h1.line == 7);
    CHECK((h1.oldStart == 10 && h1.oldCount == 4 && h1.newStart == 10 && h1.newCount == 4));
    REQUIRE(h1.lines.size() == 5);
    CHECK(h1.lines[1].kind == Kind::Remove);
    CHECK(h1.lines[1].text == "b\n");
    CHECK(h1.lines[2].kind == Kind::Add);
    // A blank line stands for an empty context line (mailers strip the lone space).
    CHECK(h1.lines[4].kind == Kind::Context);
    CHECK(h1.lines[4].text == "\n");
    const Hunk& h2 = fp.hunks[1];
    CHECK((h2.oldStart == 30 && h2.oldCount == 1 && h2.newCount == 2));
}

TEST_CASE("patch::parsePatch reads git diffs with modes, creations, deletions and renames",
          "[patch][diff]") {
    const std::string text = "diff --git a/tools/new.sh b/tools/new.sh\n"
                             "new file mode 100755\n"
                             "index 0000000..1111111\n"
                             "--- /dev/null\n"
                             "+++ b/tools/new.sh\n"
                             "@@ -0,0 +1,2 @@\n"
                             "+#!/bin/sh\n"
                             "+echo hi\n"
                             "diff --git a/old.txt b/old.txt\n"
                             "deleted file mode 100644\n"
                             "index 2222222..0000000\n"
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
                             "new mode 100755\n"
                             "diff --git a/x.c b/y.c\n"
                             "similarity index 90%\n"
                             "copy from x.c\n"
                             "copy to y.c\n"
                             "index 3333333..4444444 100644\n"
                             "--- a/x.c\n"
                             "+++ b/y.c\n"
                             "@@ -1 +1 @@\n"
                             "-x\n"
                             "+y\n";
    const Patch patch = parsePatch(text, "git.patch");
    REQUIRE(patch.files.size() == 5);
    CHECK(patch.files[0].op == FileOp::Create);
    CHECK(patch.files[0].oldPath.empty());
    CHECK(patch.files[0].newPath == "tools/new.sh");
    CHECK(patch.files[0].newMode == 0755U);
    CHECK(patch.files[1].op == FileOp::Delete);
    CHECK(patch.files[1].oldPath == "old.txt");
    CHECK(patch.files[1].path() == "old.txt");
    CHECK(patch.files[2].op == FileOp::Rename);
    CHECK(patch.files[2].oldPath == "src/a.c");
    CHECK(patch.files[2].newPath == "src/b.c");
    CHECK(patch.files[2].hunks.empty());
    CHECK(patch.files[3].op == FileOp::Modify);
    CHECK(patch.files[3].oldMode == 0644U);
    CHECK(patch.files[3].newMode == 0755U);
    CHECK(patch.files[4].op == FileOp::Copy);
    CHECK(patch.files[4].oldPath == "x.c");
    CHECK(patch.files[4].newPath == "y.c");
    CHECK(patch.files[4].hunks.size() == 1);
}

TEST_CASE("patch::parsePatch keeps line ends: no newline at EOF and CRLF", "[patch][diff]") {
    const std::string text = "--- a/f\n"
                             "+++ b/f\n"
                             "@@ -1,2 +1,2 @@\n"
                             " dos\r\n"
                             "-last\n"
                             "\\ No newline at end of file\n"
                             "+last\n";
    const Patch patch = parsePatch(text, "eol.patch");
    const auto& lines = patch.files.at(0).hunks.at(0).lines;
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].text == "dos\r\n");
    CHECK(lines[1].text == "last");
    CHECK(lines[2].text == "last\n");
}

TEST_CASE("patch::parsePatch unquotes git's quoted file names", "[patch][diff]") {
    const std::string text = "diff --git \"a/with\\ttab\" \"b/with\\ttab\"\n"
                             "--- \"a/with\\ttab\"\n"
                             "+++ \"b/with\\ttab\"\n"
                             "@@ -1 +1 @@\n"
                             "-a\n"
                             "+b\n";
    CHECK(parsePatch(text, "q.patch").files.at(0).newPath == "with\ttab");
    const Patch renamed = parsePatch("diff --git \"a/x\\ty\" b/z\n"
                                     "similarity index 100%\n"
                                     "rename from \"x\\ty\"\n"
                                     "rename to z\n",
                                     "r.patch");
    CHECK(renamed.files.at(0).oldPath == "x\ty");
    CHECK(renamed.files.at(0).newPath == "z");
}

TEST_CASE("patch::parsePatch rejects malformed patches naming the file and line", "[patch][diff]") {
    SECTION("binary patch") {
        const std::string text = "diff --git a/logo.png b/logo.png\n"
                                 "index 1111111..2222222 100644\n"
                                 "GIT binary patch\n"
                                 "literal 12\n";
        REQUIRE_THROWS_AS(parsePatch(text, "bin.patch"), PatchParseError);
        REQUIRE_THROWS_WITH(parsePatch(text, "bin.patch"),
                            "bin.patch:3: binary patch for 'logo.png' is not supported; use a "
                            "text diff");
    }
    SECTION("binary files differ") {
        REQUIRE_THROWS_WITH(
            parsePatch("diff --git a/x b/x\nBinary files a/x and b/x differ\n", "b.patch"),
            "b.patch:2: binary patch for 'x' is not supported; use a text diff");
    }
    SECTION("malformed hunk header") {
        REQUIRE_THROWS_WITH(parsePatch("--- a/f\n+++ b/f\n@@ -1,x +1 @@\n-a\n", "h.patch"),
                            "h.patch:3: malformed hunk header '@@ -1,x +1 @@'");
    }
    SECTION("truncated hunk") {
        REQUIRE_THROWS_WITH(parsePatch("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n", "t.patch"),
                            "t.patch:5: hunk '@@ -1,3 +1,3 @@' ends early: the patch is "
                            "truncated");
    }
    SECTION("hunk shorter than its header") {
        REQUIRE_THROWS_WITH(
            parsePatch("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\ndiff --git a/g b/g\n",
                       "s.patch"),
            "s.patch:7: hunk '@@ -1,3 +1,3 @@' ends early: expected 1 more old and 1 more "
            "new lines");
    }
    SECTION("file name without a directory to strip") {
        REQUIRE_THROWS_WITH(parsePatch("--- f\n+++ f\n@@ -1 +1 @@\n-a\n+b\n", "p.patch"),
                            "p.patch:1: cannot strip one leading directory (-p1) from file name "
                            "'f'");
    }
    SECTION("symbolic link") {
        REQUIRE_THROWS_WITH(parsePatch("diff --git a/l b/l\nnew file mode 120000\n", "l.patch"),
                            "l.patch:2: unsupported file type in mode '120000' (only regular "
                            "files can be patched)");
    }
    SECTION("no diff at all") {
        REQUIRE_THROWS_WITH(parsePatch("Just some text\n", "empty.patch"),
                            "empty.patch: no file changes found (not a unified diff)");
    }
    SECTION("two names without a rename (found by tests/fuzz)") {
        REQUIRE_THROWS_WITH(parsePatch("diff --git a/x/old.c b/x\nindex 1..2 100644\n", "r.patch"),
                            "r.patch:1: 'diff --git' names two files ('x/old.c' and 'x') but has "
                            "no rename or copy line");
    }
    SECTION("directory name (found by tests/fuzz)") {
        REQUIRE_THROWS_WITH(parsePatch("diff --git a/x/ b/x/\n", "d.patch"),
                            "d.patch:1: file name 'a/x/' ends with '/': only files can be patched");
        REQUIRE_THROWS_WITH(parsePatch("--- a/x\n+++ b/dir/\n@@ -1 +1 @@\n-a\n+b\n", "d.patch"),
                            "d.patch:2: file name 'b/dir/' ends with '/': only files can be "
                            "patched");
    }
    SECTION("NUL byte in a file name (found by tests/fuzz)") {
        REQUIRE_THROWS_WITH(
            parsePatch(std::string("--- /dev/null\n+++ b/new") + '\0' + ".c\n@@ -0,0 +1 @@\n+x\n",
                       "n.patch"),
            "n.patch:2: file name 'b/new\\0...' holds a NUL byte");
        REQUIRE_THROWS_WITH(
            parsePatch("diff --git a/x b/x\nrename from x\nrename to \"y\\000z\"\n", "q.patch"),
            "q.patch:3: file name 'y\\0...' holds a NUL byte");
    }
}

TEST_CASE("patch::parsePatch and applyPatch fail cleanly on mangled patches", "[patch][diff]") {
    const std::string valid = "diff --git a/x.c b/y.c\n"
                              "similarity index 90%\n"
                              "rename from x.c\n"
                              "rename to y.c\n"
                              "--- a/x.c\n"
                              "+++ b/y.c\n"
                              "@@ -1,3 +1,3 @@\n"
                              " a\n"
                              "-b\n"
                              "\\ No newline at end of file\n"
                              "+c\n"
                              " d\n"
                              "--- \"a/q\\tx\"\n"
                              "+++ \"b/q\\tx\"\n"
                              "@@ -0,0 +1 @@\n"
                              "+new\n";
    const std::string alphabet = " -+@\\\n\"/abx0123,";
    xenbuild::testing::TempDir tree;
    tree.write("x.c", "a\nb\nd\n");
    std::mt19937 rng(7);
    int parsed = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string text = valid;
        const int edits = std::uniform_int_distribution<int>(1, 6)(rng);
        for (int e = 0; e < edits && !text.empty(); ++e) {
            const auto at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
            const char c =
                alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
            switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
            case 0:
                text[at] = c;
                break;
            case 1:
                text.insert(at, 1, c);
                break;
            default:
                text.erase(at, 1);
                break;
            }
        }
        try {
            const Patch patch = parsePatch(text, "fuzz.patch");
            ++parsed;
            for (const auto& fp : patch.files)
                for (const auto& hunk : fp.hunks)
                    CHECK(hunk.lines.size() >= hunk.oldCount);
        } catch (const PatchParseError&) {
        }
    }
    CHECK(parsed > 100);
}
