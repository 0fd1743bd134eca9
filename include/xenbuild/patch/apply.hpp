#pragma once
// Applying parsed patches to source trees, strictly: exact context, line offsets allowed (the
// nearest match wins, as with GNU patch), fuzz only up to an explicit per-patch allowance.
// Each patch is atomic: every result is computed in memory first and the tree is only written
// when every hunk of every file applies. A patch whose hunks all apply in reverse is reported
// as already applied. Paths escaping the project root are refused.

#include "xenbuild/patch/diff.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/progress.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::patch {

enum class PatchStatus { Clean, Offset, Fuzz, Failed, AlreadyApplied };

// "clean", "offset", "fuzz", "failed", "already-applied" (the `--json` spelling).
std::string_view statusName(PatchStatus status);

struct HunkReport {
    std::size_t number = 0; // 1-based within its file, as in messages ("hunk #2")
    std::string header;     // "@@ -10,7 +10,8 @@ ..."
    long offset = 0;        // matched line minus the header's line (GNU's "offset N lines")
    unsigned fuzz = 0;      // context lines ignored to make it match
};

struct FileReport {
    std::string path; // FilePatch::path()
    FileOp op = FileOp::Modify;
    std::vector<HunkReport> hunks;
};

struct PatchReport {
    std::string id; // the job id, or the patch name for a single patch
    std::string patchFile;
    PatchStatus status = PatchStatus::Clean;
    std::vector<FileReport> files; // filled when the patch applied (or would in a dry run)
    std::string message;           // why it failed; empty otherwise

    long maxOffset() const; // the offset of largest magnitude over all hunks
    unsigned maxFuzz() const;
    // One line for `xenbuild patches check`: "clean", "offset +3", "fuzz 2",
    // "already applied", "failed: <message>".
    std::string summary() const;
    // {"id", "patchFile", "status" (statusName), "summary", "message", "files": [{"path",
    // "op" ("modify", "create", "delete", "rename", "copy"), "hunks": [{"number", "header",
    // "offset", "fuzz"}]}]}
    nlohmann::json toJson() const;
};

// Thrown by applySeries when a patch does not apply: "patch '<id>' (<file>) does not apply:
// <report message>".
class PatchFailedError : public PatchError {
  public:
    using PatchError::PatchError;
};

// Thrown by applySeries when a patch is already applied (all its hunks apply in reverse).
class PatchAlreadyAppliedError : public PatchError {
  public:
    using PatchError::PatchError;
};

struct ApplyOptions {
    unsigned fuzz = 0;   // context lines that may be ignored at each end of a hunk
    bool dryRun = false; // compute everything, write nothing
};

// Applies one patch to the tree at `root`. Hunk failures and already-applied patches are
// outcomes, returned in the report (status Failed / AlreadyApplied, tree untouched). Throws
// PatchError for paths escaping `root` (absolute, `..`, through a symbolic link leading
// outside) and SystemError for I/O failures.
PatchReport applyPatch(const Patch& patch, const std::filesystem::path& root,
                       const ApplyOptions& options);

// One entry of a series: apply `patchFile` to the tree at `projectRoot`.
struct PatchJob {
    std::string id; // "XSA-460", "0001-xen-fix-build-4.19.patch", ...
    std::filesystem::path patchFile;
    std::filesystem::path projectRoot; // the staged xen, qemu, seabios, ovmf or ipxe tree
    unsigned fuzz = 0;                 // the recipe's allowance for this patch
};

struct SeriesOptions {
    // Check only: every file change lives in memory and later patches see the results of
    // earlier ones; nothing is written.
    bool dryRun = false;
    // Stop at the first patch that fails or is already applied, by throwing
    // PatchFailedError / PatchAlreadyAppliedError (whose messages name the patch), or the
    // parse/escape PatchError with "while applying patch '<id>' (<file>) to '<root>'" added to
    // its trace. When false, every patch is tried and reported; a malformed or escaping patch
    // is reported as failed with the error's text.
    bool stopAtFailure = true;
    // Receives Started before each patch and Finished (text: the report's summary) or Failed
    // after it; activity "patch <id>", done/total count patches. May be null.
    util::ProgressObserver* progress = nullptr;
};

// Applies the jobs in order; returns one report per patch tried. The series runs in memory
// (each patch still all-or-nothing) and the changed files are written once at the end, or
// before throwing: the tree then holds every patch before the one that stopped the series.
std::vector<PatchReport> applySeries(const std::vector<PatchJob>& jobs,
                                     const SeriesOptions& options);

} // namespace xenbuild::patch
