#include "support/files.hpp"
#include "xenbuild/sandbox/sandbox.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/interrupt.hpp"

#include "support/processes.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>

using namespace xenbuild;
using sandbox::Mode;
using sandbox::RunSpec;

namespace {

namespace fs = std::filesystem;

struct Fixture {
    testing::TempDir tmp;
    fs::path work = tmp / "work";
    fs::path out = tmp / "out";
    fs::path outside = tmp / "outside";
    Fixture() {
        fs::create_directories(work);
        fs::create_directories(out);
        fs::create_directories(outside);
    }
    RunSpec spec(const std::string& script) const {
        RunSpec s;
        s.argv = {"sh", "-c", script};
        s.workDir = work;
        s.writableDirs = {out};
        s.env = {{"SOURCE_DATE_EPOCH", "1700000000"}};
        return s;
    }
};

sandbox::RunResult run(Mode mode, const RunSpec& spec) {
    return sandbox::makeSandbox(mode)->run(spec, {});
}

// A TCP listener on 127.0.0.1 of the host; returns its port.
class Listener {
  public:
    Listener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        auto* raw = reinterpret_cast<sockaddr*>(&addr);
        REQUIRE(::bind(fd_, raw, len) == 0);
        REQUIRE(::listen(fd_, 4) == 0);
        REQUIRE(::getsockname(fd_, raw, &len) == 0);
        port_ = ntohs(addr.sin_port);
    }
    ~Listener() { ::close(fd_); }
    int port() const { return port_; }

  private:
    int fd_;
    int port_ = 0;
};

} // namespace

TEST_CASE("sandbox::Sandbox::run cannot reach the host network", "[sandbox]") {
    Fixture f;
    Listener listener;
    auto spec = f.spec("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(listener.port()) +
                       "' && echo connected");
    spec.argv[0] = "sh";
    const auto sandboxed = run(Mode::Namespaces, spec);
    CHECK_FALSE(sandboxed.success());
    // The same command reaches the listener without the sandbox: the test can fail.
    CHECK(run(Mode::Off, spec).lastLines == std::vector<std::string>{"connected"});
}

TEST_CASE("sandbox::Sandbox::run writes only to the work and output directories", "[sandbox]") {
    Fixture f;
    const auto probe = [&](const fs::path& target) {
        return run(Mode::Namespaces, f.spec("echo x > '" + target.string() + "'")).success();
    };
    CHECK(probe(f.work / "built"));
    CHECK(probe(f.out / "installed"));
    CHECK(xenbuild::testing::readFile(f.work / "built") == "x\n");
    CHECK(xenbuild::testing::readFile(f.out / "installed") == "x\n");
    probe(f.outside / "escaped");
    CHECK_FALSE(fs::exists(f.outside / "escaped"));
    CHECK_FALSE(probe("/usr/xenbuild-escaped"));
    CHECK_FALSE(probe("/etc/xenbuild-escaped"));
    CHECK_FALSE(probe("/xenbuild-escaped"));
    CHECK_FALSE(probe("/homeless-shelter/file"));
    CHECK(probe("/tmp/private")); // a private /tmp, gone afterwards
    CHECK_FALSE(fs::exists("/tmp/private"));
}

TEST_CASE("sandbox::Sandbox::run starts from exactly the clean environment", "[sandbox]") {
    Fixture f;
    for (Mode mode : {Mode::Namespaces, Mode::Off}) {
        RunSpec spec = f.spec("");
        spec.argv = {"env"};
        const auto result = run(mode, spec);
        REQUIRE(result.success());
        std::map<std::string, std::string> env;
        for (const auto& line : result.lastLines) {
            const auto eq = line.find('=');
            env[line.substr(0, eq)] = line.substr(eq + 1);
        }
        const std::string helpers = fs::path(env["GIT"]).parent_path().string();
        if (mode == Mode::Namespaces) CHECK(helpers == "/run/xenbuild/bin");
        CHECK(env == std::map<std::string, std::string>{
                         {"GIT", helpers + "/git"},
                         {"HOME", "/homeless-shelter"},
                         {"LANG", "C"},
                         {"LC_ALL", "C"},
                         {"PATH", helpers + ":/usr/bin:/bin"},
                         {"PWD", f.work.string()},
                         {"SOURCE_DATE_EPOCH", "1700000000"},
                         {"TERM", "dumb"},
                         {"TZ", "UTC"},
                         {"WGET", helpers + "/wget"},
                     });
        CHECK(result.mode == mode);
    }
}

