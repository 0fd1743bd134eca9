#pragma once
// The XDG base directories (freedesktop.org's Base Directory Specification): where per-user
// caches and configuration live. A relative $XDG_* value is ignored, as the specification says.

#include <filesystem>

namespace xenbuild::util {

// $XDG_CACHE_HOME when it is an absolute path, else $HOME/.cache; empty when HOME is unset or
// empty as well.
std::filesystem::path xdgCacheHome();

// $XDG_CONFIG_HOME when it is an absolute path, else $HOME/.config; empty when HOME is unset or
// empty as well.
std::filesystem::path xdgConfigHome();

} // namespace xenbuild::util
