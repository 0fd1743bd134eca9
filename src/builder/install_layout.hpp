#pragma once
// Turning what `make dist-*` installed under DESTDIR into one directory per output.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xenbuild::builder::detail {

// `finalPaths`: output name -> its store path (the prefix configure was given).
// `staged`: output name -> an empty, not yet existing directory to fill.
// Files under installRoot/<final path of X> go to staged[X]. What Xen installs outside the
// prefixes (/etc, /var, /lib/systemd, ...) goes into the "out" output at the same relative
// path; /boot goes into "boot" when there is one. Returns the relative paths that were moved
// into "out" that way, for the log. Throws BuildError on a file that two outputs claim.
std::vector<std::string>
splitInstallRoot(const std::filesystem::path& installRoot,
                 const std::map<std::string, std::filesystem::path>& finalPaths,
                 const std::map<std::string, std::filesystem::path>& staged);

// Moves the tree `from` into `to`, merging directories that exist on both sides. Throws
// BuildError when a non-directory exists on both sides.
void mergeMove(const std::filesystem::path& from, const std::filesystem::path& to);

} // namespace xenbuild::builder::detail
