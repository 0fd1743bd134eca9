#include "xenbuild/patch/diff.hpp"

#include "patch/text.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace xenbuild::patch {

namespace {

using detail::splitLines;
using detail::stripLineEnd;

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.starts_with(prefix);
}

// Parses a git mode ("100644", "100755") into permission bits; 0 for an unsupported type.
std::optional<unsigned> parseMode(std::string_view text) {
    unsigned mode = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return mode;
}

class Parser {
  public:
    Parser(const std::string& text, const std::string& name)
        : name_(name), lines_(splitLines(text)) {}

    std::vector<FilePatch> parse();

  private:
    [[noreturn]] void fail(std::size_t index, const std::string& what) const {
        throw PatchParseError(name_ + ":" + std::to_string(index + 1) + ": " + what);
    }
    std::string_view header(std::size_t index) const { return stripLineEnd(lines_[index]); }

    std::size_t parseGitFile(std::size_t i, std::vector<FilePatch>& out);
    std::size_t parsePlainFile(std::size_t i, std::vector<FilePatch>& out);
    bool parseGitHeaderLine(std::size_t i, FilePatch& fp);
    void setPathsFromMinusPlus(std::size_t i, FilePatch& fp);
    std::size_t parseHunks(std::size_t i, FilePatch& fp);
    std::size_t parseHunk(std::size_t i, Hunk& hunk);
    void parseHunkHeader(std::size_t i, Hunk& hunk);
    std::string stripPath(std::size_t i, std::string_view raw) const;
    std::string headerPath(std::size_t i, std::string_view raw) const;
    std::string checkedName(std::size_t i, std::string path) const;
    unsigned modeBits(std::size_t i, std::string_view text) const;

    const std::string& name_;
    std::vector<std::string_view> lines_;
};

// "a/xen/foo.c\t2024-01-01 ..." -> "xen/foo.c"; unquotes git's C-style quoted names.
std::string Parser::stripPath(std::size_t i, std::string_view raw) const {
    std::string path;
    if (raw.starts_with('"')) {
        const auto unquoted = detail::unquoteC(raw);
        if (!unquoted) fail(i, "malformed quoted file name " + quote(std::string(raw)));
        path = *unquoted;
    } else {
        path = std::string(raw.substr(0, raw.find('\t')));
        while (!path.empty() && path.back() == ' ')
            path.pop_back();
    }
    checkedName(i, path);
    const auto slash = path.find('/');
    if (slash == std::string::npos || slash + 1 == path.size())
        fail(i, "cannot strip one leading directory (-p1) from file name " + quote(path));
    return path.substr(slash + 1);
}

// A name from "rename from X" and the like: no a/ b/ prefix to strip, maybe C-quoted.
std::string Parser::headerPath(std::size_t i, std::string_view raw) const {
    if (!raw.starts_with('"')) return checkedName(i, std::string(raw));
    const auto unquoted = detail::unquoteC(raw);
    if (!unquoted) fail(i, "malformed quoted file name " + quote(std::string(raw)));
    return checkedName(i, *unquoted);
}

// A NUL byte (raw, or quoted as \000) would cut the name short when it reaches the system; a
// trailing '/' names a directory.
std::string Parser::checkedName(std::size_t i, std::string path) const {
    if (const auto nul = path.find('\0'); nul != std::string::npos)
        fail(i, "file name " + quote(path.substr(0, nul) + "\\0...") + " holds a NUL byte");
    if (path.ends_with('/'))
        fail(i, "file name " + quote(path) + " ends with '/': only files can be patched");
    return path;
}

unsigned Parser::modeBits(std::size_t i, std::string_view text) const {
    const auto mode = parseMode(text);
    if (!mode) fail(i, "malformed file mode " + quote(std::string(text)));
    const unsigned type = *mode & 0170000U;
    if (type != 0100000U && type != 0)
        fail(i, "unsupported file type in mode " + quote(std::string(text)) +
                    " (only regular files can be patched)");
    return *mode & 07777U;
}

bool isDevNull(std::string_view raw) {
    return raw == "/dev/null" || raw.starts_with("/dev/null\t") || raw.starts_with("/dev/null ");
}

void Parser::setPathsFromMinusPlus(std::size_t i, FilePatch& fp) {
    const std::string_view oldRaw = header(i).substr(4);
    const std::string_view newRaw = header(i + 1).substr(4);
    if (isDevNull(oldRaw) && isDevNull(newRaw)) fail(i, "both file names are /dev/null");
    if (isDevNull(oldRaw)) {
        fp.op = FileOp::Create;
        fp.oldPath.clear();
        fp.newPath = stripPath(i + 1, newRaw);
    } else if (isDevNull(newRaw)) {
        fp.op = FileOp::Delete;
        fp.oldPath = stripPath(i, oldRaw);
        fp.newPath.clear();
    } else {
        fp.oldPath = stripPath(i, oldRaw);
        fp.newPath = stripPath(i + 1, newRaw);
        if (fp.op == FileOp::Modify) fp.oldPath = fp.newPath;
    }
}

