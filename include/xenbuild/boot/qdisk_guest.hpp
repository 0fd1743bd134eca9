#pragma once
// The guest of a standard build's boot test: after dom0 is up, dom0's /init starts a PV domU
// (the same kernel as dom0) whose only disk is served by the built QEMU as a `qdisk` backend.
// The guest's own /init loads xen-blkfront, reads the first sector of /dev/xvda and prints the
// marker it holds on its console (hvc0); xenconsoled logs that console in dom0, and dom0's
// /init copies the log to the serial console, each line prefixed, for the verdict:
//   XENBUILD-GUEST: XENBUILD-QDISK-MARKER <token>
// The token is only on the disk image, so the line proves that the guest read the disk through
// blkfront, the grant tables and event channels, and QEMU's Xen block backend.

#include "xenbuild/boot/initramfs.hpp"

#include <array>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::boot {

// What the guest reads from its disk and prints.
inline constexpr std::string_view kQdiskMarker = "XENBUILD-QDISK-MARKER";
// The guest's /init reports a failed step with this (on its console).
inline constexpr std::string_view kQdiskErrorMarker = "XENBUILD-QDISK-ERROR";
// dom0's /init prefixes every line of the guest's console with this on the serial console.
inline constexpr std::string_view kGuestPrefix = "XENBUILD-GUEST: ";
// dom0's /init reports a failed step of starting or watching the guest with this.
inline constexpr std::string_view kGuestErrorMarker = "XENBUILD-GUEST-ERROR";
// The guest's domain name (xl, xenconsoled's log guest-<name>.log, QEMU's qemu-dm-<name>.log).
inline constexpr std::string_view kGuestName = "xenbuild-guest";

// The guest's block frontend: a module in Debian's kernel (dom0's modules directory has it).
inline constexpr std::array<const char*, 1> kGuestModules = {"xen-blkfront"};

// Where a standard build installs QEMU below its prefix (Xen's LIBEXEC_BIN), and so where
// libxl looks for it unless the build was configured --with-system-qemu.
inline constexpr std::string_view kDeviceModelPath = "lib/xen/bin/qemu-system-i386";

// The guest's pieces inside dom0's initramfs.
inline constexpr std::string_view kGuestDir = "guest"; // /guest/{vmlinuz,initrd.gz,disk.img,...}

struct QdiskGuest {
    std::filesystem::path kernel;    // the guest's vmlinuz (dom0's)
    std::filesystem::path initramfs; // written by guestImageEntries + writeInitramfs
    std::string token;               // written to the disk, expected from the guest
    // The QEMU dom0 carries: the build's (at its install path, libxl's configured path) ...
    std::filesystem::path deviceModel;
    // ... or, when set, another one (--device-model), put at its own host path (to find its
    // keymap at <its dir>/../share/qemu) and named in the guest's configuration
    // (device_model_override).
    bool overrideDeviceModel = false;
    std::chrono::seconds wait{180}; // dom0 waits this long for the guest's marker
};

// The token for a hypervisor build-id: 16 hex digits of SHA-256("xenbuild-qdisk:" + buildId)
// (fixed for a build, so the initramfs stays reproducible; found nowhere else in the image).
std::string qdiskToken(std::string_view buildId);

// The raw disk image: "XENBUILD-QDISK-MARKER <token>\n" at its start, zeros to 64 KiB.
std::string qdiskDiskImage(std::string_view token);

// The guest's /init (static busybox): loads xen-blkfront, waits for /dev/xvda, prints the
// marker line of its first sector, powers off. Failed steps print kQdiskErrorMarker.
std::string guestInitScript();

// The entries of the guest's own initramfs: busybox, /init, the modules (in load order).
std::vector<ArchiveEntry> guestImageEntries(const std::filesystem::path& busybox,
                                            const std::vector<std::filesystem::path>& modules);

// The xl configuration of the guest (paths as dom0 sees them). `deviceModelOverride`: the
// QEMU to use instead of libxl's configured one.
std::string guestConfig(const std::optional<std::string>& deviceModelOverride = std::nullopt);

// The part of dom0's /init that runs the guest, after dom0's marker: starts xenconsoled,
// `xl create`s the guest, waits up to `wait` for its marker in the console log, prints the
// console log prefixed with kGuestPrefix (and on failure the tails of xl's and QEMU's logs),
// destroys the guest. `prefix`: the tools' install prefix in the image (/usr).
std::string dom0GuestSteps(const std::filesystem::path& prefix, std::chrono::seconds wait);

} // namespace xenbuild::boot
