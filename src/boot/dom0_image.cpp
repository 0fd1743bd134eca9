#include "xenbuild/boot/dom0_image.hpp"

#include "xenbuild/boot/elf.hpp"
#include "xenbuild/boot/libraries.hpp"
#include "xenbuild/boot/verdict.hpp"
#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <sstream>

namespace fs = std::filesystem;

namespace xenbuild::boot {

namespace {

fs::path findOne(const fs::path& root, const std::string& what,
                 const std::vector<fs::path>& candidates) {
    std::string looked;
    for (const auto& candidate : candidates) {
        std::error_code ec;
        if (fs::is_regular_file(root / candidate, ec)) return root / candidate;
        looked += (looked.empty() ? "" : ", ") + candidate.string();
    }
    throw BuildError("the tools output " + quote(root.string()) + " has no " + what +
                     " (looked for " + looked + "); was the package built with its tools?");
}

std::string modulesHint(const fs::path& dir) {
    return "; run scripts/fetch-dom0-kernel.sh to extract Debian's kernel and modules, or point " +
           mention(Setting::Dom0Modules) + " at a directory holding them (searched " +
           quote(dir.string()) + ")";
}

// Path inside the archive for an absolute host path: "/lib64/ld.so" -> "lib64/ld.so".
std::string inArchive(const std::string& absolute) {
    return fs::path(absolute).relative_path().lexically_normal().string();
}

void requireStatic(const fs::path& busybox) {
    const auto info = withContext("while checking busybox " + quote(busybox.string()),
                                  [&] { return readElf(busybox); });
    if (info.interpreter || !info.needed.empty()) {
        throw BuildError("busybox " + quote(busybox.string()) +
                         " is dynamically linked; the initramfs needs a static one (Debian: "
                         "busybox-static, installed by scripts/install-deps.sh)");
    }
}

// Where a file goes in the image: one of the output's at its install path (relative to the
// output), one of the host's at its own path.
std::string imagePath(const fs::path& file, const fs::path& root) {
    const auto own = file.lexically_relative(root);
    if (!own.empty() && *own.begin() != "..") return own.string();
    return file.relative_path().string();
}

// QEMU loads its keymap (en-us) even for `-vnc none`, which libxl passes, from its data
// directory, which it finds relative to its own directory: a standard build's qemu-xen has it
// in <prefix>/share/qemu-xen/qemu (Xen configures it with --datadir=<prefix>/share/qemu-xen),
// QEMU's own layout in <bindir>/../share/qemu (Debian's /usr/share/qemu).
fs::path findKeymap(const fs::path& deviceModel, const ToolFiles& tools, bool overridden) {
    std::vector<fs::path> candidates;
    if (!overridden) candidates.push_back(tools.root / tools.prefix / "share/qemu-xen/qemu");
    candidates.push_back((deviceModel.parent_path() / "../share/qemu").lexically_normal());
    std::string looked;
    for (const auto& dir : candidates) {
        std::error_code ec;
        if (fs::is_regular_file(dir / "keymaps/en-us", ec)) return dir / "keymaps/en-us";
        looked += (looked.empty() ? "" : ", ") + (dir / "keymaps/en-us").string();
    }
    throw BuildError("the device model " + quote(deviceModel.string()) +
                     " has no keymap en-us (looked for " + looked +
                     "); QEMU loads it for the -vnc none that libxl passes");
}

// The qdisk guest's pieces in dom0's image; the programs whose libraries it needs go to
// `programs`.
void addGuest(const QdiskGuest& guest, const ToolFiles& tools, std::vector<ArchiveEntry>& entries,
              std::vector<fs::path>& programs) {
    const fs::path& root = tools.root;
    if (!tools.xenconsoled) {
        throw BuildError(
            "the tools output " + quote(root.string()) + " has no xenconsoled (looked for " +
            (tools.prefix / "sbin/xenconsoled").string() + "); the qdisk guest's console needs it");
    }
    std::error_code ec;
    if (!fs::is_regular_file(guest.deviceModel, ec)) {
        throw BuildError("the device model " + quote(guest.deviceModel.string()) +
                         " does not exist");
    }
    if (!isElf(guest.deviceModel)) {
        throw BuildError("the device model " + quote(guest.deviceModel.string()) +
                         " is not an ELF program (a wrapper script?); give QEMU's binary itself "
                         "(Debian: /usr/libexec/xen-qemu-system-i386 from qemu-system-xen)");
    }
    // The build's QEMU at its install path (where libxl looks); another one at its own path
    // on the host, so that it finds its data files where it would there.
    const fs::path deviceModel = fs::absolute(guest.deviceModel).lexically_normal();
    const std::string deviceModelPath = imagePath(deviceModel, root);
    entries.push_back(ArchiveEntry::file(deviceModelPath, deviceModel, 0755));
    const auto keymap = findKeymap(deviceModel, tools, guest.overrideDeviceModel);
    entries.push_back(ArchiveEntry::file(imagePath(keymap, root), keymap, 0644));
    entries.push_back(ArchiveEntry::file(tools.xenconsoled->lexically_relative(root).string(),
                                         *tools.xenconsoled, 0755));
    const std::string dir(kGuestDir);
    entries.push_back(ArchiveEntry::file(dir + "/vmlinuz", guest.kernel, 0644));
    entries.push_back(ArchiveEntry::file(dir + "/initrd.gz", guest.initramfs, 0644));
    entries.push_back(ArchiveEntry::text(dir + "/disk.img", qdiskDiskImage(guest.token), 0644));
    entries.push_back(ArchiveEntry::text(
        dir + "/guest.cfg",
        guestConfig(guest.overrideDeviceModel ? std::optional<std::string>("/" + deviceModelPath)
                                              : std::nullopt),
        0644));
    programs.push_back(*tools.xenconsoled);
    programs.push_back(guest.deviceModel);
}

} // namespace

fs::path toolsPrefix(const fs::path& root) {
    std::error_code ec;
    if (fs::is_regular_file(root / "usr/sbin/xl", ec)) return "usr";
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it.depth() >= 3 || it->is_symlink(ec) || !it->is_directory(ec)) {
            it.disable_recursion_pending();
            continue;
        }
        if (fs::is_regular_file(it->path() / "sbin/xl", ec))
            found.push_back(it->path().lexically_relative(root));
    }
    if (!found.empty()) return *std::min_element(found.begin(), found.end());
    if (fs::is_regular_file(root / "sbin/xl", ec)) {
        throw BuildError("the tools output " + quote(root.string()) +
                         " has xl at sbin/xl, the layout of builds made before xenbuild "
                         "installed at the target host's paths (usr/sbin/xl); build the "
                         "package again");
    }
    throw BuildError("the tools output " + quote(root.string()) +
                     " has no xl (looked for <prefix>/sbin/xl, such as usr/sbin/xl); was the "
                     "package built with its tools?");
}

