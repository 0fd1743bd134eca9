#include "xenbuild/boot/boot_test.hpp"

#include "xenbuild/boot/dom0_image.hpp"
#include "xenbuild/boot/elf.hpp"
#include "xenbuild/boot/libraries.hpp"
#include "xenbuild/boot/qdisk_guest.hpp"
#include "xenbuild/builder/xen_version.hpp"
#include "xenbuild/util/archive.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/process.hpp"
#include "xenbuild/util/temp_dir.hpp"
#include "xenbuild/util/xdg.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>

namespace fs = std::filesystem;

namespace xenbuild::boot {

namespace {

// Xen on COM1; dom0 on Xen's console. dom0_mem is fixed so the result does not depend on the
// 1 GiB of the machine; quiet keeps dom0's boot messages out of the way of the marker (panics
// and oopses are printed regardless).
constexpr const char* kXenArgs = "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M "
                                 "loglvl=all guest_loglvl=all";
constexpr const char* kDom0Args = "console=hvc0 earlyprintk=xen quiet";

util::ProgressEvent bootEvent(util::ProgressEvent::Kind kind, std::string text) {
    util::ProgressEvent event;
    event.kind = kind;
    event.activity = "boot";
    event.text = std::move(text);
    return event;
}

std::optional<fs::path> firstExisting(const std::vector<fs::path>& candidates) {
    for (const auto& candidate : candidates) {
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) return candidate;
    }
    return std::nullopt;
}

std::optional<fs::path> findXenSymsUnder(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return std::nullopt;
    for (const auto& item : fs::directory_iterator(dir)) {
        const auto name = item.path().filename().string();
        if (name.rfind("xen-syms", 0) == 0 && item.path().extension() != ".map" &&
            item.is_regular_file()) {
            return item.path();
        }
    }
    return std::nullopt;
}

const fs::path& outputPath(const builder::BuildResult& result, const std::string& name) {
    const auto* output = result.output(name);
    if (output == nullptr) {
        throw BuildError("the build of " + quote(result.plan) + " has no " + quote(name) +
                         " output");
    }
    return output->path;
}

// The uncompressed, 32-bit multiboot image QEMU's -kernel accepts, in the work dir.
fs::path prepareHypervisor(const fs::path& hypervisor, const fs::path& workDir) {
    fs::path target = workDir / "xen";
    if (isElf(hypervisor)) {
        fs::copy_file(hypervisor, target, fs::copy_options::overwrite_existing);
    } else {
        util::writeFileAtomic(target, util::gunzipFile(hypervisor));
    }
    const auto info = withContext("while reading the hypervisor " + quote(hypervisor.string()),
                                  [&] { return readElf(target); });
    if (info.is64) {
        throw BuildError("the hypervisor " + quote(hypervisor.string()) +
                         " is a 64-bit ELF; QEMU's multiboot loader needs the 32-bit `xen` "
                         "image (or xen.gz), not xen-syms");
    }
    return target;
}

// `name` in the work dir pointing at `file` (QEMU splits -initrd at ',' and ' ', so the
// command line only names files relative to the work dir).
void linkInto(const fs::path& file, const fs::path& workDir, const std::string& name) {
    const fs::path link = workDir / name;
    if (fs::equivalent(file.parent_path(), workDir) && file.filename() == name) return;
    std::error_code ec;
    fs::remove(link, ec);
    fs::create_symlink(fs::absolute(file), link);
}

std::vector<std::string> qemuArgv(const std::string& qemu) {
    return {qemu,
            "-machine",
            "pc,accel=tcg",
            "-cpu",
            "qemu64",
            "-smp",
            "1",
            "-m",
            "1024",
            "-no-reboot",
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-parallel",
            "none",
            "-net",
            "none",
            "-kernel",
            "xen",
            "-append",
            kXenArgs,
            "-initrd",
            std::string("vmlinuz ") + kDom0Args + ",initrd.gz"};
}

// QEMU's serial output: written to serial.log as it comes, kept for the verdict, and the time
// of the marker noted. QEMU's own stderr is kept apart.
class SerialCapture {
  public:
    SerialCapture(BootReport& report, util::ProgressObserver& observer)
        : report_(report), observer_(observer),
          file_(report.serialLog, std::ios::binary | std::ios::trunc),
          start_(std::chrono::steady_clock::now()) {
        if (!file_) throwSystemError("cannot create", report.serialLog.string());
    }

