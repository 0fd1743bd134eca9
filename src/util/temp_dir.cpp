#include "xenbuild/util/temp_dir.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <utility>

namespace fs = std::filesystem;

namespace xenbuild::util {

fs::path makeTempDir(const std::string& prefix, const fs::path& base) {
    fs::path parent = base;
    if (parent.empty()) {
        std::error_code error;
        parent = fs::temp_directory_path(error);
        if (error) parent = "/tmp";
    }
    std::string pattern = (parent / (prefix + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        const int saved = errno;
        throw SystemError("cannot create a temporary directory in " + quote(parent.string()) +
                          ": " + std::strerror(saved));
    }
    return pattern;
}

TempDir::TempDir(const std::string& prefix, const fs::path& base)
    : path_(makeTempDir(prefix, base)) {}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        remove();
        path_ = std::exchange(other.path_, {});
    }
    return *this;
}

TempDir::~TempDir() {
    remove();
}

fs::path TempDir::release() noexcept {
    return std::exchange(path_, {});
}

void TempDir::remove() noexcept {
    if (path_.empty()) return;
    try {
        removeReadOnly(path_);
    } catch (...) {
    }
    path_.clear();
}

} // namespace xenbuild::util
