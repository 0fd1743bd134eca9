#pragma once
// Test helpers for recipe and CLI tests: temporary directories, a copy of the checked-in
// recipes, golden files (XENBUILD_ACCEPT=1 rewrites them) and running the built binary.

#include "support/test_paths.hpp"
#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace xenbuild::test {

namespace fs = std::filesystem;

inline fs::path sourceRecipes() {
    return fs::path(::xenbuild::test::sourceDir()) / "recipes";
}

// <dir>/recipes: a copy of the checked-in recipe directory.
inline fs::path copyRecipes(const fs::path& dir) {
    fs::copy(sourceRecipes(), dir / "recipes", fs::copy_options::recursive);
    return dir / "recipes";
}

inline std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void writeFile(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Replaces the first occurrence of `from` in a file; fails the test when it is absent.
inline void editFile(const fs::path& path, const std::string& from, const std::string& to) {
    std::string text = readFile(path);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    writeFile(path, text);
}

// Compares `actual` with tests/golden/<name>; with XENBUILD_ACCEPT=1 rewrites the file instead.
inline void checkGolden(const std::string& name, const std::string& actual) {
    const fs::path path = fs::path(::xenbuild::test::goldenDir()) / name;
    const char* accept = std::getenv("XENBUILD_ACCEPT");
    if (accept != nullptr && std::string(accept) == "1") {
        writeFile(path, actual);
        WARN("accepted golden " << path.string());
        return;
    }
    INFO("golden file " << path.string() << " (XENBUILD_ACCEPT=1 rewrites it)");
    REQUIRE(fs::exists(path));
    CHECK(actual == readFile(path));
}

struct RunResult {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string shellQuote(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out.push_back(c);
        }
    }
    return out + "'";
}

// Runs the built xenbuild in `cwd` with a clean environment (fixed PATH, XENBUILD_TODAY).
inline RunResult runXenbuild(const std::vector<std::string>& args, const fs::path& cwd,
                             const std::string& today = "2026-11-21") {
    std::string command = "cd " + shellQuote(cwd.string()) +
                          " && env -i PATH=/usr/bin:/bin HOME=" + shellQuote(cwd.string()) +
                          " XENBUILD_TODAY=" + shellQuote(today) + " " +
                          shellQuote(::xenbuild::test::xenbuildBinary());
    for (const auto& arg : args)
        command += " " + shellQuote(arg);
    command += " >" + shellQuote((cwd / ".stdout").string()) + " 2>" +
               shellQuote((cwd / ".stderr").string());
    const int raw = std::system(command.c_str());
    RunResult result;
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    result.out = readFile(cwd / ".stdout");
    result.err = readFile(cwd / ".stderr");
    fs::remove(cwd / ".stdout");
    fs::remove(cwd / ".stderr");
    return result;
}

} // namespace xenbuild::test
