#pragma once
// Looking for processes on the host by a unique token in their command line, to prove that
// nothing a test started survives.

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace xenbuild::test {

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

} // namespace xenbuild::test