    void onLine(util::OutputStream stream, std::string_view line) {
        if (stream == util::OutputStream::Stderr) {
            report_.qemuErrors.emplace_back(line);
            return;
        }
        file_ << line << '\n' << std::flush;
        log_.append(line).append("\n");
        if (!report_.secondsToMarker && line.rfind(kMarker, 0) == 0) {
            report_.secondsToMarker = secondsSinceStart();
            observer_.onEvent(bootEvent(util::ProgressEvent::Kind::Message, std::string(line)));
        }
        if (!report_.secondsToGuestMarker && line.rfind(kGuestPrefix, 0) == 0 &&
            line.substr(kGuestPrefix.size()).rfind(kQdiskMarker, 0) == 0) {
            report_.secondsToGuestMarker = secondsSinceStart();
            observer_.onEvent(bootEvent(util::ProgressEvent::Kind::Message, std::string(line)));
        }
    }

    const std::string& log() const { return log_; }

  private:
    double secondsSinceStart() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

    BootReport& report_;
    util::ProgressObserver& observer_;
    std::ofstream file_;
    std::chrono::steady_clock::time_point start_;
    std::string log_;
};

fs::path makeWorkDir(const BootOptions& options) {
    if (!options.workDir.empty()) {
        fs::create_directories(options.workDir);
        return options.workDir;
    }
    return util::makeTempDir("xenbuild-boot-");
}

std::string expectedBuildId(const fs::path& xenSyms) {
    const auto info =
        withContext("while reading " + quote(xenSyms.string()), [&] { return readElf(xenSyms); });
    if (!info.buildId) {
        throw BuildError(quote(xenSyms.string()) +
                         " has no GNU build-id note; the hypervisor must be linked with one");
    }
    return *info.buildId;
}

std::chrono::seconds bootTimeout(const BootOptions& options, const Expectation& expected) {
    return options.timeout.value_or(expected.qdiskToken ? kGuestBootTimeout : kBootTimeout);
}

// The qdisk guest's pieces: its initramfs written into the work dir.
QdiskGuest prepareGuest(const fs::path& deviceModel, bool overrideDeviceModel,
                        const Dom0Kernel& dom0, const BootOptions& options,
                        const std::string& buildId, const fs::path& workDir) {
    QdiskGuest guest;
    guest.kernel = dom0.kernel;
    guest.deviceModel = deviceModel;
    guest.overrideDeviceModel = overrideDeviceModel;
    guest.token = qdiskToken(buildId);
    const auto total = bootTimeout(options, {"", "", guest.token});
    guest.wait = std::max(total - kDom0Share, kMinGuestWait);
    guest.initramfs = workDir / "guest-initrd.gz";
    writeInitramfs(guestImageEntries(options.busybox, findGuestModules(dom0.modulesDir)),
                   guest.initramfs);
    return guest;
}

} // namespace

namespace {

// $XDG_CACHE_HOME/xenbuild/dom0, where scripts/fetch-dom0-kernel.sh puts the kernel.
fs::path defaultDom0Dir() {
    const fs::path cache = util::xdgCacheHome();
    return (cache.empty() ? fs::path("/.cache") : cache) / "xenbuild/dom0";
}

} // namespace

Dom0Kernel resolveDom0(const Dom0Kernel& given, const recipe::HostProfile& profile) {
    auto pick = [&](const fs::path& path, const std::string& key, const fs::path& fallback) {
        if (!path.empty()) return path;
        const auto it = profile.paths.find(key);
        return it == profile.paths.end() ? fallback : fs::path(it->second);
    };
    return {pick(given.kernel, "dom0Kernel", defaultDom0Dir() / "vmlinuz"),
            pick(given.modulesDir, "dom0Modules", defaultDom0Dir() / "modules")};
}

