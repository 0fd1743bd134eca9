// Fuzz target: the archive extractor (fetch/archive.hpp) on random tar/zip/compressed bytes.
//
// The archive is extracted into <area>/root/dest, once as is and once with the top-level
// directory stripped. Checked: a bad archive is an xenbuild::Error; afterwards <area>/root holds
// nothing but dest (no scratch directory left, nothing written beside it); dest holds only
// directories, regular files and symlinks, without setuid, setgid or sticky bits; every
// symlink, followed through the links extracted with it (and lexically past missing parts),
// stays inside dest; no file is hard-linked to anything outside dest.
//
// Written files are capped at 8 MiB each (RLIMIT_FSIZE; writing more fails with EFBIG) so that a
// small compressed input cannot fill the disk while fuzzing (scripts/fuzz.sh also keeps this
// target's scratch directory on disk, not in memory).

#include "fuzz/fuzz_support.hpp"
#include "xenbuild/fetch/archive.hpp"

#include <csignal>
#include <map>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace xenbuild;
namespace fs = std::filesystem;

void limitFileSize() {
    static const bool done = [] {
        std::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{8 << 20, 8 << 20};
        return ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
    }();
    fuzz::check(done, "cannot limit the file size");
}

std::vector<std::string> components(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

std::string joined(const fs::path& dest, const std::vector<std::string>& parts) {
    std::string out = dest.string();
    for (const auto& part : parts)
        out += "/" + part;
    return out;
}

// Follows `target` from the directory `dir` (components below dest) as the kernel would, using
// the links in the tree; missing components are taken lexically. False when it leaves dest.
bool staysInside(const fs::path& dest, std::vector<std::string> dir, const std::string& target,
                 int& budget) {
    if (target.empty() || target.front() == '/') return false;
    const auto parts = components(target);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& part = parts[i];
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (dir.empty()) return false;
            dir.pop_back();
            continue;
        }
        dir.push_back(part);
        struct stat st {};
        if (::lstat(joined(dest, dir).c_str(), &st) != 0) continue; // missing: lexically
        if (S_ISLNK(st.st_mode)) {
            if (--budget < 0) return true; // a loop: resolves nowhere
            // Go on from where the link leads, with what is left of the target.
            std::string through = fs::read_symlink(joined(dest, dir)).string();
            for (std::size_t j = i + 1; j < parts.size(); ++j)
                through += "/" + parts[j];
            dir.pop_back();
            return staysInside(dest, dir, through, budget);
        }
        if (!S_ISDIR(st.st_mode) && i + 1 < parts.size()) return true; // ENOTDIR
    }
    return true;
}

void checkTree(const fs::path& dest) {
    std::map<ino_t, nlink_t> links; // inode -> names found in dest
    std::map<ino_t, nlink_t> expected;
    for (auto it = fs::recursive_directory_iterator(dest); it != fs::recursive_directory_iterator();
         ++it) {
        const fs::path& path = it->path();
        const std::string rel = path.lexically_relative(dest).string();
        struct stat st {};
        fuzz::check(::lstat(path.c_str(), &st) == 0, "cannot stat " + rel);
        fuzz::check(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) || S_ISLNK(st.st_mode),
                    "a device, fifo or socket extracted: " + rel);
        fuzz::check((st.st_mode & 07000) == 0, "setuid, setgid or sticky bit on " + rel);
        if (S_ISREG(st.st_mode)) {
            ++links[st.st_ino];
            expected[st.st_ino] = st.st_nlink;
        }
        if (S_ISLNK(st.st_mode)) {
            auto parts = components(rel);
            parts.pop_back();
            int budget = 40;
            fuzz::check(staysInside(dest, parts, fs::read_symlink(path).string(), budget),
                        "the symlink " + rel + " -> " + fs::read_symlink(path).string() +
                            " resolves outside the extracted tree");
        }
    }
    for (const auto& [inode, count] : links)
        fuzz::check(expected[inode] == count, "a file hard-linked to a file outside the tree");
}

void extractAndCheck(const fs::path& archive, const fs::path& root, bool strip) {
    fuzz::resetDir(root);
    const fs::path dest = root / "dest";
    const bool ok = fuzz::expectOnlyErrors([&] { fetch::extractArchive(archive, dest, strip); });
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root))
        names.push_back(entry.path().filename().string());
    const bool onlyDest = names.empty() || names == std::vector<std::string>{"dest"};
    fuzz::check(onlyDest, "extracting left or wrote something beside the destination");
    fuzz::check(!ok || names.size() == 1, "extraction succeeded without a destination");
    if (!names.empty()) {
        struct stat st {};
        fuzz::check(::lstat(dest.c_str(), &st) == 0 && S_ISDIR(st.st_mode),
                    "the destination is not a directory");
        checkTree(dest);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    limitFileSize();
    const fs::path base = fuzz::scratch() / "archive";
    fuzz::resetDir(base);
    const fs::path archive = base / "input";
    fuzz::writeFile(archive, fuzz::asText(data, size));
    extractAndCheck(archive, base / "root", false);
    extractAndCheck(archive, base / "root", true);
    struct stat st {};
    fuzz::check(::lstat(archive.c_str(), &st) == 0 && static_cast<std::size_t>(st.st_size) == size,
                "the archive itself changed");
    return 0;
}
