#pragma once
// The dom0 initramfs of the boot test: a static busybox, Debian's five Xen kernel modules, the
// built tools (xl, xenstored, xen-init-dom0, xl.conf), exactly the shared libraries they need,
// and a generated /init that brings dom0 up, runs `xl info` and prints the marker line the
// verdict looks for (see verdict.hpp and docs/boot-test.md). For a standard build it also holds
// the qdisk guest (qdisk_guest.hpp): the built QEMU, xenconsoled and their libraries, and the
// guest's kernel, initramfs, disk image and xl configuration.

#include "xenbuild/boot/initramfs.hpp"
#include "xenbuild/boot/qdisk_guest.hpp"

#include <array>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::boot {

// Not built into Debian's kernel; loaded in this order (xenfs needs xen-privcmd).
inline constexpr std::array<const char*, 5> kDom0Modules = {"xen-evtchn", "xen-gntdev",
                                                            "xen-gntalloc", "xen-privcmd", "xenfs"};

// Where the tools of a build are, inside its `out` output (or Xen's dist/install): at their
// install paths (FHS), below the prefix the build was configured with.
struct ToolFiles {
    std::filesystem::path root;        // the output: what the paths below are relative to
    std::filesystem::path prefix;      // relative to root: "usr" for --prefix=/usr
    std::filesystem::path xl;          // <prefix>/sbin/xl
    std::filesystem::path xenstored;   // <prefix>/sbin/xenstored
    std::filesystem::path xenInitDom0; // <prefix>/lib/xen/bin/xen-init-dom0 (Xen's LIBEXEC_BIN)
    std::filesystem::path xlConf;      // etc/xen/xl.conf (sysconfdir is /etc)
    std::vector<std::filesystem::path>
        libraryDirs; // <prefix>/lib, <prefix>/lib64: before the host's
    // <prefix>/lib/xen/bin/qemu-system-i386: what makes a build a standard one (it ships QEMU)
    std::optional<std::filesystem::path> deviceModel;
    std::optional<std::filesystem::path> xenconsoled; // <prefix>/sbin/xenconsoled
};

// The install prefix of the tools in `toolsRoot`, relative to it: the directory holding
// sbin/xl ("usr", "usr/local", "opt/xen"; at most three levels down, "usr" first). Throws
// BuildError naming the output when there is none, and saying to build again when the output
// has the layout of builds older than FHS outputs (sbin/xl at its top).
std::filesystem::path toolsPrefix(const std::filesystem::path& toolsRoot);

// Throws BuildError naming the missing file, the places looked at and the output.
ToolFiles findTools(const std::filesystem::path& toolsRoot);

// `<dir>/<name>.ko` for each of kDom0Modules (also found one level down, as in the kernel
// package's drivers/xen/xenfs/xenfs.ko). Throws BuildError naming the missing modules and the
// setup step that provides them (scripts/fetch-dom0-kernel.sh).
std::vector<std::filesystem::path> findDom0Modules(const std::filesystem::path& dir);

// Likewise for kGuestModules (the qdisk guest's xen-blkfront), in the same directory.
std::vector<std::filesystem::path> findGuestModules(const std::filesystem::path& dir);

struct Dom0ImageSpec {
    ToolFiles tools;
    std::filesystem::path busybox;              // must be statically linked
    std::vector<std::filesystem::path> modules; // in load order
    std::vector<std::filesystem::path> hostLibraryDirs;
    std::optional<QdiskGuest> guest; // a standard build's test (or --device-model)
};

// The /init script for `moduleNames` (file names without .ko, in load order), running the tools
// installed below `prefix` (absolute in the image, e.g. /usr). With `guestWait`, the qdisk
// guest runs after dom0's marker (dom0GuestSteps), its marker awaited that long.
std::string dom0InitScript(const std::vector<std::string>& moduleNames,
                           const std::filesystem::path& prefix = "/usr",
                           std::optional<std::chrono::seconds> guestWait = std::nullopt);

// Every entry of the initramfs (unsorted; writeInitramfs sorts): the tools, their
// configuration and the libraries of the output at their install paths (usr/sbin/xl,
// usr/lib/libxenlight.so.4.19, etc/xen/xl.conf), the host's libraries in usr/lib; with a
// guest, also xenconsoled and QEMU (at its install path, or guest/qemu-system-i386 when it
// overrides the build's) with their libraries, and guest/{vmlinuz,initrd.gz,disk.img,guest.cfg}.
// Throws BuildError when busybox is not static, a library cannot be found, or the guest's
// xenconsoled or QEMU is missing or QEMU is not an ELF program.
std::vector<ArchiveEntry> dom0ImageEntries(const Dom0ImageSpec& spec);

} // namespace xenbuild::boot
