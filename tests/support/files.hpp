#pragma once
// The test suite's file helpers: the one readFile, writeFile and editFile, a directory's names,
// and shell quoting.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace xenbuild::testing {

namespace fs = std::filesystem;

// The file's bytes; "" when it does not exist or cannot be read.
inline std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Writes `content` (parents created), mode 0644 or 0755.
inline void writeFile(const fs::path& path, const std::string& content, bool executable = false) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    fs::permissions(path, executable ? fs::perms(0755) : fs::perms(0644));
}

// Replaces the first occurrence of `from` in a file; fails the test when it is absent.
inline void editFile(const fs::path& path, const std::string& from, const std::string& to) {
    std::string text = readFile(path);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    writeFile(path, text);
}

// The names of a directory's entries, sorted.
inline std::vector<std::string> fileNames(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

inline std::string shellQuote(const std::string& text) {
    std::string out = "'";
    for (const char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

} // namespace xenbuild::testing