TEST_CASE("sandbox::Sandbox::run gives the build no capabilities", "[sandbox]") {
    Fixture f;
    const auto result = run(Mode::Namespaces, f.spec("grep CapEff /proc/self/status"));
    CHECK(result.lastLines == std::vector<std::string>{"CapEff:\t0000000000000000"});
}

TEST_CASE("sandbox::Sandbox::run has a fixed hostname", "[sandbox]") {
    Fixture f;
    const auto result = run(Mode::Namespaces, f.spec("cat /proc/sys/kernel/hostname"));
    CHECK(result.lastLines == std::vector<std::string>{"xenbuild"});
}

TEST_CASE("sandbox::Sandbox::run makes git and wget fail loudly", "[sandbox]") {
    Fixture f;
    const std::string message = "xenbuild: network access attempted in the sandbox: git clone "
                                "https://xenbits.xen.org/git-http/qemu-xen.git; the source "
                                "should have been staged";
    for (Mode mode : {Mode::Namespaces, Mode::Off}) {
        for (const char* how : {"git", "$GIT"}) {
            const auto result =
                run(mode, f.spec(std::string(how) +
                                 " clone https://xenbits.xen.org/git-http/qemu-xen.git"));
            CHECK(result.process.exitCode == 1);
            CHECK(result.lastLines == std::vector<std::string>{message});
        }
        const auto wget = run(mode, f.spec("$WGET -O x http://example.org/x"));
        CHECK_FALSE(wget.success());
        CHECK(wget.lastLines.at(0).find("sandbox: wget -O x") != std::string::npos);
    }
}

TEST_CASE("sandbox::Sandbox::run reports a failure with the last output lines", "[sandbox]") {
    Fixture f;
    auto spec = f.spec("i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo line$i; done; exit 3");
    spec.argv = {"sh", "-c", spec.argv[2]};
    spec.tailLines = 5;
    spec.logFile = f.tmp / "build.log";
    std::vector<std::string> streamed;
    const auto result = sandbox::makeSandbox(Mode::Namespaces)
                            ->run(spec, [&](util::OutputStream, std::string_view line) {
                                streamed.emplace_back(line);
                            });
    CHECK(result.process.exitCode == 3);
    CHECK(streamed.size() == 40);
    CHECK(result.lastLines ==
          std::vector<std::string>{"line36", "line37", "line38", "line39", "line40"});
    CHECK(result.describeFailure({"make", "-j2"}) ==
          "'make -j2' exited with status 3; last output lines:\n"
          "  line36\n  line37\n  line38\n  line39\n  line40");
    const std::string log = xenbuild::testing::readFile(spec.logFile);
    CHECK(log.rfind("line1\nline2\n", 0) == 0);
    CHECK(log.find("line40\nxenbuild: command exited with status 3 (sandbox namespaces)\n") !=
          std::string::npos);
}

TEST_CASE("sandbox::Sandbox::run kills every process on timeout", "[sandbox]") {
    Fixture f;
    for (Mode mode : {Mode::Namespaces, Mode::Off}) {
        const std::string token =
            "xb-sandbox-timeout-" + sandbox::toString(mode) + std::to_string(::getpid());
        // A background grandchild in its own session, as a daemonising build step would be.
        auto spec =
            f.spec("setsid bash -c 'exec -a " + token + " sleep 600' & echo started; sleep 600");
        spec.timeout = std::chrono::milliseconds(500);
        const auto result = run(mode, spec);
        CHECK(result.process.timedOut);
        CHECK_FALSE(result.success());
        if (mode == Mode::Namespaces) {
            // The pid namespace is gone before run() returns.
            CHECK_FALSE(testing::processWithTokenAlive(token));
        } else if (testing::processWithTokenAlive(token)) {
            // Documented limit of --sandbox=off: a process that leaves the process group
            // survives. Clean it up so the test leaves nothing behind.
            testing::killProcessesWithToken(token);
        }
    }
}

TEST_CASE("sandbox::Sandbox::run tears everything down when cancelled", "[sandbox]") {
    Fixture f;
    const std::string token = "xb-sandbox-cancel-" + std::to_string(::getpid());
    std::atomic<bool> cancel{false};
    auto spec = f.spec("bash -c 'exec -a " + token + " sleep 600' & echo ready; wait");
    spec.cancel = &cancel;
    const auto result = sandbox::makeSandbox(Mode::Namespaces)
                            ->run(spec, [&](util::OutputStream, std::string_view line) {
                                if (line == "ready") cancel = true;
                            });
    CHECK(result.process.cancelled);
    CHECK_FALSE(testing::processWithTokenAlive(token));
}

