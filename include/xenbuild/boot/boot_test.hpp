#pragma once
// The boot smoke test: the built hypervisor under qemu-system-x86_64 (TCG, unprivileged) with
// a PV Linux dom0 whose initramfs runs the built tools; the verdict comes from the serial log
// (verdict.hpp). See docs/boot-test.md for what a pass proves and what it does not.

#include "xenbuild/boot/verdict.hpp"
#include "xenbuild/builder/result.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/util/progress.hpp"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::boot {

// What the test takes from a build.
struct BuildArtifacts {
    std::filesystem::path hypervisor; // <boot>/boot/xen (uncompressed) or <boot>/boot/xen.gz
    std::filesystem::path xenSyms;    // the expected build-id's source (or the hypervisor)
    std::filesystem::path tools;      // the `out` output
};

// Finds them in a build result, at their install paths: the hypervisor in the `boot` output's
// boot/ (xen, else xen.gz, else xen-<version>.gz), xen-syms there too or in out's
// <prefix>/lib/debug (xen-syms-<version>; the prefix is where out has sbin/xl). Throws
// BuildError saying what the builder must keep when something is missing.
BuildArtifacts findArtifacts(const builder::BuildResult& result);

// The dom0 side, from the host profile or scripts/fetch-dom0-kernel.sh.
struct Dom0Kernel {
    std::filesystem::path kernel;     // vmlinuz
    std::filesystem::path modulesDir; // holding the five Xen modules (dom0_image.hpp)
};

// Where the dom0 kernel and modules are: each path of `given` that is set, else the host
// profile's dom0Kernel / dom0Modules, else where scripts/fetch-dom0-kernel.sh puts them
// ($XDG_CACHE_HOME/xenbuild/dom0, else $HOME/.cache/xenbuild/dom0: vmlinuz, modules/).
Dom0Kernel resolveDom0(const Dom0Kernel& given, const recipe::HostProfile& profile);

// The whole boot's default timeout, and with the qdisk guest (TCG is slow: a second kernel
// boots, and QEMU starts in an emulated dom0).
inline constexpr std::chrono::seconds kBootTimeout{120};
inline constexpr std::chrono::seconds kGuestBootTimeout{300};
// Of the whole timeout, what dom0's boot up to its marker may take; dom0 waits the rest for the
// guest's marker (at least kMinGuestWait), so it reports a stuck guest before QEMU is killed.
inline constexpr std::chrono::seconds kDom0Share{60};
inline constexpr std::chrono::seconds kMinGuestWait{20};

struct BootOptions {
    // Unset: kBootTimeout, or kGuestBootTimeout with the qdisk guest.
    std::optional<std::chrono::seconds> timeout;
    // A QEMU for the qdisk guest instead of the build's (a slim build has none): its test then
    // runs the guest too. Empty: the build's, if it ships one.
    std::filesystem::path deviceModel;
    std::filesystem::path workDir;           // empty: a new directory under the temp dir
    bool keep = false;                       // keep the work dir after a pass (kept on failure)
    std::string qemu = "qemu-system-x86_64"; // looked up in PATH unless it has a slash
    std::string path = "/usr/bin:/bin:/usr/sbin:/sbin"; // PATH for finding QEMU
    std::filesystem::path busybox = "/bin/busybox";
    std::vector<std::filesystem::path> hostLibraryDirs; // empty: hostLibraryDirs()
    const std::atomic<bool>* cancel = nullptr;
};

// One boot: an uncompressed hypervisor, the dom0 kernel and a ready initramfs.
struct BootRequest {
    std::filesystem::path hypervisor; // xen or xen.gz (decompressed into the work dir)
    std::filesystem::path kernel;     // dom0 vmlinuz
    std::filesystem::path initramfs;  // gzip'd newc cpio
    Expectation expected;
};

struct BootReport {
    Verdict verdict;
    Expectation expected;
    std::string buildIdSource;                  // the file the expected build-id was read from
    std::optional<double> secondsToMarker;      // from QEMU's start
    std::optional<double> secondsToGuestMarker; // likewise, when dom0 printed the guest's
    std::filesystem::path deviceModel;          // the qdisk guest's QEMU (empty: no guest)
    double seconds = 0;                         // the whole QEMU run
    bool timedOut = false;
    std::string qemuStatus;              // "exited with status 0", ...
    std::vector<std::string> qemuErrors; // QEMU's own stderr
    std::filesystem::path serialLog;
    std::filesystem::path workDir;
    bool kept = false; // the work dir still exists

    nlohmann::json toJson() const;
    // The failure message: reason, last serial lines, log path.
    std::string describeFailure() const;
};

// Boots `request` in `workDir` (which must exist). Throws BuildError when QEMU
// cannot be started or refuses its inputs; a failed boot is a report, not an exception.
BootReport bootOnce(const BootRequest& request, const std::filesystem::path& workDir,
                    const BootOptions& options, util::ProgressObserver& observer);

// The whole test of a build: finds its artifacts, reads the expected build-id, writes the
// initramfs from its tools, boots, and removes the work dir unless kept. A standard build (its
// tools ship QEMU, ToolFiles::deviceModel) or options.deviceModel adds the qdisk guest
// (qdisk_guest.hpp): its module xen-blkfront must be in dom0.modulesDir.
BootReport testBuild(const builder::BuildResult& result, const std::string& expectedVersion,
                     const Dom0Kernel& dom0, const BootOptions& options,
                     util::ProgressObserver& observer);

} // namespace xenbuild::boot
