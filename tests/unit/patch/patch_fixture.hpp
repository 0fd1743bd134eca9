#pragma once
// Helpers for the patch tests: a temporary tree removed afterwards, and file shortcuts.

#include "xenbuild/util/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>

namespace xenbuild::patch::testing {

class TempTree {
  public:
    const std::filesystem::path& root() const { return dir_.path(); }
    std::filesystem::path operator/(const std::string& rel) const { return root() / rel; }

    void write(const std::string& rel, const std::string& content) const {
        const auto path = root() / rel;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }

    std::string read(const std::string& rel) const {
        std::ifstream in(root() / rel, std::ios::binary);
        if (!in) throw std::runtime_error("missing file " + rel);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

    bool exists(const std::string& rel) const {
        return std::filesystem::exists(std::filesystem::symlink_status(root() / rel));
    }

    unsigned mode(const std::string& rel) const {
        struct stat st {};
        ::stat((root() / rel).c_str(), &st);
        return st.st_mode & 07777U;
    }

  private:
    util::TempDir dir_{"xb-patch-"};
};

// "line 1\n" ... "line n\n"
inline std::string numberedLines(int from, int to, const std::string& stem = "line ") {
    std::string text;
    for (int i = from; i <= to; ++i)
        text += stem + std::to_string(i) + "\n";
    return text;
}

} // namespace xenbuild::patch::testing
