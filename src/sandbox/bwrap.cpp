// The namespace sandbox, built with bubblewrap. bwrap runs as our direct child; it creates the
// namespaces and a pid-1 init inside them, reports that init's host pid on --info-fd, and we
// keep a pidfd to it: SIGKILL to the init of a pid namespace kills every process in it, and
// bwrap only exits once the init has been reaped, so when run() returns nothing is left.

#include "engines.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"

#include <csignal>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>

namespace xenbuild::sandbox::detail {

namespace {

namespace fs = std::filesystem;

const char* const kHelperMount = "/run/xenbuild/bin";

// Reads bwrap's --info-fd document to its end (bwrap closes it once the init runs, or exits).
std::string readAll(int fd) {
    std::string text;
    std::array<char, 4096> buffer{};
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n > 0) {
            text.append(buffer.data(), static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            return text;
        }
    }
}

// The sandbox init, once bwrap has told us its pid.
class InitHandle {
  public:
    void attach(const std::string& info) {
        const auto doc = nlohmann::json::parse(info, nullptr, false);
        if (!doc.is_object() || !doc.contains("child-pid")) return; // bwrap failed; it reports why
        const long fd = ::syscall(SYS_pidfd_open, doc["child-pid"].get<int>(), 0);
        if (fd >= 0) pidFd_.reset(static_cast<int>(fd));
    }
    // False when the init is unknown (bwrap has not reported it); the caller then kills bwrap.
    bool kill() const {
        return pidFd_.get() >= 0 &&
               ::syscall(SYS_pidfd_send_signal, pidFd_.get(), SIGKILL, nullptr, 0) == 0;
    }

  private:
    util::Fd pidFd_;
};

class BwrapSandbox final : public Sandbox {
  public:
    explicit BwrapSandbox(SandboxConfig config) : config_(std::move(config)) {}
    Mode mode() const override { return Mode::Namespaces; }

    RunResult run(const RunSpec& spec, const util::LineCallback& onLine) override {
        validate(spec);
        HelperDir helpers(spec.scratchDir.empty() ? config_.scratchDir : spec.scratchDir);
        std::array<int, 2> info{};
        if (::pipe2(info.data(), O_CLOEXEC) != 0)
            throwSystemError("cannot create a pipe for", "bwrap");
        util::Fd infoRead(info[0]);
        util::Fd infoWrite(info[1]);
        InitHandle init;

        util::ProcessSpec process;
        process.argv = arguments(spec, helpers.binDir(), infoWrite.get());
        process.env = cleanEnvironment(kHelperMount, spec.env);
        process.inheritFds = {infoWrite.get()};
        process.onSpawn = [&](int) {
            infoWrite.reset();
            init.attach(readAll(infoRead.get()));
        };
        process.onTerminate = [&] { return init.kill(); };
        return withContext(
            "while running " + quote(spec.argv.empty() ? "" : spec.argv[0]) + " in the sandbox",
            [&] { return runLogged(std::move(process), spec, Mode::Namespaces, onLine); });
    }

    // Runs /bin/true in a sandbox like the real ones; throws SandboxError with bwrap's reason.
    void probe() const {
        if (::access(config_.bwrap.c_str(), X_OK) != 0) {
            throw SandboxError("bubblewrap " + quote(config_.bwrap.string()) +
                               " is not installed: install the Debian package 'bubblewrap', or "
                               "build without isolation with " +
                               mention(Setting::NoSandbox));
        }
        util::ProcessSpec process;
        process.argv = {config_.bwrap.string()};
        appendNamespaces(process.argv);
        appendHost(process.argv);
        process.argv.insert(process.argv.end(), {"--", "/bin/true"});
        process.env = util::Environment{{"PATH", "/usr/bin:/bin"}};
        process.capture = true;
        process.timeout = std::chrono::seconds(30);
        const auto result = util::runProcess(process);
        if (!result.success()) {
            std::string reason = result.err;
            while (!reason.empty() && reason.back() == '\n')
                reason.pop_back();
            throw SandboxError("Linux namespaces are unavailable, the build sandbox cannot be "
                               "created: bubblewrap " +
                               result.describeStatus() + ": " +
                               (reason.empty() ? "no message" : reason) +
                               "\n  (unprivileged user namespaces may be disabled, e.g. by "
                               "kernel.unprivileged_userns_clone=0 or a container seccomp "
                               "policy; build without isolation with " +
                               mention(Setting::NoSandbox) + ")");
        }
    }

  private:
    void appendNamespaces(std::vector<std::string>& args) const {
        args.insert(args.end(), {"--die-with-parent", "--new-session", "--unshare-ipc",
                                 "--unshare-pid", "--unshare-net", "--unshare-uts",
                                 "--unshare-cgroup-try", "--hostname", config_.hostname});
        // Unprivileged: a user namespace. Root: keep uid 0 (file ownership) but no capabilities,
        // so the build cannot remount, mknod, chown or bypass permissions.
        if (::geteuid() != 0) {
            args.emplace_back("--unshare-user");
        } else {
            args.insert(args.end(), {"--cap-drop", "ALL"});
        }
    }

    // The read-only host: /usr and friends (merged-/usr symlinks recreated), selected /etc
    // files, a minimal /dev, a fresh /proc, a private /tmp.
    void appendHost(std::vector<std::string>& args) const {
        for (const auto& path : config_.hostPaths) {
            std::error_code ec;
            const auto status = fs::symlink_status(path, ec);
            if (ec) continue;
            if (fs::is_symlink(status)) {
                args.insert(args.end(),
                            {"--symlink", fs::read_symlink(path).string(), path.string()});
            } else if (fs::is_directory(status)) {
                args.insert(args.end(), {"--ro-bind", path.string(), path.string()});
            }
        }
        for (const auto& path : config_.etcPaths) {
            args.insert(args.end(), {"--ro-bind-try", path.string(), path.string()});
        }
        args.insert(args.end(), {"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"});
    }

    std::vector<std::string> arguments(const RunSpec& spec, const fs::path& helpers,
                                       int infoFd) const {
        std::vector<std::string> args = {config_.bwrap.string()};
        appendNamespaces(args);
        appendHost(args);
        for (const auto& dir : spec.readOnlyDirs) {
            args.insert(args.end(), {"--ro-bind", dir.string(), dir.string()});
        }
        const fs::path inside = spec.workDirInside.empty() ? spec.workDir : spec.workDirInside;
        args.insert(args.end(), {"--bind", spec.workDir.string(), inside.string()});
        for (const auto& dir : spec.writableDirs) {
            args.insert(args.end(), {"--bind", dir.string(), dir.string()});
        }
        for (const auto& [dir, mountPoint] : spec.movedDirs) {
            args.insert(args.end(), {"--bind", dir.string(), mountPoint.string()});
        }
        args.insert(args.end(), {"--ro-bind", helpers.string(), kHelperMount});
        args.insert(args.end(), {"--remount-ro", "/", "--info-fd", std::to_string(infoFd)});
        args.insert(args.end(), {"--chdir", (spec.cwd.empty() ? inside : spec.cwd).string(), "--"});
        args.insert(args.end(), spec.argv.begin(), spec.argv.end());
        return args;
    }

    SandboxConfig config_;
};

} // namespace

std::unique_ptr<Sandbox> makeBwrapSandbox(const SandboxConfig& config) {
    auto sandbox = std::make_unique<BwrapSandbox>(config);
    sandbox->probe();
    return sandbox;
}

} // namespace xenbuild::sandbox::detail