ToolFiles findTools(const fs::path& root) {
    ToolFiles tools;
    tools.root = root;
    tools.prefix = toolsPrefix(root);
    const fs::path& prefix = tools.prefix;
    tools.xl = root / prefix / "sbin/xl";
    tools.xenstored = findOne(root, "xenstored", {prefix / "sbin/xenstored"});
    // Xen's LIBEXEC_BIN on Linux: ${libexecdir}/xen/bin with libexecdir ${exec_prefix}/lib.
    tools.xenInitDom0 = findOne(root, "xen-init-dom0", {prefix / "lib/xen/bin/xen-init-dom0"});
    tools.xlConf = findOne(root, "xl.conf", {"etc/xen/xl.conf", prefix / "etc/xen/xl.conf"});
    for (const char* dir : {"lib", "lib64"}) {
        std::error_code ec;
        if (fs::is_directory(root / prefix / dir, ec))
            tools.libraryDirs.push_back(root / prefix / dir);
    }
    std::error_code ec;
    if (fs::is_regular_file(root / prefix / kDeviceModelPath, ec))
        tools.deviceModel = root / prefix / kDeviceModelPath;
    if (fs::is_regular_file(root / prefix / "sbin/xenconsoled", ec))
        tools.xenconsoled = root / prefix / "sbin/xenconsoled";
    return tools;
}

namespace {

template <std::size_t N>
std::vector<fs::path> findModules(const fs::path& dir, const std::array<const char*, N>& names,
                                  const std::string& whose) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw BuildError("the dom0 modules directory " + quote(dir.string()) + " does not exist" +
                         modulesHint(dir));
    }
    std::vector<fs::path> modules;
    std::string missing;
    for (const char* name : names) {
        const std::string file = std::string(name) + ".ko";
        fs::path found;
        for (const auto& candidate : {dir / file, dir / name / file}) {
            if (fs::is_regular_file(candidate, ec)) {
                found = candidate;
                break;
            }
        }
        if (found.empty()) missing += (missing.empty() ? "" : ", ") + file;
        modules.push_back(found);
    }
    if (!missing.empty()) {
        throw BuildError(whose + " kernel modules missing: " + missing + modulesHint(dir));
    }
    return modules;
}

} // namespace

std::vector<fs::path> findDom0Modules(const fs::path& dir) {
    return findModules(dir, kDom0Modules, "dom0");
}

std::vector<fs::path> findGuestModules(const fs::path& dir) {
    return findModules(dir, kGuestModules, "the qdisk guest's");
}

