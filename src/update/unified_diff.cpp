#include "xenbuild/update/unified_diff.hpp"

#include "patch/text.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace xenbuild::update {

namespace {

struct Edit {
    char kind;                    // ' ', '-', '+'
    std::size_t oldLine, newLine; // 0-based positions before this edit
    std::string_view text;
};

// The edit script of a longest common subsequence of lines.
std::vector<Edit> editScript(const std::vector<std::string_view>& a,
                             const std::vector<std::string_view>& b) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    std::vector<std::vector<std::size_t>> lcs(n + 1, std::vector<std::size_t>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;) {
        for (std::size_t j = m; j-- > 0;) {
            lcs[i][j] =
                a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
        }
    }
    std::vector<Edit> edits;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[i] == b[j]) {
            edits.push_back({' ', i, j, a[i]});
            ++i;
            ++j;
        } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
            edits.push_back({'-', i, j, a[i]});
            ++i;
        } else {
            edits.push_back({'+', i, j, b[j]});
            ++j;
        }
    }
    return edits;
}

std::string range(std::size_t start, std::size_t count) {
    // GNU diff: a hunk with no lines on a side names the line before it.
    const std::size_t first = count == 0 ? start : start + 1;
    return std::to_string(first) + (count == 1 ? "" : "," + std::to_string(count));
}

void appendHunk(std::string& out, const std::vector<Edit>& edits, std::size_t begin,
                std::size_t end) {
    std::size_t oldCount = 0;
    std::size_t newCount = 0;
    std::string body;
    for (std::size_t k = begin; k < end; ++k) {
        const auto& edit = edits[k];
        if (edit.kind != '+') ++oldCount;
        if (edit.kind != '-') ++newCount;
        body += edit.kind;
        body += edit.text;
        if (edit.text.empty() || edit.text.back() != '\n')
            body += "\n\\ No newline at end of file\n";
    }
    out += "@@ -" + range(edits[begin].oldLine, oldCount) + " +" +
           range(edits[begin].newLine, newCount) + " @@\n" + body;
}

} // namespace

std::string unifiedDiff(std::string_view before, std::string_view after, const std::string& oldName,
                        const std::string& newName) {
    if (before == after) return {};
    const auto edits =
        editScript(patch::detail::splitLines(before), patch::detail::splitLines(after));
    constexpr std::size_t context = 3;
    std::string out = "--- " + oldName + "\n+++ " + newName + "\n";
    std::size_t k = 0;
    while (k < edits.size()) {
        while (k < edits.size() && edits[k].kind == ' ')
            ++k;
        if (k == edits.size()) break;
        const std::size_t begin = k >= context ? k - context : 0;
        std::size_t end = k;
        // Extend while the next change is within 2*context unchanged lines.
        while (end < edits.size()) {
            std::size_t run = 0;
            while (end + run < edits.size() && edits[end + run].kind == ' ')
                ++run;
            if (end + run == edits.size()) {
                end += std::min(run, context);
                break;
            }
            if (run > 2 * context) {
                end += context;
                break;
            }
            end += run;
            while (end < edits.size() && edits[end].kind != ' ')
                ++end;
        }
        appendHunk(out, edits, begin, end);
        k = end;
    }
    return out;
}

} // namespace xenbuild::update
