// Fuzz target: the unified/git diff parser (patch/diff.hpp) and the patch applier
// (patch/apply.hpp) on a small tree.
//
// The input is a file set (fuzz_support.hpp): files named "*.patch" at the top are the patches,
// applied in name order as one series; "fuzz" holds the allowed fuzz (a digit, default 0);
// every other name is a file of the tree, and a name ending in '@' is a symbolic link whose
// target is the content's first line (kept inside the scratch area, which holds the tree and,
// beside it, a sentinel directory standing for "outside").
//
// Checked: malformed patches are PatchError; hunks hold exactly the lines their headers count;
// a dry run of the series reports what the real run then does; applying never writes outside
// the tree, never leaves a setuid, setgid or sticky file, and never follows a link out of it.

#include "fuzz/fuzz_support.hpp"
#include "xenbuild/patch/apply.hpp"
#include "xenbuild/patch/diff.hpp"

#include <algorithm>
#include <map>

#include <sys/stat.h>

namespace {

using namespace xenbuild;
namespace fs = std::filesystem;

struct Area {
    fs::path base = fuzz::scratch() / "patch";
    fs::path in = base / "in";           // the patch files
    fs::path root = base / "root";       // holds only `tree`
    fs::path tree = root / "tree";       // the project tree patched
    fs::path outside = base / "outside"; // holds only `sentinel`
};

constexpr std::string_view kSentinel = "outside the tree\n";

void checkHunkCounts(const patch::Patch& parsed) {
    for (const auto& file : parsed.files) {
        fuzz::check(!file.path().empty(), "a file patch without a path");
        for (const auto& hunk : file.hunks) {
            std::size_t oldLines = 0;
            std::size_t newLines = 0;
            for (const auto& line : hunk.lines) {
                oldLines += line.kind != patch::HunkLine::Kind::Add ? 1 : 0;
                newLines += line.kind != patch::HunkLine::Kind::Remove ? 1 : 0;
            }
            fuzz::check(oldLines == hunk.oldCount && newLines == hunk.newCount,
                        "hunk " + hunk.header + " holds other line counts than its header");
        }
    }
}

bool isInside(const fs::path& path, const fs::path& dir) {
    const auto rel = path.lexically_relative(dir);
    return !rel.empty() && *rel.begin() != "..";
}

// Removes every link that resolves, following links, outside the scratch area, until none
// does: whatever the applier does wrong, it cannot reach beyond the area.
void pruneLinks(const Area& area) {
    const fs::path base = fs::canonical(area.base);
    for (bool removed = true; removed;) {
        removed = false;
        for (const auto& entry : fs::recursive_directory_iterator(area.tree)) {
            if (!entry.is_symlink()) continue;
            std::error_code error;
            const fs::path resolved = fs::weakly_canonical(entry.path(), error);
            if (error || !isInside(resolved, base)) {
                fs::remove(entry.path());
                removed = true;
                break;
            }
        }
    }
}

// Creates the parents of `name` below `tree` as real directories; false when one is something
// else (a file or a link: nothing is created through a link).
bool makeParents(const fs::path& tree, const std::string& name) {
    fs::path dir = tree;
    const fs::path rel = fs::path(name).parent_path();
    for (const auto& part : rel) {
        dir /= part;
        const auto status = fs::symlink_status(dir);
        if (!fs::exists(status)) {
            fs::create_directory(dir);
        } else if (!fs::is_directory(status)) {
            return false;
        }
    }
    return !fs::exists(fs::symlink_status(tree / name));
}

// Files first, then links, so that no file is created through a link.
void makeTree(const Area& area, const std::vector<fuzz::NamedFile>& files) {
    for (const bool links : {false, true}) {
        for (const auto& file : files) {
            const bool isLink = file.name.ends_with('@');
            const std::string name = isLink ? file.name.substr(0, file.name.size() - 1) : file.name;
            if (isLink != links || !fuzz::isPlainRelativePath(name, 4) ||
                name.ends_with(".patch") || name == "fuzz" || !makeParents(area.tree, name))
                continue;
            if (!isLink) {
                fuzz::writeFile(area.tree / name, file.content);
                continue;
            }
            std::string target = file.content.substr(0, file.content.find('\n'));
            if (!target.empty() && target.front() == '/')
                target = (area.outside / fs::path(target).relative_path()).string();
            std::error_code error;
            if (!target.empty() && target.find('\0') == std::string::npos)
                fs::create_symlink(target, area.tree / name, error);
        }
    }
    pruneLinks(area);
}

std::map<std::string, std::string> listTree(const fs::path& dir) {
    std::map<std::string, std::string> entries;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        const auto status = entry.symlink_status();
        const std::string rel = entry.path().lexically_relative(dir).string();
        const auto perms = static_cast<unsigned>(status.permissions());
        fuzz::check((perms & 07000U) == 0, "setuid, setgid or sticky bit on " + rel);
        entries[rel] = std::to_string(static_cast<int>(status.type()));
    }
    return entries;
}

