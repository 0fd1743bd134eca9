#pragma once
// Runs the real xenbuild binary for end-to-end tests: asynchronously (to kill it or race two of
// them) or to completion, with stdout and stderr captured in files and a clean environment.

#include "support/fixtures.hpp"
#include "support/test_paths.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <vector>

namespace xbtest {

struct Process {
    pid_t pid = -1;
    fs::path out;
    fs::path err;

    int wait() const {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    void kill() const { ::kill(pid, SIGKILL); }
    std::string stdoutText() const { return runOk("cat " + shellQuote(out.string())); }
    std::string stderrText() const { return runOk("cat " + shellQuote(err.string())); }
};

// Starts ::xenbuild::test::xenbuildBinary() with `args`; HOME and the XDG directories point into
// `home`; `extraEnv` adds NAME=VALUE entries (e.g. XENBUILD_STOP_AT).
inline Process spawnXenbuild(const fs::path& home, const std::vector<std::string>& args,
                             const std::string& label,
                             const std::vector<std::string>& extraEnv = {}) {
    Process process{-1, home / (label + ".out"), home / (label + ".err")};
    std::vector<std::string> argv = {::xenbuild::test::xenbuildBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + home.string(),
                                    "XDG_CACHE_HOME=" + (home / "cache").string(),
                                    "XDG_CONFIG_HOME=" + (home / "config").string()};
    env.insert(env.end(), extraEnv.begin(), extraEnv.end());
    std::vector<char*> cargv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::vector<char*> cenv;
    for (auto& e : env)
        cenv.push_back(e.data());
    cenv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, process.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, process.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    const int rc =
        ::posix_spawn(&process.pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
    return process;
}

struct Completed {
    int status;
    std::string out;
    std::string err;
};

inline Completed runXenbuild(const fs::path& home, const std::vector<std::string>& args) {
    static int counter = 0; // test-only helper: unique capture file names
    const auto process = spawnXenbuild(home, args, "run" + std::to_string(++counter));
    const int status = process.wait();
    return {status, process.stdoutText(), process.stderrText()};
}

} // namespace xbtest