BuildArtifacts findArtifacts(const builder::BuildResult& result) {
    const fs::path& boot = outputPath(result, "boot");
    const fs::path& out = outputPath(result, "out");
    BuildArtifacts artifacts;
    artifacts.tools = out;
    // Both hold their install paths: the hypervisor in /boot, xen-syms in Xen's DEBUG_DIR
    // (<prefix>/lib/debug) unless the build keeps it in /boot.
    const fs::path bootDir = boot / "boot";
    auto hypervisor = firstExisting({bootDir / "xen", bootDir / "xen.gz"});
    std::error_code ec;
    if (!hypervisor && fs::is_directory(bootDir, ec)) {
        for (const auto& item : fs::directory_iterator(bootDir)) {
            const auto name = item.path().filename().string();
            if (name.rfind("xen-", 0) == 0 && item.path().extension() == ".gz") {
                hypervisor = item.path();
                break;
            }
        }
    }
    if (!hypervisor) {
        throw BuildError("the boot output " + quote(boot.string()) +
                         " holds neither boot/xen nor boot/xen.gz; the builder must keep the "
                         "hypervisor (a build made before xenbuild installed at the target "
                         "host's paths has it at the top: build it again)");
    }
    artifacts.hypervisor = *hypervisor;
    fs::path prefix = "usr";
    try {
        prefix = toolsPrefix(out);
    } catch (const BuildError&) { // findTools says what is wrong with the tools
    }
    const fs::path debugDir = out / prefix / "lib/debug";
    auto syms = firstExisting({bootDir / "xen-syms"});
    if (!syms) syms = findXenSymsUnder(debugDir);
    if (!syms) {
        throw BuildError("no xen-syms in " + quote(bootDir.string()) + " or " +
                         quote(debugDir.string()) +
                         "; the builder must keep xen-syms for the expected build-id");
    }
    artifacts.xenSyms = *syms;
    return artifacts;
}

BootReport bootOnce(const BootRequest& request, const fs::path& workDir, const BootOptions& options,
                    util::ProgressObserver& observer) {
    const auto qemu = util::findProgram(options.qemu, options.path);
    if (!qemu) {
        throw BuildError(quote(options.qemu) + " not found in " + quote(options.path) +
                         "; install qemu-system-x86 (scripts/install-deps.sh)");
    }
    prepareHypervisor(request.hypervisor, workDir);
    linkInto(request.kernel, workDir, "vmlinuz");
    linkInto(request.initramfs, workDir, "initrd.gz");

    BootReport report;
    report.expected = request.expected;
    report.workDir = workDir;
    report.kept = true;
    report.serialLog = workDir / "serial.log";
    SerialCapture capture(report, observer);

    util::ProcessSpec spec;
    spec.argv = qemuArgv(*qemu);
    spec.env = util::Environment{{"PATH", options.path}, {"LC_ALL", "C"}};
    spec.cwd = workDir.string();
    spec.timeout = bootTimeout(options, request.expected);
    spec.cancel = options.cancel;
    spec.onLine = [&capture](util::OutputStream stream, std::string_view line) {
        capture.onLine(stream, line);
    };
    observer.onEvent(bootEvent(util::ProgressEvent::Kind::Started,
                               "booting " + request.hypervisor.string() + " under QEMU (TCG)"));
    const auto result = util::runProcess(spec);
    if (result.cancelled) throw BuildError("the boot test was interrupted");
    report.seconds = std::chrono::duration<double>(result.elapsed).count();
    report.timedOut = result.timedOut;
    report.qemuStatus = result.describeStatus();
    if (capture.log().empty() && !result.success()) {
        std::string errors;
        for (const auto& line : report.qemuErrors)
            errors += "\n  " + line;
        throw BuildError(*qemu + " " + report.qemuStatus + " without any serial output" + errors);
    }
    report.verdict = judgeSerialLog(capture.log(), request.expected, result.timedOut);
    if (result.timedOut && !report.verdict.passed)
        report.verdict.reason += " (" + report.qemuStatus + ")";
    observer.onEvent(bootEvent(report.verdict.passed ? util::ProgressEvent::Kind::Finished
                                                     : util::ProgressEvent::Kind::Failed,
                               report.verdict.passed ? "passed" : report.verdict.reason));
    return report;
}

