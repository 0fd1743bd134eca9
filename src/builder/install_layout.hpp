#pragma once
// Turning what `make dist-*` installed under DESTDIR into one directory per output.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xenbuild::builder::detail {

// Splits the install root (DESTDIR, holding the target host's paths: /usr/sbin/xl,
// /boot/xen.gz, ...) into the outputs. `outputs`: the plan's outputs, the first taking whatever
// no other output claims. `outputPaths`: output -> the absolute install paths it takes (the
// plan's outputPaths). `staged`: output name -> an empty, not yet existing directory to fill.
// Each file keeps its install path inside its output (<staged boot>/boot/xen.gz); when paths
// of two outputs nest, the longer one wins. Every output directory is created, empty if
// nothing was installed for it; directories that a move left empty are removed, the others
// (empty ones make installed too, such as /var/lib/xen) are kept. Throws BuildError when
// nothing was installed.
void splitInstallRoot(const std::filesystem::path& installRoot,
                      const std::vector<std::string>& outputs,
                      const std::map<std::string, std::vector<std::string>>& outputPaths,
                      const std::map<std::string, std::filesystem::path>& staged);

// Moves the tree `from` into `to`, merging directories that exist on both sides. Throws
// BuildError when a non-directory exists on both sides.
void mergeMove(const std::filesystem::path& from, const std::filesystem::path& to);

} // namespace xenbuild::builder::detail
