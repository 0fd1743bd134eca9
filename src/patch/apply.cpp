#include "xenbuild/patch/apply.hpp"

#include "patch/hunks.hpp"
#include "patch/overlay.hpp"
#include "patch/tree.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <sys/stat.h>

namespace fs = std::filesystem;

namespace xenbuild::patch {

namespace {

using detail::FileState;
using detail::Overlay;
using detail::StagedFile;
using detail::TreeGuard;

// "Does not apply": an outcome, not an error, until a caller decides otherwise.
struct Mismatch {
    std::string message;
};

// The file changes of one patch in the order computed; lookups see earlier changes of the same
// patch first, then those of earlier patches of a dry run, then the disk.
class Staging {
  public:
    explicit Staging(const Overlay* base) : base_(base) {}

    FileState lookup(const fs::path& path) const {
        if (const auto it = index_.find(path.native()); it != index_.end())
            return files_[it->second].state;
        if (base_ != nullptr)
            if (const FileState* state = base_->find(path)) return *state;
        return detail::readTreeFile(path);
    }

    // Why no regular file can be written at `path` inside `root` (nullopt when one can): a
    // directory is there, or a parent is a file, on disk or after the changes seen so far. The
    // dry run and the real run (which commits each patch before the next) meet the same answer.
    std::optional<std::string> whyNotWritable(const fs::path& path, const fs::path& root) const {
        if (isDirectory(path)) return "it is a directory";
        for (fs::path dir = path.parent_path(); dir != root && dir.has_relative_path();
             dir = dir.parent_path())
            if (blocksDirectory(dir))
                return quote(dir.lexically_relative(root).string()) + " is not a directory";
        return std::nullopt;
    }

    void stage(const fs::path& path, FileState state) {
        if (state.exists) Overlay::addParents(directories_, path);
        const auto [it, inserted] = index_.try_emplace(path.native(), files_.size());
        if (inserted)
            files_.push_back({path, std::move(state)});
        else
            files_[it->second].state = std::move(state);
    }

    std::vector<StagedFile> take() { return std::move(files_); }

  private:
    bool isDirectory(const fs::path& path) const {
        if (directories_.count(path.native()) != 0) return true;
        if (base_ != nullptr && base_->holdsFiles(path)) return true;
        struct stat st {};
        return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }

    // True when `dir` cannot become a directory: a file is there, or is staged there. A file on
    // disk blocks even when a patch deletes it: the series writes every new file before it
    // removes any (so that a failed write leaves the tree as it was).
    bool blocksDirectory(const fs::path& dir) const {
        if (const auto it = index_.find(dir.native()); it != index_.end())
            if (files_[it->second].state.exists) return true;
        if (base_ != nullptr)
            if (const FileState* state = base_->find(dir); state != nullptr && state->exists)
                return true;
        struct stat st {};
        return ::lstat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
    }

    const Overlay* base_;
    std::vector<StagedFile> files_;
    std::unordered_map<std::string, std::size_t> index_;
    std::unordered_set<std::string> directories_; // parents of the files staged as existing
};

// What one file patch does, forwards or reversed (to detect an already-applied patch).
struct Task {
    FileOp op = FileOp::Modify;
    std::string from;
    std::string to;
    std::optional<unsigned> mode;
};

Task makeTask(const FilePatch& fp, bool reverse) {
    if (!reverse) return {fp.op, fp.oldPath, fp.newPath, fp.newMode};
    switch (fp.op) {
    case FileOp::Create:
        return {FileOp::Delete, fp.newPath, "", std::nullopt};
    case FileOp::Delete:
        return {FileOp::Create, "", fp.oldPath, fp.oldMode};
    case FileOp::Rename:
        return {FileOp::Rename, fp.newPath, fp.oldPath, fp.oldMode};
    case FileOp::Copy:
    case FileOp::Modify:
        break;
    }
    return {FileOp::Modify, fp.newPath, fp.newPath, fp.oldMode};
}

class PatchRun {
  public:
    PatchRun(const TreeGuard& guard, Staging& staging, unsigned fuzz, bool reverse)
        : guard_(guard), staging_(staging), fuzz_(fuzz), reverse_(reverse) {}

    FileReport run(const FilePatch& fp);

  private:
    FileState existing(const std::string& path) const;
    fs::path writable(const std::string& path) const;
    std::string patched(const FilePatch& fp, const FileState& source, FileReport& report) const;

