// Fuzz target: the diff writer (update/unified_diff.hpp, what `xenbuild update --dry-run`
// prints) against the diff parser and the in-memory hunk applier of the patch module.
//
// The input is a file set (fuzz_support.hpp) with "before" and "after" (a missing one is
// empty). Checked: the diff of two texts parses; applied to "before" it gives "after" exactly,
// with no offset and no fuzz; applied in reverse to "after" it gives "before".

#include "fuzz/fuzz_support.hpp"
#include "patch/hunks.hpp"
#include "xenbuild/patch/diff.hpp"
#include "xenbuild/update/unified_diff.hpp"

#include <algorithm>

namespace {

using namespace xenbuild;

// The writer is quadratic in lines by design (recipe files); keep inputs recipe-sized.
constexpr long kMaxLines = 400;

void checkApplies(const patch::FilePatch& file, const std::string& from, const std::string& to,
                  bool reverse) {
    const auto result = patch::detail::applyHunks(from, file.hunks, 0, reverse);
    const std::string direction = reverse ? "in reverse" : "forwards";
    fuzz::check(!result.failedHunk, "the written diff does not apply " + direction);
    fuzz::check(result.content == to,
                "the written diff applied " + direction + " gives other text");
    for (const auto& placement : result.placements)
        fuzz::check(placement.offset == 0 && placement.fuzz == 0,
                    "the written diff applies " + direction + " only with an offset or fuzz");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string before;
    std::string after;
    for (auto& file : fuzz::splitFiles(fuzz::asText(data, size))) {
        if (file.name == "before") before = std::move(file.content);
        if (file.name == "after") after = std::move(file.content);
    }
    if (std::count(before.begin(), before.end(), '\n') > kMaxLines ||
        std::count(after.begin(), after.end(), '\n') > kMaxLines)
        return 0;
    const std::string diff = update::unifiedDiff(before, after, "a/file", "b/file");
    if (before == after) {
        fuzz::check(diff.empty(), "a diff between equal texts");
        return 0;
    }
    patch::Patch parsed;
    fuzz::check(fuzz::expectOnlyErrors([&] { parsed = patch::parsePatch(diff, "written.diff"); }),
                "the written diff does not parse:\n" + diff);
    fuzz::check(parsed.files.size() == 1 && parsed.files[0].path() == "file",
                "the written diff names other files");
    checkApplies(parsed.files[0], before, after, false);
    checkApplies(parsed.files[0], after, before, true);
    return 0;
}
