#pragma once
// Checks for the EFI side of a Xen build: xen.efi must be a PE32+ x86-64 image (the header is
// read here, no external tool), and the linker must be able to produce one (`ld -V` lists the
// i386pep emulation), which is checked before a withEFI build starts.

#include "xenbuild/util/process.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace xenbuild::builder {

// What the headers of a file say. A file that is not PE at all yields isPe == false.
struct PeImage {
    bool isPe = false;         // "MZ", a sane e_lfanew and "PE\0\0" were found
    std::uint16_t machine = 0; // COFF machine, 0x8664 for x86-64
    std::uint16_t sections = 0;
    std::uint16_t optionalMagic = 0; // 0x20b for PE32+, 0x10b for PE32
    std::uint16_t subsystem = 0;     // 10 for an EFI application
    std::string problem;             // why it is not a PE32+ x86-64 image; empty if it is

    bool isPe32PlusX86_64() const { return problem.empty(); }
    // "PE32+ x86-64 EFI application, 9 sections" or "not a PE image: no MZ signature".
    std::string describe() const;
};

// Reads the headers of `path`. Throws SystemError if it cannot be read; a file that is not a
// PE image is a result (problem set), not an exception.
PeImage inspectPe(const std::filesystem::path& path);

// Throws BuildError "'<path>' is not a PE32+ x86-64 image: <problem>" (or names it missing).
void requirePe32PlusX86_64(const std::filesystem::path& path);

struct PeLinker {
    std::string ld;          // the program asked
    std::string version;     // the first line of `ld -V`
    bool supportsPe = false; // i386pep is among its emulations
};

// Runs `ld -V` with `env` (a clean PATH). Throws BuildError if it cannot run.
PeLinker probePeLinker(const std::string& ld, const util::Environment& env);

// Throws BuildError naming the package to install when `ld` cannot link xen.efi.
void requirePeLinker(const std::string& ld, const util::Environment& env);

} // namespace xenbuild::builder