TEST_CASE("sandbox::makeSandbox refuses with the reason when namespaces are unavailable",
          "[sandbox]") {
    testing::TempDir tmp;
    sandbox::SandboxConfig config;
    SECTION("bubblewrap missing") {
        config.bwrap = tmp / "bwrap";
        REQUIRE_THROWS_WITH(sandbox::makeSandbox(Mode::Namespaces, config),
                            "bubblewrap '" + config.bwrap.string() +
                                "' is not installed: install the Debian package 'bubblewrap', "
                                "or build without isolation with the sandbox off");
    }
    SECTION("namespaces refused") {
        config.bwrap = tmp / "bwrap";
        std::ofstream(config.bwrap)
            << "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n";
        fs::permissions(config.bwrap, fs::perms::owner_all);
        REQUIRE_THROWS_AS(sandbox::makeSandbox(Mode::Namespaces, config), SandboxError);
        REQUIRE_THROWS_WITH(sandbox::makeSandbox(Mode::Namespaces, config),
                            Catch::Contains("bubblewrap exited with status 1: bwrap: No "
                                            "permissions to creating new namespace") &&
                                Catch::Contains("with the sandbox off"));
    }
    SECTION("off needs nothing") {
        config.bwrap = tmp / "bwrap";
        CHECK(sandbox::makeSandbox(Mode::Off, config)->mode() == Mode::Off);
    }
}

TEST_CASE("sandbox::parseMode accepts on and off", "[sandbox]") {
    CHECK(sandbox::parseMode("on") == Mode::Namespaces);
    CHECK(sandbox::parseMode("off") == Mode::Off);
    REQUIRE_THROWS_WITH(sandbox::parseMode("maybe"),
                        "unknown sandbox mode 'maybe': expected 'on' or 'off'");
}

TEST_CASE("sandbox::Sandbox::run tears everything down on SIGINT", "[sandbox]") {
    Fixture f;
    util::InterruptGuard guard;
    SECTION("namespaces: Ctrl-C reaches xenbuild while the build runs") {
        const std::string token = "xb-sandbox-sigint-" + std::to_string(::getpid());
        auto spec = f.spec("bash -c 'exec -a " + token + " sleep 600' & echo ready; wait");
        spec.cancel = &guard.flag();
        const auto result = sandbox::makeSandbox(Mode::Namespaces)
                                ->run(spec, [&](util::OutputStream, std::string_view line) {
                                    if (line == "ready") ::raise(SIGINT);
                                });
        CHECK(result.process.cancelled);
        CHECK(guard.signal() == SIGINT);
        CHECK_FALSE(testing::processWithTokenAlive(token));
    }
    SECTION("off: the build itself interrupts xenbuild") {
        auto spec = f.spec("kill -INT " + std::to_string(::getpid()) + "; sleep 600");
        spec.cancel = &guard.flag();
        CHECK(run(Mode::Off, spec).process.cancelled);
    }
}

TEST_CASE("sandbox::Sandbox::run refuses missing directories", "[sandbox]") {
    Fixture f;
    for (Mode mode : {Mode::Namespaces, Mode::Off}) {
        auto spec = f.spec("true");
        spec.writableDirs.push_back(f.tmp / "missing");
        REQUIRE_THROWS_WITH(run(mode, spec), "the sandbox's output directory '" +
                                                 (f.tmp / "missing").string() +
                                                 "' does not exist or is not a directory");
        spec = f.spec("true");
        spec.workDir = "relative";
        REQUIRE_THROWS_WITH(run(mode, spec),
                            "the sandbox's work directory 'relative' must be an absolute path");
        spec.argv.clear();
        REQUIRE_THROWS_AS(run(mode, spec), SandboxError);
    }
}

