#include "xenbuild/patch/apply.hpp"

#include "unit/patch/patch_fixture.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild::patch;
using xenbuild::testing::numberedLines;
using xenbuild::testing::TempDir;

namespace {

// patch 1 turns "line 5" into "LINE 5"; patch 2 needs that line as context.
const std::string kFirst = "--- a/foo.c\n+++ b/foo.c\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n"
                           "+LINE 5\n line 6\n";
const std::string kSecond = "--- a/foo.c\n+++ b/foo.c\n@@ -4,4 +4,5 @@\n line 4\n LINE 5\n"
                            "+inserted\n line 6\n line 7\n";
const std::string kQemu = "diff --git a/hw/xen.c b/hw/xen.c\n--- a/hw/xen.c\n+++ b/hw/xen.c\n"
                          "@@ -1 +1 @@\n-qemu\n+QEMU\n";

struct Fixture {
    TempDir patches;
    TempDir xen;
    TempDir qemu;

    Fixture() {
        patches.write("1.patch", kFirst);
        patches.write("2.patch", kSecond);
        patches.write("q.patch", kQemu);
        xen.write("foo.c", numberedLines(1, 10));
        qemu.write("hw/xen.c", "qemu\n");
    }

    PatchJob job(const std::string& id, const std::string& file, const TempDir& root) const {
        return PatchJob{id, patches / file, root.path(), 0};
    }

    std::vector<PatchJob> inOrder() const {
        return {job("P1", "1.patch", xen), job("Q1", "q.patch", qemu), job("P2", "2.patch", xen)};
    }
};

std::vector<std::string> summaries(const std::vector<PatchReport>& reports) {
    std::vector<std::string> out;
    for (const auto& report : reports)
        out.push_back(report.id + ": " + report.summary());
    return out;
}

const std::string kExpected = "line 1\nline 2\nline 3\nline 4\nLINE 5\ninserted\nline 6\n"
                              "line 7\nline 8\nline 9\nline 10\n";

} // namespace

TEST_CASE("patch::applySeries applies patches in order, each to its project", "[patch][series]") {
    Fixture f;
    const auto reports = applySeries(f.inOrder(), SeriesOptions{});
    CHECK(summaries(reports) == std::vector<std::string>{"P1: clean", "Q1: clean", "P2: clean"});
    CHECK(reports[0].patchFile == (f.patches / "1.patch").string());
    CHECK(f.xen.read("foo.c") == kExpected);
    CHECK(f.qemu.read("hw/xen.c") == "QEMU\n");
}

TEST_CASE("patch::applySeries stops at a patch that does not apply", "[patch][series]") {
    Fixture f;
    const std::vector<PatchJob> reversed{f.job("P2", "2.patch", f.xen),
                                         f.job("P1", "1.patch", f.xen)};
    REQUIRE_THROWS_AS(applySeries(reversed, SeriesOptions{}), PatchFailedError);
    REQUIRE_THROWS_WITH(applySeries(reversed, SeriesOptions{}),
                        "patch 'P2' (" + (f.patches / "2.patch").string() +
                            ") does not apply: hunk #1 of 'foo.c' does not match "
                            "(@@ -4,4 +4,5 @@)");
    CHECK(f.xen.read("foo.c") == numberedLines(1, 10));
}

TEST_CASE("patch::applySeries stops at an already applied patch", "[patch][series]") {
    Fixture f;
    const std::vector<PatchJob> twice{f.job("P1", "1.patch", f.xen),
                                      f.job("P1-again", "1.patch", f.xen)};
    REQUIRE_THROWS_AS(applySeries(twice, SeriesOptions{}), PatchAlreadyAppliedError);
    // The first patch was applied (each patch is atomic, not the series).
    CHECK(f.xen.read("foo.c").find("LINE 5") != std::string::npos);
}

TEST_CASE("patch::applySeries dry run writes nothing and chains results in memory",
          "[patch][series]") {
    Fixture f;
    const auto reports =
        applySeries(f.inOrder(), SeriesOptions{.dryRun = true, .stopAtFailure = true});
    CHECK(summaries(reports) == std::vector<std::string>{"P1: clean", "Q1: clean", "P2: clean"});
    CHECK(f.xen.read("foo.c") == numberedLines(1, 10));
    CHECK(f.qemu.read("hw/xen.c") == "qemu\n");
    // Without the first patch in memory, the second does not apply.
    const auto alone = applySeries({f.job("P2", "2.patch", f.xen)},
                                   SeriesOptions{.dryRun = true, .stopAtFailure = false});
    CHECK(alone.at(0).status == PatchStatus::Failed);
}

TEST_CASE("patch::applySeries in check mode reports every patch", "[patch][series]") {
    Fixture f;
    f.patches.write("bad.patch", "--- a/foo.c\n+++ b/foo.c\n@@ -1,2 +1,2 @@\n-nope\n");
    f.patches.write("escape.patch", "--- a/../foo.c\n+++ b/../foo.c\n@@ -1 +1 @@\n-a\n+b\n");
    std::vector<PatchJob> jobs = f.inOrder();
    jobs.insert(jobs.begin() + 1, f.job("BAD", "bad.patch", f.xen));
    jobs.insert(jobs.begin() + 3, f.job("P1-again", "1.patch", f.xen));
    jobs.push_back(f.job("ESC", "escape.patch", f.xen));
    const auto reports = applySeries(jobs, SeriesOptions{.dryRun = true, .stopAtFailure = false});
    CHECK(summaries(reports) ==
          std::vector<std::string>{
              "P1: clean",
              "BAD: failed: " + (f.patches / "bad.patch").string() +
                  ":4: hunk '@@ -1,2 +1,2 @@' ends early: the patch is truncated",
              "Q1: clean", "P1-again: already applied", "P2: clean",
              "ESC: failed: refusing path '../foo.c': '..' would leave the project tree"});
    CHECK(f.xen.read("foo.c") == numberedLines(1, 10));
}

