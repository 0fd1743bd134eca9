#pragma once
// Running one build command in a sandbox. The builder talks to the Sandbox interface, so its
// tests use a fake (FakeSandbox, tests/support/builder_fakes.hpp); makeSandbox() gives the
// real engines:
//   Mode::Namespaces  bubblewrap: mount, pid, net (loopback only), uts (fixed hostname) and ipc
//                     namespaces, plus a user namespace when not root; the host read-only, only
//                     the work and output directories writable; /tmp private, /dev minimal,
//                     /proc fresh. Killing the sandbox's init kills every process in it.
//   Mode::Off         the same clean environment and fail-loudly git/wget, no isolation
//                     (`--sandbox=off`); the result records which mode ran.
// See docs/sandbox.md for the guarantees and their limits.

#include "xenbuild/util/process.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xenbuild::sandbox {

enum class Mode { Namespaces, Off };

std::string toString(Mode mode);         // "namespaces", "off"
Mode parseMode(const std::string& text); // "on"/"namespaces"/"off"; UsageError otherwise

// What one command needs. Directories keep their host paths inside the sandbox (except the work
// directory when workDirInside is set, so that the paths a build embeds do not depend on where
// its directory is on the host).
struct RunSpec {
    std::vector<std::string> argv; // argv[0] is looked up in the clean PATH
    std::filesystem::path workDir; // the build directory: writable, default cwd
    // Where the namespace sandbox mounts workDir (e.g. "/build"); empty: at its host path. A
    // fixed path keeps build paths out of the binaries (Xen's tools and PV shim embed them);
    // Mode::Off cannot move directories and runs at the host path.
    std::filesystem::path workDirInside;
    std::filesystem::path cwd;                       // as seen inside; empty: the work directory
    std::vector<std::filesystem::path> writableDirs; // output directories (must exist)
    std::vector<std::filesystem::path> readOnlyDirs; // e.g. staged store paths (must exist)
    // Writable directories (must exist) that the namespace sandbox mounts at another path, host
    // -> inside, e.g. the compiler cache at a fixed path; Mode::Off sees them at the host path.
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> movedDirs;
    util::Environment env;                     // added to the clean environment (plan env)
    std::chrono::milliseconds timeout{0};      // 0: none
    std::filesystem::path logFile;             // empty: no log; else every line is appended
    const std::atomic<bool>* cancel = nullptr; // set (e.g. on SIGINT) to tear everything down
    std::size_t tailLines = 30;                // how many last lines RunResult keeps
    // Where this run's helper directory (xenbuild-sandbox-XXXXXX) goes; empty:
    // SandboxConfig::scratchDir. A build passes a directory in its store's .tmp named after the
    // build's lock, so that Store::open sweeps what a killed run leaves.
    std::filesystem::path scratchDir;
};

struct RunResult {
    Mode mode = Mode::Namespaces;       // which engine ran the command
    util::ProcessResult process;        // exit status, timeout, cancellation, elapsed time
    std::vector<std::string> lastLines; // the last output lines, stdout and stderr interleaved

    bool success() const { return process.success(); }
    // "'make -j2' exited with status 2; last output lines:\n  ..." for error messages.
    std::string describeFailure(const std::vector<std::string>& argv) const;
};

// The PATH a sandboxed command gets after the fail-loudly directory, unless `extra` sets one.
inline constexpr const char* kDefaultPath = "/usr/bin:/bin";

// The environment every sandboxed command starts from: PATH (the fail-loudly directory first,
// then kDefaultPath), HOME=/homeless-shelter, TZ=UTC, LC_ALL=C, LANG=C, TERM=dumb, GIT and WGET
// pointing at the fail-loudly program, then `extra` on top (it may override anything but GIT,
// WGET and PATH's first entry). Both engines add PWD, the working directory, as shells expect.
util::Environment cleanEnvironment(const std::string& failLoudlyDir,
                                   const util::Environment& extra);

// The program behind GIT, WGET, git, wget and curl inside the sandbox.
std::string failLoudlyScript();

class Sandbox {
  public:
    virtual ~Sandbox() = default;
    virtual Mode mode() const = 0;
    // Runs the command; output lines go to `onLine` (may be empty) and spec.logFile. Throws
    // SandboxError when the sandbox cannot be set up; a failing command is a result.
    virtual RunResult run(const RunSpec& spec, const util::LineCallback& onLine) = 0;
};

struct SandboxConfig {
    std::filesystem::path bwrap = "/usr/bin/bwrap";
    std::string hostname = "xenbuild";
    // Host paths visible read-only in the sandbox when they exist. /bin, /lib... that are
    // symlinks (merged /usr) are recreated as symlinks.
    std::vector<std::filesystem::path> hostPaths = {"/usr",   "/bin",   "/sbin",  "/lib",
                                                    "/lib32", "/lib64", "/libx32"};
    std::vector<std::filesystem::path> etcPaths = {
        "/etc/alternatives", "/etc/ld.so.cache",    "/etc/ld.so.conf",    "/etc/ld.so.conf.d",
        "/etc/passwd",       "/etc/group",          "/etc/nsswitch.conf", "/etc/hosts",
        "/etc/perl",         "/etc/python3",        "/etc/python3.11",    "/etc/ocamlfind.conf",
        "/etc/findlib.conf", "/etc/debian_version", "/etc/os-release"};
    // Where per-run helper files go when RunSpec::scratchDir is empty (callers without a
    // store); empty: the temporary directory ($TMPDIR, else /tmp), which nothing sweeps.
    std::filesystem::path scratchDir;
};

// Creates the engine for `mode`. For Mode::Namespaces it probes once (runs /bin/true in a
// sandbox) and throws SandboxError with bubblewrap's reason when namespaces are unavailable.
std::unique_ptr<Sandbox> makeSandbox(Mode mode, const SandboxConfig& config = {});

} // namespace xenbuild::sandbox