std::vector<FilePatch> Parser::parse() {
    std::vector<FilePatch> files;
    std::size_t i = 0;
    while (i < lines_.size()) {
        const std::string_view line = lines_[i];
        if (startsWith(line, "diff --git ")) {
            i = parseGitFile(i, files);
        } else if (startsWith(line, "--- ") && i + 1 < lines_.size() &&
                   startsWith(lines_[i + 1], "+++ ")) {
            i = parsePlainFile(i, files);
        } else if (startsWith(line, "GIT binary patch") || startsWith(line, "Binary files ")) {
            fail(i, "binary patches are not supported; use a text diff");
        } else {
            ++i; // mail headers, descriptions, diffstats and signatures
        }
    }
    if (files.empty())
        throw PatchParseError(name_ + ": no file changes found (not a unified diff)");
    return files;
}

std::size_t Parser::parsePlainFile(std::size_t i, std::vector<FilePatch>& out) {
    FilePatch fp;
    fp.line = i + 1;
    setPathsFromMinusPlus(i, fp);
    i += 2;
    if (i >= lines_.size() || !startsWith(lines_[i], "@@ "))
        fail(i < lines_.size() ? i : i - 1, "expected a hunk ('@@ ...') after the file names");
    i = parseHunks(i, fp);
    out.push_back(std::move(fp));
    return i;
}

// Takes the names from "diff --git a/X b/Y"; later header lines may override them.
void gitNames(std::string_view rest, std::string& oldName, std::string& newName) {
    if (rest.size() % 2 == 1) {
        const std::size_t half = rest.size() / 2;
        if (half >= 2 && rest[half] == ' ' && rest.substr(2, half - 2) == rest.substr(half + 3)) {
            oldName = newName = std::string(rest.substr(0, half));
            return;
        }
    }
    const auto split = rest.find(" b/");
    oldName = std::string(rest.substr(0, split));
    newName = split == std::string_view::npos ? oldName : std::string(rest.substr(split + 1));
}

std::size_t Parser::parseGitFile(std::size_t i, std::vector<FilePatch>& out) {
    FilePatch fp;
    fp.line = i + 1;
    std::string oldName;
    std::string newName;
    gitNames(header(i).substr(11), oldName, newName);
    fp.oldPath = stripPath(i, oldName);
    fp.newPath = stripPath(i, newName);
    for (++i; i < lines_.size(); ++i) {
        if (startsWith(lines_[i], "--- ") && i + 1 < lines_.size() &&
            startsWith(lines_[i + 1], "+++ ")) {
            setPathsFromMinusPlus(i, fp);
            i += 2;
            break;
        }
        if (!parseGitHeaderLine(i, fp)) break;
    }
    if (fp.op == FileOp::Modify && fp.oldPath != fp.newPath)
        fail(fp.line - 1, "'diff --git' names two files (" + quote(fp.oldPath) + " and " +
                              quote(fp.newPath) + ") but has no rename or copy line");
    if (fp.op == FileOp::Create) fp.oldPath.clear();
    if (fp.op == FileOp::Delete) fp.newPath.clear();
    if (fp.op == FileOp::Delete && fp.newMode) fp.newMode.reset();
    i = parseHunks(i, fp);
    out.push_back(std::move(fp));
    return i;
}

// One extended header line of a git diff; false when the line ends the header.
bool Parser::parseGitHeaderLine(std::size_t i, FilePatch& fp) {
    const std::string_view h = header(i);
    auto after = [&](std::string_view prefix) { return h.substr(prefix.size()); };
    if (startsWith(h, "old mode ")) {
        fp.oldMode = modeBits(i, after("old mode "));
    } else if (startsWith(h, "new mode ")) {
        fp.newMode = modeBits(i, after("new mode "));
    } else if (startsWith(h, "deleted file mode ")) {
        fp.op = FileOp::Delete;
        fp.oldMode = modeBits(i, after("deleted file mode "));
    } else if (startsWith(h, "new file mode ")) {
        fp.op = FileOp::Create;
        fp.newMode = modeBits(i, after("new file mode "));
    } else if (startsWith(h, "rename from ") || startsWith(h, "copy from ")) {
        fp.op = startsWith(h, "rename") ? FileOp::Rename : FileOp::Copy;
        fp.oldPath = headerPath(i, h.substr(h.find(" from ") + 6));
    } else if (startsWith(h, "rename to ") || startsWith(h, "copy to ")) {
        fp.newPath = headerPath(i, h.substr(h.find(" to ") + 4));
    } else if (startsWith(h, "GIT binary patch") || startsWith(h, "Binary files ")) {
        fail(i, "binary patch for " + quote(fp.newPath.empty() ? fp.oldPath : fp.newPath) +
                    " is not supported; use a text diff");
    } else if (!startsWith(h, "index ") && !startsWith(h, "similarity index ") &&
               !startsWith(h, "dissimilarity index ")) {
        return false;
    }
    return true;
}

