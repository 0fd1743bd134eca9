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
    return tools;
}

std::vector<fs::path> findDom0Modules(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw BuildError("the dom0 modules directory " + quote(dir.string()) + " does not exist" +
                         modulesHint(dir));
    }
    std::vector<fs::path> modules;
    std::string missing;
    for (const char* name : kDom0Modules) {
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
        throw BuildError("dom0 kernel modules missing: " + missing + modulesHint(dir));
    }
    return modules;
}

std::string dom0InitScript(const std::vector<std::string>& moduleNames, const fs::path& prefix) {
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
      << kMarker
      << " xen_version=$version build_id=$build_id\"\n"
         "# QEMU runs with -no-reboot: the reset ends it.\n"
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
    entries.push_back(
        ArchiveEntry::text("init", dom0InitScript(moduleNames, "/" / tools.prefix), 0755));
    entries.push_back(ArchiveEntry::file(installed(tools.xl).string(), tools.xl, 0755));
    entries.push_back(
        ArchiveEntry::file(installed(tools.xenstored).string(), tools.xenstored, 0755));
    entries.push_back(
        ArchiveEntry::file(installed(tools.xenInitDom0).string(), tools.xenInitDom0, 0755));
    entries.push_back(ArchiveEntry::file(installed(tools.xlConf).string(), tools.xlConf, 0644));
    for (const char* dir : {"proc", "sys", "dev", "run", "tmp", "var/run", "root"}) {
        entries.push_back(ArchiveEntry::directory(dir));
    }

    std::vector<fs::path> searchDirs = spec.tools.libraryDirs;
    searchDirs.insert(searchDirs.end(), spec.hostLibraryDirs.begin(), spec.hostLibraryDirs.end());
    const auto closure =
        resolveLibraries({spec.tools.xl, spec.tools.xenstored, spec.tools.xenInitDom0}, searchDirs);
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