    const TreeGuard& guard_;
    Staging& staging_;
    unsigned fuzz_;
    bool reverse_;
};

FileState PatchRun::existing(const std::string& path) const {
    FileState state = staging_.lookup(guard_.resolve(path));
    if (!state.exists) throw Mismatch{"file " + quote(path) + " does not exist"};
    return state;
}

// The resolved path of a file the patch writes; Mismatch when no regular file can be there.
fs::path PatchRun::writable(const std::string& path) const {
    fs::path target = guard_.resolve(path);
    if (const auto why = staging_.whyNotWritable(target, guard_.root()))
        throw Mismatch{"cannot write " + quote(path) + ": " + *why};
    return target;
}

std::string PatchRun::patched(const FilePatch& fp, const FileState& source,
                              FileReport& report) const {
    const std::string_view content =
        source.exists ? std::string_view(*source.content) : std::string_view();
    detail::HunksResult result = detail::applyHunks(content, fp.hunks, fuzz_, reverse_);
    if (result.failedHunk) {
        const Hunk& hunk = fp.hunks[*result.failedHunk];
        std::string message = "hunk #" + std::to_string(*result.failedHunk + 1) + " of " +
                              quote(fp.path()) + " does not match (" + hunk.header + ")";
        if (fuzz_ > 0) message += " even with fuzz " + std::to_string(fuzz_);
        throw Mismatch{message};
    }
    for (std::size_t h = 0; h < fp.hunks.size(); ++h)
        report.hunks.push_back(
            {h + 1, fp.hunks[h].header, result.placements[h].offset, result.placements[h].fuzz});
    return std::move(result.content);
}

// Permission bits a patch may give a file: never setuid, setgid or sticky (a patch from a
// mailing list must not plant a setuid program in the build tree), as in the store.
constexpr unsigned kPermissionBits = 0777U;

FileState withContent(std::string content, unsigned mode) {
    return {.exists = true,
            .content = std::make_shared<const std::string>(std::move(content)),
            .mode = mode & kPermissionBits};
}

// A plain diff creating a file without /dev/null: one hunk "@@ -0,0 +1,N @@".
bool createsFile(const FilePatch& fp, bool reverse) {
    if (fp.op != FileOp::Modify || fp.hunks.size() != 1) return false;
    const Hunk& hunk = fp.hunks.front();
    return reverse ? hunk.newStart == 0 && hunk.newCount == 0
                   : hunk.oldStart == 0 && hunk.oldCount == 0;
}

FileReport PatchRun::run(const FilePatch& fp) {
    Task task = makeTask(fp, reverse_);
    FileReport report{fp.path(), fp.op, {}};
    if (createsFile(fp, reverse_)) {
        // Like GNU patch: such a hunk never applies to a non-empty file.
        const FileState state = staging_.lookup(guard_.resolve(task.to));
        if (state.exists && !state.content->empty())
            throw Mismatch{"file " + quote(task.to) + " to be created already exists"};
        task.op = state.exists ? FileOp::Modify : FileOp::Create;
    }
    if (task.op == FileOp::Create) {
        const fs::path target = writable(task.to);
        if (staging_.lookup(target).exists)
            throw Mismatch{"file " + quote(task.to) + " to be created already exists"};
        staging_.stage(target, withContent(patched(fp, {}, report), task.mode.value_or(0644)));
        return report;
    }
    const FileState source = existing(task.from);
    std::string content = patched(fp, source, report);
    const unsigned mode = task.mode.value_or(source.mode);
    if (task.op == FileOp::Delete) {
        if (!content.empty())
            throw Mismatch{"file " + quote(task.from) +
                           " to be deleted differs from the content the patch removes"};
        staging_.stage(guard_.resolve(task.from), FileState{});
        return report;
    }
    const fs::path target = writable(task.to);
    const bool moves = task.op == FileOp::Rename || task.op == FileOp::Copy;
    if (moves && task.to != task.from && staging_.lookup(target).exists)
        throw Mismatch{"target " + quote(task.to) + " of the " +
                       (task.op == FileOp::Rename ? "rename" : "copy") + " already exists"};
    staging_.stage(target, withContent(std::move(content), mode));
    if (task.op == FileOp::Rename && task.to != task.from)
        staging_.stage(guard_.resolve(task.from), FileState{});
    return report;
}

PatchStatus statusOf(const std::vector<FileReport>& files) {
    PatchStatus status = PatchStatus::Clean;
    for (const auto& file : files)
        for (const auto& hunk : file.hunks) {
            if (hunk.fuzz > 0) return PatchStatus::Fuzz;
            if (hunk.offset != 0) status = PatchStatus::Offset;
        }
    return status;
}

struct Outcome {
    PatchReport report;
    std::vector<StagedFile> staged;
};

// Runs every file patch; throws Mismatch at the first that does not apply.
std::vector<FileReport> runAll(const Patch& patch, const TreeGuard& guard, Staging& staging,
                               unsigned fuzz, bool reverse) {
    PatchRun run(guard, staging, fuzz, reverse);
    std::vector<FileReport> files;
    files.reserve(patch.files.size());
    for (const FilePatch& fp : patch.files)
        files.push_back(run.run(fp));
    return files;
}

Outcome evaluate(const Patch& patch, const fs::path& root, unsigned fuzz, const Overlay* base) {
    const TreeGuard guard(root);
    Outcome outcome;
    outcome.report.id = patch.name;
    outcome.report.patchFile = patch.name;
    Staging staging(base);
    try {
        outcome.report.files = runAll(patch, guard, staging, fuzz, false);
        outcome.report.status = statusOf(outcome.report.files);
        outcome.staged = staging.take();
        return outcome;
    } catch (const Mismatch& forward) {
        outcome.report.status = PatchStatus::Failed;
        outcome.report.message = forward.message;
    }
    try {
        Staging reverseStaging(base);
        runAll(patch, guard, reverseStaging, fuzz, true);
        outcome.report.status = PatchStatus::AlreadyApplied;
        outcome.report.message = "the patch is already applied (all its hunks apply in reverse)";
    } catch (const Mismatch&) {
        // Neither forwards nor backwards: report the forward failure.
    } catch (const PatchError&) {
        // Backwards, the patch names something that cannot be patched (a directory where it
        // would create a file): it is not applied, report the forward failure.
    }
    return outcome;
}

} // namespace

std::string_view statusName(PatchStatus status) {
    switch (status) {
    case PatchStatus::Clean:
        return "clean";
    case PatchStatus::Offset:
        return "offset";
    case PatchStatus::Fuzz:
        return "fuzz";
    case PatchStatus::Failed:
        return "failed";
    case PatchStatus::AlreadyApplied:
        break;
    }
    return "already-applied";
}

namespace {

std::string_view opName(FileOp op) {
    switch (op) {
    case FileOp::Modify:
        return "modify";
    case FileOp::Create:
        return "create";
    case FileOp::Delete:
        return "delete";
    case FileOp::Rename:
        return "rename";
    case FileOp::Copy:
        break;
    }
    return "copy";
}

} // namespace

nlohmann::json PatchReport::toJson() const {
    nlohmann::json fileList = nlohmann::json::array();
    for (const FileReport& file : files) {
        nlohmann::json hunkList = nlohmann::json::array();
        for (const HunkReport& hunk : file.hunks)
            hunkList.push_back({{"number", hunk.number},
                                {"header", hunk.header},
                                {"offset", hunk.offset},
                                {"fuzz", hunk.fuzz}});
        fileList.push_back({{"path", file.path}, {"op", opName(file.op)}, {"hunks", hunkList}});
    }
    return {{"id", id},
            {"patchFile", patchFile},
            {"status", statusName(status)},
            {"summary", summary()},
            {"message", message},
            {"files", fileList}};
}

long PatchReport::maxOffset() const {
    long best = 0;
    for (const auto& file : files)
        for (const auto& hunk : file.hunks)
            if (std::labs(hunk.offset) > std::labs(best)) best = hunk.offset;
    return best;
}

unsigned PatchReport::maxFuzz() const {
    unsigned best = 0;
    for (const auto& file : files)
        for (const auto& hunk : file.hunks)
            best = std::max(best, hunk.fuzz);
    return best;
}

std::string PatchReport::summary() const {
    switch (status) {
    case PatchStatus::Clean:
        return "clean";
    case PatchStatus::Offset: {
        const long offset = maxOffset();
        return "offset " + std::string(offset > 0 ? "+" : "") + std::to_string(offset);
    }
    case PatchStatus::Fuzz:
        return "fuzz " + std::to_string(maxFuzz());
    case PatchStatus::AlreadyApplied:
        return "already applied";
    case PatchStatus::Failed:
        break;
    }
    return "failed: " + message;
}

PatchReport applyPatch(const Patch& patch, const fs::path& root, const ApplyOptions& options) {
    Outcome outcome = evaluate(patch, root, options.fuzz, nullptr);
    if (!options.dryRun && !outcome.staged.empty()) detail::commitFiles(outcome.staged);
    return std::move(outcome.report);
}

namespace detail {

PatchReport applyInSeries(const Patch& patch, const PatchJob& job, Overlay& overlay) {
    Outcome outcome = evaluate(patch, job.projectRoot, job.fuzz, &overlay);
    outcome.report.id = job.id;
    overlay.merge(std::move(outcome.staged));
    return std::move(outcome.report);
}

} // namespace detail

} // namespace xenbuild::patch
