#pragma once
// Locating and applying the hunks of one file (private to the patch module). Matching follows
// GNU patch: the nearest position to the expected line (shifted by the offset of the previous
// hunk) wins, hunks never overlap or go backwards, and fuzz N ignores up to N lines of leading
// and trailing context, where a hunk with less leading (trailing) context than trailing
// (leading) context is anchored at the start (end) of the file.

#include "xenbuild/patch/diff.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::patch::detail {

struct Placement {
    long offset = 0; // matched line minus the expected line (cumulative, as GNU reports)
    unsigned fuzz = 0;
};

struct HunksResult {
    std::string content;                   // the patched file (valid when !failedHunk)
    std::vector<Placement> placements;     // one per hunk applied
    std::optional<std::size_t> failedHunk; // 0-based index of the first hunk that did not match
};

// Applies `hunks` to `content`, ignoring at most `maxFuzz` context lines at each end. With
// `reverse`, added and removed lines swap roles (used to detect already-applied patches).
HunksResult applyHunks(std::string_view content, const std::vector<Hunk>& hunks, unsigned maxFuzz,
                       bool reverse);

} // namespace xenbuild::patch::detail