TEST_CASE("sandbox::cleanEnvironment lets the plan add but not disarm the network guards",
          "[sandbox]") {
    const auto env =
        sandbox::cleanEnvironment("/run/xenbuild/bin", {{"GIT", "/usr/bin/git"},
                                                        {"WGET", "/usr/bin/wget"},
                                                        {"PATH", "/opt/bin:/usr/bin"},
                                                        {"TZ", "Europe/Berlin"},
                                                        {"XEN_BUILD_HOST", "xenbuild"}});
    CHECK(env.at("GIT") == "/run/xenbuild/bin/git");
    CHECK(env.at("WGET") == "/run/xenbuild/bin/wget");
    CHECK(env.at("PATH") == "/run/xenbuild/bin:/opt/bin:/usr/bin");
    CHECK(env.at("TZ") == "Europe/Berlin");
    CHECK(env.at("XEN_BUILD_HOST") == "xenbuild");
}

TEST_CASE("sandbox::Sandbox::run can mount the work directory at a fixed path", "[sandbox]") {
    Fixture f;
    auto spec = f.spec("pwd; echo $PWD; echo x > made-inside");
    spec.workDirInside = "/build";
    const auto result = run(Mode::Namespaces, spec);
    CHECK(result.lastLines == std::vector<std::string>{"/build", "/build"});
    CHECK(xenbuild::testing::readFile(f.work / "made-inside") == "x\n");
    // Without namespaces the directory cannot move: the command runs at the host path.
    CHECK(run(Mode::Off, spec).lastLines.at(0) == f.work.string());
}

TEST_CASE("sandbox::Sandbox::run mounts moved directories writable at their own path",
          "[sandbox]") {
    Fixture f;
    const fs::path cache = f.tmp / "cache";
    fs::create_directories(cache);
    xenbuild::testing::writeFile(cache / "old", "kept\n");
    auto spec = f.spec("cat /run/xenbuild/cache/old; echo new > /run/xenbuild/cache/new; "
                       "test -e " +
                       cache.string() + " || echo host path hidden");
    spec.movedDirs = {{cache, "/run/xenbuild/cache"}};
    const auto result = run(Mode::Namespaces, spec);
    REQUIRE(result.success());
    CHECK(result.lastLines == std::vector<std::string>{"kept", "host path hidden"});
    CHECK(xenbuild::testing::readFile(cache / "new") == "new\n");

    SECTION("a missing directory or a relative mount point is refused") {
        for (Mode mode : {Mode::Namespaces, Mode::Off}) {
            spec.movedDirs = {{f.tmp / "missing", "/run/xenbuild/cache"}};
            REQUIRE_THROWS_WITH(run(mode, spec), "the sandbox's writable directory '" +
                                                     (f.tmp / "missing").string() +
                                                     "' does not exist or is not a directory");
            spec.movedDirs = {{cache, "run/cache"}};
            REQUIRE_THROWS_WITH(run(mode, spec), "the sandbox's mount point 'run/cache' for '" +
                                                     cache.string() + "' must be an absolute path");
        }
    }
}

TEST_CASE("sandbox::Sandbox::run makes its helper directory in the run's scratch directory",
          "[sandbox]") {
    Fixture f;
    const fs::path configured = f.tmp / "configured"; // SandboxConfig::scratchDir
    const fs::path perRun = f.tmp / "per-run";        // RunSpec::scratchDir
    fs::create_directories(configured);
    fs::create_directories(perRun);
    sandbox::SandboxConfig config;
    config.scratchDir = configured;
    for (Mode mode : {Mode::Namespaces, Mode::Off}) {
        INFO(sandbox::toString(mode));
        auto spec = f.spec("cd '" + f.tmp.path().string() +
                           "' && for d in configured per-run; do echo $d: $d/*/bin; done");
        spec.readOnlyDirs = {configured, perRun}; // to look from inside the sandbox
        const auto fallback = sandbox::makeSandbox(mode, config)->run(spec, {});
        REQUIRE(fallback.lastLines.size() == 2);
        CHECK(fallback.lastLines[0].rfind("configured: configured/xenbuild-sandbox-", 0) == 0);
        CHECK(fallback.lastLines[1] == "per-run: per-run/*/bin");

        spec.scratchDir = perRun;
        const auto result = sandbox::makeSandbox(mode, config)->run(spec, {});
        REQUIRE(result.lastLines.size() == 2);
        CHECK(result.lastLines[0] == "configured: configured/*/bin");
        CHECK(result.lastLines[1].rfind("per-run: per-run/xenbuild-sandbox-", 0) == 0);
        // Removed once the command is over.
        CHECK(fs::is_empty(configured));
        CHECK(fs::is_empty(perRun));
    }
}
