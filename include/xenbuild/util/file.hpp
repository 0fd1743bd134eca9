#pragma once
// Files whole: reading, writing and removing them, the one way the code base does it.
//
// Untrusted input (recipes, advisories, local patches) is read with readRegularFile: only regular
// files are read (a FIFO would block forever, /dev/zero would never end), never more than a
// limit, and every refusal says what the path is instead of what the read did. Files the program
// made or was pointed at as its own (store metadata, build outputs, a tree being patched) are
// read with readFile.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
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

// The whole content of the file at `path` (links followed). Throws SystemError
// "cannot open '<path>': <reason>" or "cannot read '<path>': <reason>".
std::string readFile(const std::filesystem::path& path);

// Reads `fd` to its end, handing each piece read to `sink` (EINTR is retried). `path` names the
// file in the message: SystemError "cannot read '<path>': <reason>".
void readChunks(int fd, const std::filesystem::path& path,
                const std::function<void(std::string_view)>& sink);

// Writes all of `data` to `fd`, continuing after short writes and EINTR. Returns the error that
// stopped it, or no error. Never throws: usable from C callbacks.
std::error_code tryWriteAll(int fd, std::string_view data) noexcept;

// Writes all of `data` to `fd`, the file at `path` (named in the message). Throws SystemError
// "cannot write '<path>': <reason>".
void writeAll(int fd, std::string_view data, const std::filesystem::path& path);

// Replaces the file at `path` with `content` atomically: a temporary beside it
// (`<path>.tmp~<pid>-<n>`, unique per thread) is written, flushed to disk and renamed over
// `path`, so a reader sees the old content or the new one, never a part. The temporary is removed
// when anything fails. Throws SystemError naming the temporary: "cannot create '<temp>': ...",
// "cannot write '<temp>': ..." or "cannot rename '<temp>': ...".
void writeFileAtomic(const std::filesystem::path& path, std::string_view content,
                     unsigned mode = 0644);

// Makes `link` a symbolic link to `target`, replacing what was there atomically: the link is
// made under a temporary name beside it (`<link>.tmp~<pid>-<n>`, unique per process and thread,
// so two processes linking the same result at once cannot take each other's temporary) and
// renamed over `link`. Throws SystemError "cannot link '<link>': <reason>".
void replaceWithSymlink(const std::filesystem::path& link, const std::filesystem::path& target);

// Removes `path` and everything below it, read-only directories too (as the store leaves them):
// directories are made writable first; symbolic links are removed, never followed. A path that
// does not exist is no error. Throws SystemError "cannot remove '<path>': <reason>".
void removeReadOnly(const std::filesystem::path& path);

} // namespace xenbuild::util
