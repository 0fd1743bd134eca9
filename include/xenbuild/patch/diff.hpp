#pragma once
// Parsed unified diffs: plain ones as XSA advisories publish them (`--- a/xen/...`, possibly
// after a mail header and a description) and git diffs (`diff --git`, new/deleted files, modes,
// renames, copies). Paths are stored with one leading component stripped (-p1 semantics).
//
// Hunk and line texts are views into the patch text, which the Patch owns through a shared
// buffer, so a Patch can be copied and moved freely without invalidating them.

#include "xenbuild/util/error.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::patch {

// One line of a hunk. `text` includes its line terminator ("\n", or "\r\n" for CRLF files)
// unless the patch marks it with "\ No newline at end of file".
struct HunkLine {
    enum class Kind : char { Context = ' ', Remove = '-', Add = '+' };
    Kind kind = Kind::Context;
    std::string_view text;
};

struct Hunk {
    std::size_t oldStart = 0; // 1-based as in the header; 0 when oldCount is 0 at file start
    std::size_t oldCount = 0;
    std::size_t newStart = 0;
    std::size_t newCount = 0;
    std::string header;   // the "@@ -a,b +c,d @@ ..." line without its line end
    std::size_t line = 0; // line of the header in the patch file (1-based)
    std::vector<HunkLine> lines;
};

enum class FileOp { Modify, Create, Delete, Rename, Copy };

// The changes to one file. For Create, oldPath is empty; for Delete, newPath is empty.
struct FilePatch {
    FileOp op = FileOp::Modify;
    std::string oldPath; // relative to the project root, -p1 stripped
    std::string newPath;
    std::optional<unsigned> oldMode; // permission bits from git headers (e.g. 0755)
    std::optional<unsigned> newMode;
    std::size_t line = 0; // first header line of this file in the patch
    std::vector<Hunk> hunks;

    // The path the change is reported under: newPath unless the file is deleted.
    const std::string& path() const { return newPath.empty() ? oldPath : newPath; }
};

struct Patch {
    std::string name;                        // used in messages: usually the file path
    std::shared_ptr<const std::string> text; // owns what every HunkLine::text points into
    std::vector<FilePatch> files;
};

// Raised for a patch whose text is malformed; the message starts with "<name>:<line>: ".
class PatchParseError : public PatchError {
  public:
    using PatchError::PatchError;
};

// Parses `text`; `name` is used in error messages ("<name>:<line>: <what>"). Text before,
// between and after file patches (mail headers, descriptions, diffstats) is ignored. Throws
// PatchParseError for malformed hunks, binary patches, paths that cannot be stripped, and for
// a text holding no file patch at all.
Patch parsePatch(std::string text, std::string name);

// Reads and parses a patch file; the file's path is the patch's name.
Patch readPatch(const std::filesystem::path& file);

} // namespace xenbuild::patch
