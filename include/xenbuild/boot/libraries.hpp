#pragma once
// The shared libraries a set of programs needs, found the way the dynamic linker would but
// without running it: DT_NEEDED names followed transitively, each looked up in the requesting
// object's run paths ($ORIGIN expanded), then in the given directories in order. A candidate of
// another ELF class or machine (an i386 library on a multilib host) is skipped.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::boot {

struct ResolvedLibrary {
    std::string name;           // the DT_NEEDED name, e.g. "libxenlight.so.4.17"
    std::filesystem::path path; // where it was found (symlinks not resolved)
};

struct LibraryClosure {
    std::optional<std::string> interpreter; // PT_INTERP shared by the programs, if dynamic
    std::vector<ResolvedLibrary> libraries; // sorted by name, each once
};

// Throws BuildError naming the library, the object that needs it and the directories searched
// when a library is not found, or when the programs ask for different interpreters.
LibraryClosure resolveLibraries(const std::vector<std::filesystem::path>& programs,
                                const std::vector<std::filesystem::path>& searchDirs);

// The host's standard library directories that exist, in the dynamic linker's order on
// Debian x86-64: /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64, /usr/lib64, /lib,
// /usr/lib.
std::vector<std::filesystem::path> hostLibraryDirs();

} // namespace xenbuild::boot