BootReport testBuild(const builder::BuildResult& result, const std::string& expectedVersion,
                     const Dom0Kernel& dom0, const BootOptions& options,
                     util::ProgressObserver& observer) {
    const auto artifacts = findArtifacts(result);
    Dom0ImageSpec image;
    image.tools = findTools(artifacts.tools);
    image.modules = findDom0Modules(dom0.modulesDir);
    // The qdisk guest: the QEMU given, else the one a standard build ships.
    const bool overrideDeviceModel = !options.deviceModel.empty();
    const fs::path deviceModel =
        overrideDeviceModel ? options.deviceModel : image.tools.deviceModel.value_or(fs::path());
    if (!deviceModel.empty()) findGuestModules(dom0.modulesDir); // before any work
    image.busybox = options.busybox;
    image.hostLibraryDirs =
        options.hostLibraryDirs.empty() ? hostLibraryDirs() : options.hostLibraryDirs;
    std::error_code ec;
    if (!fs::is_regular_file(dom0.kernel, ec)) {
        throw BuildError("the dom0 kernel " + quote(dom0.kernel.string()) +
                         " does not exist; run scripts/fetch-dom0-kernel.sh or pass " +
                         mention(Setting::Dom0Kernel));
    }
    BootRequest request;
    request.hypervisor = artifacts.hypervisor;
    request.kernel = dom0.kernel;
    request.expected = {expectedVersion, expectedBuildId(artifacts.xenSyms)};

    const fs::path workDir = makeWorkDir(options);
    BootReport report;
    try {
        if (!deviceModel.empty()) {
            image.guest = prepareGuest(deviceModel, overrideDeviceModel, dom0, options,
                                       request.expected.buildId, workDir);
            request.expected.qdiskToken = image.guest->token;
        }
        request.initramfs = workDir / "initrd.gz";
        writeInitramfs(dom0ImageEntries(image), request.initramfs);
        report = bootOnce(request, workDir, options, observer);
        report.deviceModel = deviceModel;
    } catch (...) {
        if (!options.keep && options.workDir.empty()) fs::remove_all(workDir, ec);
        throw;
    }
    report.buildIdSource = artifacts.xenSyms.string();
    if (report.verdict.passed && !options.keep) {
        fs::remove_all(workDir, ec);
        report.kept = false;
    }
    return report;
}

nlohmann::json BootReport::toJson() const {
    nlohmann::json json;
    json["verdict"] = verdict.passed ? "pass" : "fail";
    json["reason"] = verdict.reason;
    json["expected"] = {{"version", expected.version}, {"buildId", expected.buildId}};
    json["version"] = verdict.version ? nlohmann::json(*verdict.version) : nlohmann::json();
    json["buildId"] = verdict.buildId ? nlohmann::json(*verdict.buildId) : nlohmann::json();
    json["buildIdSource"] = buildIdSource;
    json["secondsToMarker"] = secondsToMarker ? nlohmann::json(*secondsToMarker) : nlohmann::json();
    if (expected.qdiskToken) {
        auto optional = [](const auto& value) {
            return value ? nlohmann::json(*value) : nlohmann::json();
        };
        json["guest"] = {{"deviceModel", deviceModel.string()},
                         {"expectedToken", *expected.qdiskToken},
                         {"token", optional(verdict.guestToken)},
                         {"secondsToMarker", optional(secondsToGuestMarker)}};
    }
    json["seconds"] = seconds;
    json["timedOut"] = timedOut;
    json["qemu"] = qemuStatus;
    json["serialLog"] = serialLog.string();
    json["workDir"] = kept ? nlohmann::json(workDir.string()) : nlohmann::json();
    if (!verdict.passed) json["lastLines"] = verdict.lastLines;
    return json;
}

std::string BootReport::describeFailure() const {
    std::string text = "boot test failed: " + verdict.reason + "\nlast serial lines:\n";
    for (const auto& line : verdict.lastLines)
        text += "  | " + line + "\n";
    for (const auto& line : qemuErrors)
        text += "  qemu: " + line + "\n";
    text += "serial log: " + serialLog.string();
    return text;
}

} // namespace xenbuild::boot
