#pragma once
// Unified diffs of small text files (what `xenbuild update --dry-run` prints), with three lines
// of context, in the format `patch -p1` and `git apply` read. Meant for recipe files: the
// line matching is quadratic in the number of lines.

#include <string>
#include <string_view>

namespace xenbuild::update {

// The diff turning `before` into `after`, headed "--- oldName" / "+++ newName"; empty when the
// texts are equal. Use "/dev/null" as a name for a created or removed file.
std::string unifiedDiff(std::string_view before, std::string_view after, const std::string& oldName,
                        const std::string& newName);

} // namespace xenbuild::update
