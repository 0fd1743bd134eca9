// Cross-checks applyPatch against GNU patch (/usr/bin/patch -p1 -F N) on generated cases: the
// same verdict for every variant of the target file and fuzz allowance, and the same result
// whenever both apply the patch.

#include "xenbuild/patch/apply.hpp"

#include "unit/patch/patch_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using namespace xenbuild::patch;
using xenbuild::patch::testing::numberedLines;
using xenbuild::patch::testing::TempTree;

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

bool gnuPatch(const TempTree& tree, const std::filesystem::path& patchFile, unsigned fuzz,
              bool dryRun) {
    const std::string command = "/usr/bin/patch -p1 -f -s --no-backup-if-mismatch -r - -F " +
                                std::to_string(fuzz) + (dryRun ? " --dry-run" : "") + " -d '" +
                                tree.root().string() + "' -i '" + patchFile.string() +
                                "' >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
}

} // namespace

TEST_CASE("patch::applyPatch agrees with GNU patch -p1", "[patch][gnu]") {
    REQUIRE(std::filesystem::exists("/usr/bin/patch")); // Debian package "patch"
    TempTree patches;
    patches.write("case.patch", kPatch);
    const Patch patch = readPatch(patches / "case.patch");
    for (const Variant& variant : variants()) {
        for (unsigned fuzz = 0; fuzz <= 2; ++fuzz) {
            INFO(variant.name << ", fuzz " << fuzz);
            TempTree ours;
            TempTree gnu;
            ours.write("src/file.c", variant.content);
            gnu.write("src/file.c", variant.content);
            const bool gnuApplies = gnuPatch(gnu, patches / "case.patch", fuzz, true);
            const PatchReport report = applyPatch(patch, ours.root(), ApplyOptions{fuzz, false});
            const bool oursApplies = report.status != PatchStatus::Failed &&
                                     report.status != PatchStatus::AlreadyApplied;
            CHECK(oursApplies == gnuApplies);
            if (!gnuApplies || !oursApplies) continue;
            REQUIRE(gnuPatch(gnu, patches / "case.patch", fuzz, false));
            CHECK(ours.read("src/file.c") == gnu.read("src/file.c"));
        }
    }
}