std::size_t Parser::parseHunks(std::size_t i, FilePatch& fp) {
    while (i < lines_.size() && startsWith(lines_[i], "@@ ")) {
        Hunk hunk;
        i = parseHunk(i, hunk);
        fp.hunks.push_back(std::move(hunk));
    }
    return i;
}

bool parseRange(std::string_view& s, char sign, std::size_t& start, std::size_t& count) {
    if (s.empty() || s.front() != sign) return false;
    s.remove_prefix(1);
    auto number = [&s](std::size_t& value) {
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec != std::errc()) return false;
        s.remove_prefix(static_cast<std::size_t>(end - s.data()));
        return true;
    };
    if (!number(start)) return false;
    count = 1;
    if (!s.empty() && s.front() == ',') {
        s.remove_prefix(1);
        if (!number(count)) return false;
    }
    return true;
}

void Parser::parseHunkHeader(std::size_t i, Hunk& hunk) {
    hunk.header = std::string(header(i));
    hunk.line = i + 1;
    std::string_view s = std::string_view(hunk.header).substr(3);
    const bool ok = parseRange(s, '-', hunk.oldStart, hunk.oldCount) && s.starts_with(' ') &&
                    (s.remove_prefix(1), parseRange(s, '+', hunk.newStart, hunk.newCount)) &&
                    s.starts_with(" @@");
    if (!ok) fail(i, "malformed hunk header " + quote(hunk.header));
}

std::size_t Parser::parseHunk(std::size_t i, Hunk& hunk) {
    parseHunkHeader(i, hunk);
    std::size_t oldLeft = hunk.oldCount;
    std::size_t newLeft = hunk.newCount;
    hunk.lines.reserve(std::min(oldLeft + newLeft, lines_.size() - i));
    for (++i; oldLeft > 0 || newLeft > 0; ++i) {
        if (i >= lines_.size())
            fail(i - 1, "hunk " + quote(hunk.header) + " ends early: the patch is truncated");
        const std::string_view line = lines_[i];
        const char tag = line.empty() ? '\0' : line.front();
        if (tag == '\\') continue; // "\ No newline at end of file", handled below
        const bool blank = line == "\n" || line == "\r\n";
        if (tag == ' ' || blank) {
            if (oldLeft == 0 || newLeft == 0) break;
            --oldLeft, --newLeft;
            hunk.lines.push_back({HunkLine::Kind::Context, blank ? line : line.substr(1)});
        } else if (tag == '-' && oldLeft > 0) {
            --oldLeft;
            hunk.lines.push_back({HunkLine::Kind::Remove, line.substr(1)});
        } else if (tag == '+' && newLeft > 0) {
            --newLeft;
            hunk.lines.push_back({HunkLine::Kind::Add, line.substr(1)});
        } else {
            break;
        }
        if (i + 1 < lines_.size() && startsWith(lines_[i + 1], "\\")) {
            auto& text = hunk.lines.back().text;
            if (text.ends_with('\n')) text.remove_suffix(1);
        }
    }
    if (oldLeft > 0 || newLeft > 0)
        fail(i, "hunk " + quote(hunk.header) + " ends early: expected " + std::to_string(oldLeft) +
                    " more old and " + std::to_string(newLeft) + " more new lines");
    if (i < lines_.size() && startsWith(lines_[i], "\\")) ++i;
    return i;
}

} // namespace

Patch parsePatch(std::string text, std::string name) {
    Patch patch;
    patch.name = std::move(name);
    auto owned = std::make_shared<const std::string>(std::move(text));
    patch.files = Parser(*owned, patch.name).parse();
    patch.text = std::move(owned);
    return patch;
}

Patch readPatch(const std::filesystem::path& file) {
    return parsePatch(
        util::readRegularFile(file, {.what = "patch", .maxBytes = util::kMaxPatchBytes}),
        file.string());
}

} // namespace xenbuild::patch
