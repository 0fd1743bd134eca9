#pragma once
// Paths that come from input (recipe fields such as stageAt) and are joined under a directory the
// program owns. Lexical checks first; then, when joining, no component may be a symbolic link
// that would carry the path out of the directory.

#include <filesystem>
#include <string>
#include <string_view>

namespace xenbuild::util {

// Why `relative` is not a plain relative path, or "" when it is one. A plain relative path is
// not empty, not absolute, holds no NUL, control character or backslash, and has no empty
// ("a//b", a leading or trailing '/'), '.' or '..' component: it names a place below the
// directory it is joined to, and only that place.
std::string relativePathProblem(std::string_view relative);

// Why `absolute` is not an absolute, normalised path other than "/", or "" when it is one:
// "/" followed by a plain relative path (above), e.g. "/usr" or "/boot/efi".
std::string absolutePathProblem(std::string_view absolute);

// Why `root / relative` would not stay inside `root`, or "" when it does: `relative` is not plain
// (see above; empty stands for `root` itself), or one of its components below `root` exists as a
// symbolic link (the last one aside: replacing a link does not follow it). Reads the filesystem.
std::string confinementProblem(const std::filesystem::path& root, std::string_view relative);

} // namespace xenbuild::util