void checkConfined(const Area& area) {
    std::vector<std::string> rootEntries;
    for (const auto& entry : fs::directory_iterator(area.root))
        rootEntries.push_back(entry.path().filename().string());
    fuzz::check(rootEntries == std::vector<std::string>{"tree"},
                "something written beside the tree");
    const auto outside = listTree(area.outside);
    fuzz::check(outside.size() == 1 && outside.count("sentinel") == 1,
                "something written in the directory outside the tree");
    struct stat st {};
    fuzz::check(::lstat((area.outside / "sentinel").c_str(), &st) == 0 &&
                    static_cast<std::size_t>(st.st_size) == kSentinel.size(),
                "the file outside the tree changed");
    listTree(area.tree);
}

std::vector<patch::PatchJob>
writePatches(const Area& area, const std::vector<fuzz::NamedFile>& files, unsigned allowance) {
    std::vector<patch::PatchJob> jobs;
    for (const auto& file : files) {
        if (!file.name.ends_with(".patch") || file.name.find('/') != std::string::npos) continue;
        const fs::path path = area.in / std::to_string(jobs.size());
        fuzz::writeFile(path, file.content);
        jobs.push_back({file.name, path, area.tree, allowance});
        patch::Patch parsed;
        if (fuzz::expectOnlyErrors([&] { parsed = patch::parsePatch(file.content, file.name); }))
            checkHunkCounts(parsed);
    }
    return jobs;
}

// The reports of a series run, or the error it threw, as text to compare.
std::string runSeries(const std::vector<patch::PatchJob>& jobs, bool dryRun) {
    patch::SeriesOptions options;
    options.dryRun = dryRun;
    options.stopAtFailure = false;
    std::string out;
    try {
        for (const auto& report : patch::applySeries(jobs, options))
            out += std::string(patch::statusName(report.status)) + ": " + report.message + "\n";
    } catch (const Error& e) {
        out = std::string("error: ") + e.what();
    } catch (const std::exception& e) {
        fuzz::fail(std::string("exception outside the xenbuild::Error hierarchy: ") + e.what());
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto files = fuzz::splitFiles(fuzz::asText(data, size));
    if (files.size() > 24) return 0;
    const Area area;
    for (const auto& dir : {area.in, area.root, area.outside})
        fuzz::resetDir(dir);
    fs::create_directories(area.tree);
    fuzz::writeFile(area.outside / "sentinel", kSentinel);
    unsigned allowance = 0;
    for (const auto& file : files) {
        if (file.name == "fuzz" && !file.content.empty() && file.content[0] >= '0' &&
            file.content[0] <= '3')
            allowance = static_cast<unsigned>(file.content[0] - '0');
    }
    makeTree(area, files);
    const auto jobs = writePatches(area, files, allowance);
    if (jobs.empty()) return 0;

    const std::string dry = runSeries(jobs, true);
    checkConfined(area);
    const std::string real = runSeries(jobs, false);
    checkConfined(area);
    fuzz::check(dry == real, "the dry run and the run differ:\n" + dry + "\nagainst\n" + real);
    return 0;
}
