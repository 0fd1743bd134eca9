#pragma once
// Running programs, and looking for processes on the host by a unique token in their command
// line (to prove that nothing a test started survives). The xenbuild binary itself is run by
// spawn.hpp; shell commands for fixtures by fixtures.hpp's run().

#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace xenbuild::testing {

struct ProgramResult {
    int status = -1;
    std::string out;
    std::string err;
};

// Runs argv[0] (an absolute path) with exactly `env`, stdin from /dev/null; captures both
// outputs.
inline ProgramResult runProgram(std::vector<std::string> argv, std::vector<std::string> env) {
    auto cStrings = [](std::vector<std::string>& strings) {
        std::vector<char*> result;
        for (auto& s : strings)
            result.push_back(s.data());
        result.push_back(nullptr);
        return result;
    };
    const TempDir capture;
    const std::string outPath = (capture.path() / "out").string();
    const std::string errPath = (capture.path() / "err").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT, 0600);
    auto cArgs = cStrings(argv);
    auto cEnv = cStrings(env);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, cArgs[0], &actions, nullptr, cArgs.data(), cEnv.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, readFile(outPath), readFile(errPath)};
}

// True if a process whose command line contains `token` is still running on the host.
// The command line of /proc/<pid>, or "" when the process is gone: processes exit while the
// directory is read, and reading a dead one's cmdline fails with ESRCH (an exception here).
inline std::string commandLineOf(const std::filesystem::path& procEntry) {
    std::ifstream in(procEntry / "cmdline");
    std::string cmdline;
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
        cmdline.append(buffer, static_cast<std::size_t>(in.gcount()));
    return cmdline;
}

inline bool processWithTokenAlive(const std::string& token) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        if (commandLineOf(entry.path()).find(token) != std::string::npos) return true;
    }
    return false;
}

// SIGKILL is delivered asynchronously to processes that are not our children: wait (bounded)
// until none with `token` is left.
inline bool processWithTokenGone(const std::string& token) {
    for (int i = 0; i < 100; ++i) {
        if (!processWithTokenAlive(token)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

// Kills (by pid) the processes whose command line contains `token`.
inline void killProcessesWithToken(const std::string& token) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string cmdline = commandLineOf(entry.path());
        const std::string name = entry.path().filename().string();
        if (cmdline.find(token) != std::string::npos &&
            name.find_first_not_of("0123456789") == std::string::npos) {
            ::kill(std::stoi(name), SIGKILL);
        }
    }
}

} // namespace xenbuild::testing
