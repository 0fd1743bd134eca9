#pragma once
// Shared pieces of the fuzz targets (docs/HACKING.md, "Fuzzing"): the contract every target
// checks (bad input is an xenbuild::Error, nothing else), file sets packed into one input, and
// one scratch directory per process.

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/temp_dir.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <stdlib.h>

namespace xenbuild::fuzz {

// Reports a broken property and aborts: libFuzzer (or the replay driver) records the input.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz target failure: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

inline void check(bool condition, const std::string& what) {
    if (!condition) fail(what);
}

// Runs `body`; an xenbuild::Error is the expected answer to bad input, any other exception
// (nlohmann, std::out_of_range, std::filesystem, std::bad_alloc...) is a defect: the CLI would
// print it as "internal:".
template <typename Body>
bool expectOnlyErrors(Body&& body) {
    try {
        body();
        return true;
    } catch (const xenbuild::Error&) {
        return false;
    } catch (const std::exception& e) {
        fail(std::string("exception outside the xenbuild::Error hierarchy: ") + e.what());
    } catch (...) {
        fail("exception of unknown type");
    }
}

inline std::string_view asText(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Several named files packed into one input, each introduced by a line "==> NAME <==" (the
// format of `head` on several files). Text before the first marker is ignored. Names are taken
// as written; callers decide which they accept.
struct NamedFile {
    std::string name;
    std::string content;
};

inline std::vector<NamedFile> splitFiles(std::string_view text) {
    constexpr std::string_view open = "==> ";
    constexpr std::string_view close = " <==";
    std::vector<NamedFile> files;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        const bool last = end == std::string_view::npos;
        if (last) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        if (line.starts_with(open) && line.ends_with(close) &&
            line.size() >= open.size() + close.size()) {
            files.push_back(
                {std::string(line.substr(open.size(), line.size() - open.size() - close.size())),
                 {}});
        } else if (!files.empty()) {
            files.back().content.append(line);
            if (!last) files.back().content.push_back('\n');
        }
        pos = end + 1;
    }
    return files;
}

// A path of one to `maxDepth` components of [A-Za-z0-9._-], none "." or "..": safe to create
// under a scratch directory.
inline bool isPlainRelativePath(const std::string& name, std::size_t maxDepth) {
    if (name.empty() || name.size() > 200) return false;
    std::size_t depth = 0;
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t end = std::min(name.find('/', start), name.size());
        const std::string_view part = std::string_view(name).substr(start, end - start);
        if (part.empty() || part == "." || part == ".." || ++depth > maxDepth) return false;
        for (const char c : part) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
            if (!ok) return false;
        }
        start = end + 1;
    }
    return true;
}

// The process's scratch directory, created on first use in $XENBUILD_FUZZ_SCRATCH, else in
// /dev/shm when there is one (targets that write trees run several times faster on a tmpfs),
// else in /tmp; removed at exit (scripts/fuzz.sh removes what a crashed target leaves).
inline util::TempDir makeScratchDir() {
    const char* parent = std::getenv("XENBUILD_FUZZ_SCRATCH");
    if (parent == nullptr || *parent == '\0')
        parent = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    try {
        return util::TempDir("xb-fuzz-", parent);
    } catch (const Error& e) {
        fail(e.what());
    }
}

inline const std::filesystem::path& scratch() {
    static const util::TempDir dir = makeScratchDir();
    return dir.path();
}

// Makes `path` an empty directory (removing what an earlier input left there).
inline void resetDir(const std::filesystem::path& path) {
    util::removeReadOnly(path);
    std::filesystem::create_directories(path);
}

inline void writeFile(const std::filesystem::path& path, std::string_view content) {
    std::filesystem::create_directories(path.parent_path());
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) fail("cannot create scratch file " + path.string());
    const bool ok = std::fwrite(content.data(), 1, content.size(), file) == content.size();
    if (std::fclose(file) != 0 || !ok) fail("cannot write scratch file " + path.string());
}

} // namespace xenbuild::fuzz
