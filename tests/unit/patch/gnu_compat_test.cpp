// Cross-checks applyPatch against GNU patch (/usr/bin/patch -p1 -F N) on generated cases: the
// same verdict for every variant of the target file and fuzz allowance (hand-made variants, and
// random edits diffed by /usr/bin/diff -u against randomly drifted targets), and the same result
// whenever both apply the patch.

#include "xenbuild/patch/apply.hpp"

#include "unit/patch/patch_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <random>

using namespace xenbuild::patch;
using xenbuild::testing::numberedLines;
using xenbuild::testing::TempDir;

namespace {

// Three hunks over "line 1".."line 60": replace line 10, insert after line 30, and delete
// line 59 next to the end of the file (one line of trailing context only).
const std::string kPatch = "--- a/src/file.c\n"
                           "+++ b/src/file.c\n"
                           "@@ -7,7 +7,7 @@\n"
                           " line 7\n line 8\n line 9\n-line 10\n+LINE 10\n"
                           " line 11\n line 12\n line 13\n"
                           "@@ -28,6 +28,8 @@\n"
                           " line 28\n line 29\n line 30\n+new a\n+new b\n"
                           " line 31\n line 32\n line 33\n"
                           "@@ -56,5 +58,4 @@\n"
                           " line 56\n line 57\n line 58\n-line 59\n line 60\n";

std::string replaceLine(std::string text, int n, const std::string& with) {
    const std::string needle = "line " + std::to_string(n) + "\n";
    text.replace(text.find(needle), needle.size(), with + "\n");
    return text;
}

struct Variant {
    const char* name;
    std::string content;
};

std::vector<Variant> variants() {
    const std::string base = numberedLines(1, 60);
    return {
        {"exact", base},
        {"offset", numberedLines(1, 5, "header ") + base},
        {"negative offset", numberedLines(3, 60)},
        {"first context line changed", replaceLine(base, 7, "changed 7")},
        {"middle trailing context changed", replaceLine(base, 12, "changed 12")},
        {"line next to the change changed", replaceLine(base, 9, "changed 9")},
        {"lines appended after the end hunk", base + "line 61\nline 62\n"},
        {"already applied", replaceLine(base, 10, "LINE 10")},
        {"last line unterminated", base.substr(0, base.size() - 1)},
    };
}

bool gnuPatch(const TempDir& tree, const std::filesystem::path& patchFile, unsigned fuzz,
              bool dryRun) {
    const std::string command = "/usr/bin/patch -p1 -f -s --no-backup-if-mismatch -r - -F " +
                                std::to_string(fuzz) + (dryRun ? " --dry-run" : "") + " -d '" +
                                tree.path().string() + "' -i '" + patchFile.string() +
                                "' >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
}

} // namespace

TEST_CASE("patch::applyPatch agrees with GNU patch -p1", "[patch][gnu]") {
    REQUIRE(std::filesystem::exists("/usr/bin/patch")); // Debian package "patch"
    TempDir patches;
    patches.write("case.patch", kPatch);
    const Patch patch = readPatch(patches / "case.patch");
    for (const Variant& variant : variants()) {
        for (unsigned fuzz = 0; fuzz <= 2; ++fuzz) {
            INFO(variant.name << ", fuzz " << fuzz);
            TempDir ours;
            TempDir gnu;
            ours.write("src/file.c", variant.content);
            gnu.write("src/file.c", variant.content);
            const bool gnuApplies = gnuPatch(gnu, patches / "case.patch", fuzz, true);
            const PatchReport report = applyPatch(patch, ours.path(), ApplyOptions{.fuzz = fuzz});
            const bool oursApplies = report.status != PatchStatus::Failed &&
                                     report.status != PatchStatus::AlreadyApplied;
            CHECK(oursApplies == gnuApplies);
            if (!gnuApplies || !oursApplies) continue;
            REQUIRE(gnuPatch(gnu, patches / "case.patch", fuzz, false));
            CHECK(ours.read("src/file.c") == gnu.read("src/file.c"));
        }
    }
}

namespace {

// A file of `count` lines drawn from a small vocabulary, so that context repeats and the
// nearest-match order matters.
std::vector<std::string> randomLines(std::mt19937& rng, int count) {
    static constexpr const char* words[] = {"{", "}", "return 0;", "x++;", "if (x)", "break;"};
    std::uniform_int_distribution<int> word(0, 5);
    std::uniform_int_distribution<int> unique(0, 3);
    std::vector<std::string> lines;
    for (int i = 0; i < count; ++i)
        lines.push_back(unique(rng) == 0 ? "line " + std::to_string(i) : words[word(rng)]);
    return lines;
}

// Replaces, inserts or deletes `edits` random lines.
std::vector<std::string> mutate(std::mt19937& rng, std::vector<std::string> lines, int edits,
                                const std::string& tag) {
    for (int e = 0; e < edits && !lines.empty(); ++e) {
        std::uniform_int_distribution<std::size_t> pos(0, lines.size() - 1);
        const auto at = lines.begin() + static_cast<std::ptrdiff_t>(pos(rng));
        switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
        case 0:
            *at = tag + " changed " + std::to_string(e);
            break;
        case 1:
            lines.insert(at, tag + " inserted " + std::to_string(e));
            break;
        default:
            lines.erase(at);
            break;
        }
    }
    return lines;
}

std::string join(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

} // namespace

TEST_CASE("patch::applyPatch agrees with GNU patch on random edits", "[patch][gnu]") {
    REQUIRE(std::filesystem::exists("/usr/bin/patch"));
    REQUIRE(std::filesystem::exists("/usr/bin/diff"));
    int applied = 0;
    int failed = 0;
    for (unsigned seed = 1; seed <= 25; ++seed) {
        std::mt19937 rng(seed);
        const auto original = randomLines(rng, 60);
        TempDir work;
        work.write("old/f", join(original));
        work.write("new/f", join(mutate(rng, original, 4, "patch")));
        const std::string diff = "cd '" + work.path().string() +
                                 "' && /usr/bin/diff -u --label a/f --label b/f old/f new/f > p";
        REQUIRE(std::system(diff.c_str()) != 0); // 1: the files differ
        const Patch patch = readPatch(work / "p");
        const std::string target = join(mutate(rng, original, 3, "drift"));
        for (unsigned fuzz = 0; fuzz <= 2; ++fuzz) {
            INFO("seed " << seed << ", fuzz " << fuzz);
            TempDir ours;
            TempDir gnu;
            ours.write("f", target);
            gnu.write("f", target);
            const bool gnuApplies = gnuPatch(gnu, work / "p", fuzz, true);
            const PatchReport report = applyPatch(patch, ours.path(), ApplyOptions{.fuzz = fuzz});
            const bool oursApplies = report.status != PatchStatus::Failed &&
                                     report.status != PatchStatus::AlreadyApplied;
            CHECK(oursApplies == gnuApplies);
            (oursApplies ? applied : failed) += 1;
            if (!gnuApplies || !oursApplies) continue;
            REQUIRE(gnuPatch(gnu, work / "p", fuzz, false));
            CHECK(ours.read("f") == gnu.read("f"));
        }
    }
    // The cases exercise both outcomes.
    CHECK(applied > 10);
    CHECK(failed > 10);
}
