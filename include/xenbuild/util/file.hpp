#pragma once
// Reading untrusted input files whole: recipes, advisories, local patches. Only regular files are
// read (a FIFO would block forever, /dev/zero would never end), never more than a limit, and
// every refusal says what the path is instead of what the read did.

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

namespace xenbuild::util {

inline constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// The largest patch file read, upstream or local (XSA patches are kilobytes, a large backport a
// few MiB). The recipe loader hashes local patches and the patch module parses them: one limit.
inline constexpr std::uint64_t kMaxPatchBytes = 64 * kMiB;

struct ReadLimits {
    std::string what = "file";          // the file's role in messages: "recipe file", "advisory"
    std::uint64_t maxBytes = 16 * kMiB; // larger files are refused
    bool followSymlinks = true;         // false: a symbolic link is refused, not followed
};

// The whole content of the regular file at `path`. Throws SystemError naming `limits.what` and
// the path when it does not exist or cannot be read, is a directory, FIFO, device or socket (which
// is never opened), is a refused symbolic link or a symbolic-link loop, or holds more than
// `limits.maxBytes` bytes.
std::string readRegularFile(const std::filesystem::path& path, const ReadLimits& limits);

// What a failed filesystem call on `path` means, for messages: for a symbolic-link loop
// (ELOOP), "symbolic link loop at '<the first prefix of path that loops>'"; otherwise the
// system's text for `error`.
std::string describeFileError(const std::filesystem::path& path, const std::error_code& error);

// "16 MiB" for whole mebibytes, else "<n> bytes".
std::string formatSize(std::uint64_t bytes);

} // namespace xenbuild::util
