#pragma once
// The one runner of the real xenbuild binary for end-to-end tests: asynchronously (to kill it or
// race two of them) or to completion, with stdout and stderr captured in files and a clean
// environment. (Shell commands for fixtures: fixtures.hpp's run(); finding processes by a
// token: processes.hpp.)

#include "support/fixtures.hpp"
#include "support/test_paths.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <vector>

namespace xenbuild::testing {

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
    std::string stdoutText() const { return readFile(out); }
    std::string stderrText() const { return readFile(err); }
};

// Starts xenbuildBinary() with `args`; HOME and the XDG directories point into `home`, where
// the output is captured (<label>.out, <label>.err); `extraEnv` adds NAME=VALUE entries (e.g.
// XENBUILD_STOP_AT); `cwd`, when given, is the working directory.
inline Process spawnXenbuild(const fs::path& home, const std::vector<std::string>& args,
                             const std::string& label,
                             const std::vector<std::string>& extraEnv = {},
                             const fs::path& cwd = {}) {
    Process process{-1, home / (label + ".out"), home / (label + ".err")};
    std::vector<std::string> argv = {::xenbuild::testing::xenbuildBinary()};
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
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
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

// Runs xenbuild to completion (see spawnXenbuild).
inline Completed runXenbuild(const fs::path& home, const std::vector<std::string>& args,
                             const std::vector<std::string>& extraEnv = {},
                             const fs::path& cwd = {}) {
    static int counter = 0; // test-only helper: unique capture file names
    const auto process =
        spawnXenbuild(home, args, "run" + std::to_string(++counter), extraEnv, cwd);
    const int status = process.wait();
    return {status, process.stdoutText(), process.stderrText()};
}

} // namespace xenbuild::testing
