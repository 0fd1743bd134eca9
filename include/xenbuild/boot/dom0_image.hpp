#pragma once
// The dom0 initramfs of the boot test: a static busybox, Debian's five Xen kernel modules, the
// built tools (xl, xenstored, xen-init-dom0, xl.conf), exactly the shared libraries they need,
// and a generated /init that brings dom0 up, runs `xl info` and prints the marker line the
// verdict looks for (see verdict.hpp and docs/boot-test.md).

#include "xenbuild/boot/initramfs.hpp"

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::boot {

// Not built into Debian's kernel; loaded in this order (xenfs needs xen-privcmd).
inline constexpr std::array<const char*, 5> kDom0Modules = {"xen-evtchn", "xen-gntdev",
                                                            "xen-gntalloc", "xen-privcmd", "xenfs"};

// Where the tools of a build are, inside its `out` output (or any prefix holding sbin/ or
// usr/sbin/, such as Xen's dist/install).
struct ToolFiles {
    std::filesystem::path xl;
    std::filesystem::path xenstored;
    std::filesystem::path xenInitDom0;
    std::filesystem::path xlConf;
    std::vector<std::filesystem::path> libraryDirs; // searched before the host's
};

// Throws BuildError naming the missing file, the places looked at and the output.
ToolFiles findTools(const std::filesystem::path& toolsRoot);

// `<dir>/<name>.ko` for each of kDom0Modules (also found one level down, as in the kernel
// package's drivers/xen/xenfs/xenfs.ko). Throws BuildError naming the missing modules and the
// setup step that provides them (scripts/fetch-dom0-kernel.sh).
std::vector<std::filesystem::path> findDom0Modules(const std::filesystem::path& dir);

struct Dom0ImageSpec {
    ToolFiles tools;
    std::filesystem::path busybox;              // must be statically linked
    std::vector<std::filesystem::path> modules; // in load order
    std::vector<std::filesystem::path> hostLibraryDirs;
};

// The /init script for `moduleNames` (file names without .ko, in load order).
std::string dom0InitScript(const std::vector<std::string>& moduleNames);

// Every entry of the initramfs (unsorted; writeInitramfs sorts). Throws BuildError when busybox
// is not static or a library cannot be found.
std::vector<ArchiveEntry> dom0ImageEntries(const Dom0ImageSpec& spec);

} // namespace xenbuild::boot
