#include "patch/hunks.hpp"

#include "patch/text.hpp"

#include <algorithm>
#include <limits>

namespace xenbuild::patch::detail {

namespace {

using Kind = HunkLine::Kind;

Kind effectiveKind(Kind kind, bool reverse) {
    if (!reverse || kind == Kind::Context) return kind;
    return kind == Kind::Add ? Kind::Remove : Kind::Add;
}

// The lines a hunk expects to find (context and removed lines), and its context shape.
struct Pattern {
    std::vector<std::string_view> lines;
    long prefix = 0; // context lines before the first change
    long suffix = 0; // context lines after the last change
    long first = 1;  // expected 1-based line of the first pattern line
};

Pattern makePattern(const Hunk& hunk, bool reverse) {
    Pattern p;
    p.lines.reserve(hunk.lines.size());
    bool seenChange = false;
    for (const HunkLine& line : hunk.lines) {
        const Kind kind = effectiveKind(line.kind, reverse);
        if (kind == Kind::Context) {
            (seenChange ? p.suffix : p.prefix) += 1;
        } else {
            seenChange = true;
            p.suffix = 0;
        }
        if (kind != Kind::Add) p.lines.push_back(line.text);
    }
    if (!seenChange) p.suffix = p.prefix;
    // Absurd header lines stay absurd but computable (no overflow below).
    const auto start = static_cast<long>(std::min<std::size_t>(
        reverse ? hunk.newStart : hunk.oldStart, std::numeric_limits<long>::max() - 1));
    // A pure insertion "@@ -5,0 +6,2 @@" goes after line 5.
    p.first = std::max(1L, p.lines.empty() ? start + 1 : start);
    return p;
}

class Matcher {
  public:
    Matcher(const std::vector<std::string_view>& file, const Pattern& pattern)
        : file_(file), pattern_(pattern), fileLines_(static_cast<long>(file.size())),
          patLines_(static_cast<long>(pattern.lines.size())) {}

    // The 1-based line where the pattern matches with `fuzz`, or 0.
    long locate(long fuzz, long offset, long frozen) const;

  private:
    bool matches(long where, long prefixFuzz, long suffixFuzz) const {
        for (long k = prefixFuzz; k < patLines_ - suffixFuzz; ++k) {
            const long index = where - 1 + k;
            if (index < 0 || index >= fileLines_) return false;
            if (file_[static_cast<std::size_t>(index)] !=
                pattern_.lines[static_cast<std::size_t>(k)])
                return false;
        }
        return true;
    }

    const std::vector<std::string_view>& file_;
    const Pattern& pattern_;
    long fileLines_;
    long patLines_;
};

long Matcher::locate(long fuzz, long offset, long frozen) const {
    const long guess = offset > 0 && pattern_.first > std::numeric_limits<long>::max() - offset
                           ? std::numeric_limits<long>::max()
                           : pattern_.first + offset;
    const long minWhere = frozen + 1;
    if (patLines_ == 0) return std::clamp(guess, minWhere, std::max(minWhere, fileLines_ + 1));
    const long context = std::max(pattern_.prefix, pattern_.suffix);
    long prefixFuzz = fuzz + pattern_.prefix - context;
    const long suffixFuzz = fuzz + pattern_.suffix - context;
    if (prefixFuzz < 0 && pattern_.first <= 1) {
        // Less leading than trailing context: the hunk is at the start of the file.
        if (frozen > 0 || (suffixFuzz < 0 && patLines_ != fileLines_)) return 0;
        return matches(1, 0, std::max(0L, suffixFuzz)) ? 1 : 0;
    }
    prefixFuzz = std::max(0L, prefixFuzz);
    if (suffixFuzz < 0) {
        // Less trailing than leading context: the hunk is at the end of the file.
        const long where = fileLines_ - patLines_ + 1;
        return where >= minWhere && matches(where, prefixFuzz, 0) ? where : 0;
    }
    const long maxWhere = fileLines_ - (patLines_ - suffixFuzz) + 1;
    // Outwards from the guess; one out of range (a bogus header line) is moved to the nearest
    // candidate, which keeps the order in which candidates are tried.
    const long from = std::clamp(guess, minWhere, std::max(minWhere, maxWhere));
    const long span = std::max(maxWhere - from, from - minWhere);
    for (long delta = 0; delta <= span; ++delta) {
        const long after = from + delta;
        if (after >= minWhere && after <= maxWhere && matches(after, prefixFuzz, suffixFuzz))
            return after;
        const long before = from - delta;
        if (delta > 0 && before >= minWhere && before <= maxWhere &&
            matches(before, prefixFuzz, suffixFuzz))
            return before;
    }
    return 0;
}

void append(std::string& out, const std::vector<std::string_view>& file, std::size_t from,
            std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
        out.append(file[i]);
}

// Emits the hunk at 1-based `where`: context lines come from the file, added lines from the
// patch. Returns the number of file lines consumed so far.
std::size_t emitHunk(std::string& out, const std::vector<std::string_view>& file, const Hunk& hunk,
                     std::size_t where, bool reverse) {
    std::size_t i = where - 1;
    for (const HunkLine& line : hunk.lines) {
        switch (effectiveKind(line.kind, reverse)) {
        case Kind::Context:
            if (i < file.size()) out.append(file[i]);
            ++i;
            break;
        case Kind::Remove:
            ++i;
            break;
        case Kind::Add:
            out.append(line.text);
            break;
        }
    }
    return std::min(i, file.size());
}

} // namespace

HunksResult applyHunks(std::string_view content, const std::vector<Hunk>& hunks, unsigned maxFuzz,
                       bool reverse) {
    HunksResult result;
    const std::vector<std::string_view> file = splitLines(content);
    result.content.reserve(content.size() + content.size() / 8 + 256);
    result.placements.reserve(hunks.size());
    std::size_t copied = 0; // file lines already emitted or consumed
    long offset = 0;
    for (std::size_t h = 0; h < hunks.size(); ++h) {
        const Pattern pattern = makePattern(hunks[h], reverse);
        const Matcher matcher(file, pattern);
        const long fuzzLimit =
            std::min(static_cast<long>(maxFuzz), std::max(pattern.prefix, pattern.suffix));
        long where = 0;
        long fuzz = 0;
        for (; fuzz <= fuzzLimit && where == 0; ++fuzz)
            where = matcher.locate(fuzz, offset, static_cast<long>(copied));
        if (where == 0) {
            result.failedHunk = h;
            return result;
        }
        offset = where - pattern.first;
        result.placements.push_back({offset, static_cast<unsigned>(fuzz - 1)});
        const auto at = static_cast<std::size_t>(where);
        append(result.content, file, copied, std::min(at - 1, file.size()));
        copied = emitHunk(result.content, file, hunks[h], at, reverse);
    }
    append(result.content, file, copied, file.size());
    return result;
}

} // namespace xenbuild::patch::detail
