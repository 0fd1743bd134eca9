#pragma once
// The one temporary-directory helper of the test suite: a directory directly under /tmp (short
// paths: gpg-agent fails when GNUPGHOME is long), removed with everything in it afterwards,
// including trees the store made read-only.

#include "support/files.hpp"
#include "xenbuild/store/store.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <sys/stat.h>

namespace xenbuild::testing {

class TempDir {
  public:
    explicit TempDir(const std::string& prefix = "xb-") {
        std::string pattern = "/tmp/" + prefix + "XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        try {
            xenbuild::store::removeReadOnly(path_);
        } catch (...) {
        }
    }
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

    // Shortcuts for files relative to the directory.
    // write() keeps the mode of a file it replaces (patch tests check modes).
    void write(const std::string& rel, const std::string& content) const {
        std::filesystem::create_directories((path_ / rel).parent_path());
        std::ofstream(path_ / rel, std::ios::binary) << content;
    }
    std::string read(const std::string& rel) const { return readFile(path_ / rel); }
    bool exists(const std::string& rel) const {
        return std::filesystem::exists(std::filesystem::symlink_status(path_ / rel));
    }
    unsigned mode(const std::string& rel) const {
        struct stat st {};
        ::stat((path_ / rel).c_str(), &st);
        return st.st_mode & 07777U;
    }

  private:
    std::filesystem::path path_;
};

} // namespace xenbuild::testing
