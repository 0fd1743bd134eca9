#pragma once
// The one temporary-directory helper of the test suite: a directory directly under /tmp (short
// paths: gpg-agent fails when GNUPGHOME is long), removed with everything in it afterwards,
// including trees the store made read-only.

#include "xenbuild/store/store.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace xenbuild::test {

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

  private:
    std::filesystem::path path_;
};

} // namespace xenbuild::test
