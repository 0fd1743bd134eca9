#pragma once
// Reading ELF files without running `ldd` or `readelf`, for the boot test and the builder's
// checks (hvmloader is an ELF32 image, QEMU an ELF64 program): the class and machine, the GNU
// build-id note (Xen's `xl info` reports the hypervisor's, which is that of xen-syms), and for
// dynamically linked programs and libraries the interpreter (PT_INTERP), the needed libraries
// (DT_NEEDED) and the run paths (DT_RUNPATH / DT_RPATH). ELF32 and ELF64, little-endian.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::util {

struct ElfInfo {
    bool is64 = false;
    unsigned machine = 0;                   // e_machine: 62 x86-64, 3 i386
    std::optional<std::string> buildId;     // lower-case hex of NT_GNU_BUILD_ID
    std::optional<std::string> interpreter; // PT_INTERP, e.g. "/lib64/ld-linux-x86-64.so.2"
    std::vector<std::string> needed;        // DT_NEEDED in file order
    std::vector<std::string> runPaths;      // DT_RUNPATH, else DT_RPATH, split at ':'
    std::optional<std::string> soname;      // DT_SONAME
};

// Parses `path`. Throws ParseError naming the file when it is not ELF or is truncated or
// inconsistent, SystemError when it cannot be read.
ElfInfo readElf(const std::filesystem::path& path);

// Whether the file starts with the ELF magic (false for scripts, data, unreadable files).
bool isElf(const std::filesystem::path& path);

} // namespace xenbuild::util
