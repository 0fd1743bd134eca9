#pragma once
// Temporary directories: created private (0700) with a fresh name, removed with everything in
// them, read-only trees included.

#include <filesystem>
#include <string>

namespace xenbuild::util {

// Creates a new directory `<base>/<prefix>XXXXXX` (mkdtemp, mode 0700) and returns its path;
// `base` defaults to the system's temporary directory ($TMPDIR, else /tmp). Throws SystemError
// "cannot create a temporary directory in '<base>': <reason>".
std::filesystem::path makeTempDir(const std::string& prefix = "xenbuild-",
                                  const std::filesystem::path& base = {});

// A directory made by makeTempDir, removed (removeReadOnly) when the object goes, unless
// released. Removal errors are ignored: a destructor cannot report them.
class TempDir {
  public:
    explicit TempDir(const std::string& prefix = "xenbuild-",
                     const std::filesystem::path& base = {});
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    // Keeps the directory: it is no longer removed. Returns its path.
    std::filesystem::path release() noexcept;

  private:
    void remove() noexcept;
    std::filesystem::path path_; // empty once released or moved from
};

} // namespace xenbuild::util