std::string dom0InitScript(const std::vector<std::string>& moduleNames, const fs::path& prefix,
                           std::optional<std::chrono::seconds> guestWait) {
    const std::string p = prefix.string();
    const std::string libraries = p == "/usr" ? "/usr/lib" : p + "/lib:/usr/lib";
    std::ostringstream s;
    s << "#!/bin/busybox sh\n"
         "# Generated by xenbuild: the boot test's dom0 (docs/boot-test.md).\n"
         "/bin/busybox --install -s /bin\n"
         "export PATH=/bin:"
      << p << "/sbin:" << p << "/bin:" << p << "/lib/xen/bin LD_LIBRARY_PATH=" << libraries
      << "\n"
         "fail() { echo \""
      << kErrorMarker
      << " $*\"; reboot -f; poweroff -f; }\n"
         "mount -t proc proc /proc || fail 'cannot mount /proc'\n"
         "mount -t sysfs sysfs /sys || fail 'cannot mount /sys'\n"
         "mount -t devtmpfs devtmpfs /dev || fail 'cannot mount /dev'\n"
         "exec </dev/console >/dev/console 2>&1\n"
         "mkdir -p /var/lib/xen /var/lib/xenstored /var/log/xen /run/xen /run/xenstored /tmp\n"
         "for m in";
    for (const auto& name : moduleNames)
        s << ' ' << name;
    s << "; do\n"
         "  insmod /lib/modules/xenbuild/$m.ko || fail \"cannot load module $m\"\n"
         "done\n"
         "mount -t xenfs xenfs /proc/xen || fail 'cannot mount xenfs on /proc/xen'\n"
         "for t in "
      << p << "/sbin/xl " << p << "/sbin/xenstored " << p
      << "/lib/xen/bin/xen-init-dom0; do\n"
         "  [ -x $t ] || fail \"$t is missing from the initramfs\"\n"
         "done\n"
         "xenstored --pid-file /run/xenstored.pid || fail \"xenstored failed (status $?)\"\n"
         "xen-init-dom0 || fail \"xen-init-dom0 failed (status $?)\"\n"
         "xl info >/tmp/xl-info 2>&1\n"
         "status=$?\n"
         "cat /tmp/xl-info\n"
         "[ $status -eq 0 ] || fail \"xl info failed (status $status)\"\n"
         "version=$(sed -n 's/^xen_version *: *//p' /tmp/xl-info)\n"
         "build_id=$(sed -n 's/^build_id *: *//p' /tmp/xl-info)\n"
         "echo \""
      << kMarker << " xen_version=$version build_id=$build_id\"\n";
    if (guestWait) s << dom0GuestSteps(prefix, *guestWait);
    s << "# QEMU runs with -no-reboot: the reset ends it.\n"
         "reboot -f\n"
         "poweroff -f\n";
    return s.str();
}

std::vector<ArchiveEntry> dom0ImageEntries(const Dom0ImageSpec& spec) {
    requireStatic(spec.busybox);
    std::vector<ArchiveEntry> entries;
    entries.push_back(ArchiveEntry::file("bin/busybox", spec.busybox, 0755));
    std::vector<std::string> moduleNames;
    for (const auto& module : spec.modules) {
        moduleNames.push_back(module.stem().string());
        entries.push_back(
            ArchiveEntry::file("lib/modules/xenbuild/" + module.filename().string(), module, 0644));
    }
    const auto& tools = spec.tools;
    // The output's files at their install paths, as on the target host.
    auto installed = [&](const fs::path& file) { return file.lexically_relative(tools.root); };
    const auto guestWait =
        spec.guest ? std::optional<std::chrono::seconds>(spec.guest->wait) : std::nullopt;
    entries.push_back(ArchiveEntry::text(
        "init", dom0InitScript(moduleNames, "/" / tools.prefix, guestWait), 0755));
    entries.push_back(ArchiveEntry::file(installed(tools.xl).string(), tools.xl, 0755));
    entries.push_back(
        ArchiveEntry::file(installed(tools.xenstored).string(), tools.xenstored, 0755));
    entries.push_back(
        ArchiveEntry::file(installed(tools.xenInitDom0).string(), tools.xenInitDom0, 0755));
    entries.push_back(ArchiveEntry::file(installed(tools.xlConf).string(), tools.xlConf, 0644));
    for (const char* dir : {"proc", "sys", "dev", "run", "tmp", "var/run", "root"}) {
        entries.push_back(ArchiveEntry::directory(dir));
    }

    std::vector<fs::path> programs = {tools.xl, tools.xenstored, tools.xenInitDom0};
    if (spec.guest) addGuest(*spec.guest, tools, entries, programs);

    std::vector<fs::path> searchDirs = spec.tools.libraryDirs;
    searchDirs.insert(searchDirs.end(), spec.hostLibraryDirs.begin(), spec.hostLibraryDirs.end());
    const auto closure = resolveLibraries(programs, searchDirs);
    if (closure.interpreter) {
        entries.push_back(ArchiveEntry::file(inArchive(*closure.interpreter),
                                             fs::path(*closure.interpreter), 0755));
    }
    for (const auto& library : closure.libraries) {
        if (closure.interpreter && library.name == fs::path(*closure.interpreter).filename()) {
            continue; // the interpreter is already at its own path
        }
        // One of the output's libraries at its install path, a host library in usr/lib.
        const auto own = installed(library.path);
        const bool fromOutput = !own.empty() && *own.begin() != "..";
        entries.push_back(ArchiveEntry::file(fromOutput ? own.string() : "usr/lib/" + library.name,
                                             library.path, 0755));
    }
    return entries;
}

} // namespace xenbuild::boot
