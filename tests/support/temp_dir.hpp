#pragma once
// The one temporary-directory helper of the test suite: a util::TempDir directly under /tmp,
// whatever TMPDIR says (short paths: gpg-agent fails when GNUPGHOME is long), removed with
// everything in it afterwards, including trees the store made read-only; with file shortcuts.

#include "support/files.hpp"
#include "xenbuild/util/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>

namespace xenbuild::testing {

class TempDir : public util::TempDir {
  public:
    explicit TempDir(const std::string& prefix = "xb-") : util::TempDir(prefix, "/tmp") {}

    // Shortcuts for files relative to the directory.
    // write() keeps the mode of a file it replaces (patch tests check modes).
    void write(const std::string& rel, const std::string& content) const {
        std::filesystem::create_directories((path() / rel).parent_path());
        std::ofstream(path() / rel, std::ios::binary) << content;
    }
    std::string read(const std::string& rel) const { return readFile(path() / rel); }
    bool exists(const std::string& rel) const {
        return std::filesystem::exists(std::filesystem::symlink_status(path() / rel));
    }
    unsigned mode(const std::string& rel) const {
        struct stat st {};
        ::stat((path() / rel).c_str(), &st);
        return st.st_mode & 07777U;
    }
};

} // namespace xenbuild::testing