TEST_CASE("patch::applySeries adds the patch to the trace of errors", "[patch][series]") {
    Fixture f;
    f.patches.write("bad.patch", "not a patch\n");
    try {
        applySeries({f.job("BAD", "bad.patch", f.xen)}, SeriesOptions{});
        FAIL("no exception");
    } catch (const xenbuild::PatchError& e) {
        CHECK(e.describe() == "while applying patch 'BAD' (" + (f.patches / "bad.patch").string() +
                                  ") to '" + f.xen.path().string() + "':\n  " +
                                  (f.patches / "bad.patch").string() +
                                  ": no file changes found (not a unified diff)");
    }
}

TEST_CASE("patch::applySeries sees a file changed earlier under another path", "[patch][series]") {
    Fixture f;
    std::filesystem::create_directory_symlink(".", f.xen / "same");
    f.patches.write("2-alias.patch",
                    "--- a/same/foo.c\n+++ b/same/foo.c\n" + kSecond.substr(kSecond.find("@@")));
    for (const bool dryRun : {true, false}) {
        const auto reports =
            applySeries({f.job("P1", "1.patch", f.xen), f.job("P2", "2-alias.patch", f.xen)},
                        SeriesOptions{.dryRun = dryRun, .stopAtFailure = true});
        CHECK(summaries(reports) == std::vector<std::string>{"P1: clean", "P2: clean"});
    }
    CHECK(f.xen.read("foo.c") == kExpected);
}

namespace {

struct Recorder final : xenbuild::util::ProgressObserver {
    std::vector<std::string> lines;
    void onEvent(const xenbuild::util::ProgressEvent& e) override {
        using Kind = xenbuild::util::ProgressEvent::Kind;
        const char* kind = e.kind == Kind::Started  ? "started"
                           : e.kind == Kind::Failed ? "failed"
                                                    : "finished";
        lines.push_back(std::string(kind) + " " + e.activity + " " + std::to_string(e.done) + "/" +
                        std::to_string(e.total) +
                        (e.kind == Kind::Started ? std::string() : " " + e.text));
    }
};

} // namespace

TEST_CASE("patch::applySeries reports progress per patch", "[patch][series]") {
    Fixture f;
    Recorder recorder;
    SeriesOptions options{.dryRun = true, .stopAtFailure = false};
    options.progress = &recorder;
    applySeries({f.job("P2", "2.patch", f.xen), f.job("P1", "1.patch", f.xen)}, options);
    CHECK(recorder.lines ==
          std::vector<std::string>{
              "started patch P2 0/2",
              "failed patch P2 1/2 failed: hunk #1 of 'foo.c' does not match (@@ -4,4 +4,5 @@)",
              "started patch P1 1/2", "finished patch P1 2/2 clean"});
}

// The fuzzer found a dry run reporting success for what the real run then failed to write.
TEST_CASE("patch::applySeries: a dry run and the run agree on files against directories",
          "[patch][series]") {
    const std::string create = "--- /dev/null\n+++ b/NAME\n@@ -0,0 +1 @@\n+new\n";
    const auto creating = [&](const std::string& name) {
        std::string text = create;
        text.replace(text.find("NAME"), 4, name);
        return text;
    };
    const auto run = [](const std::vector<std::string>& texts, bool dryRun) {
        TempDir patches;
        TempDir tree;
        tree.write("old", "gone\n");
        std::vector<PatchJob> jobs;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            const std::string name = std::to_string(i) + ".patch";
            patches.write(name, texts[i]);
            jobs.push_back(PatchJob{"P" + std::to_string(i), patches / name, tree.path(), 0});
        }
        SeriesOptions options;
        options.dryRun = dryRun;
        options.stopAtFailure = false;
        return summaries(applySeries(jobs, options));
    };

    SECTION("an earlier patch's file below the name") {
        const std::vector<std::string> texts{creating("docs/index.md"), creating("docs")};
        const std::vector<std::string> expected{
            "P0: clean", "P1: failed: cannot write 'docs': it is a directory"};
        CHECK(run(texts, true) == expected);
        CHECK(run(texts, false) == expected);
    }
    SECTION("an earlier patch's file as a parent") {
        const std::vector<std::string> texts{creating("docs"), creating("docs/index.md")};
        const std::vector<std::string> expected{
            "P0: clean", "P1: failed: cannot write 'docs/index.md': 'docs' is not a directory"};
        CHECK(run(texts, true) == expected);
        CHECK(run(texts, false) == expected);
    }
    SECTION("a file an earlier patch deletes is still in the way (new files are written first)") {
        const std::vector<std::string> texts{"--- a/old\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n",
                                             creating("old/new.c")};
        const std::vector<std::string> expected{
            "P0: clean", "P1: failed: cannot write 'old/new.c': 'old' is not a directory"};
        CHECK(run(texts, true) == expected);
        CHECK(run(texts, false) == expected);
    }
}
