#pragma once
// Small helpers shared by the store, fetch and e2e tests: shell commands run with a clean PATH
// so that pyenv shims and the like never leak into tests, and nix-hash. Temporary directories
// and files come from temp_dir.hpp and files.hpp.

#include "support/files.hpp"
#include "support/temp_dir.hpp"
#include "xenbuild/store/store.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xenbuild::testing {

namespace fs = std::filesystem;

struct CommandResult {
    int status = -1;
    std::string output; // stdout (stderr too when merged by the command)
};

// Runs `command` with /bin/sh and a clean environment PATH; returns exit status and stdout.
inline CommandResult run(const std::string& command) {
    const std::string full = "env PATH=/usr/bin:/bin GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent "
                             "GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t "
                             "GIT_COMMITTER_EMAIL=t@e GIT_AUTHOR_DATE=2024-01-01T00:00:00Z "
                             "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z /bin/sh -c " +
                             shellQuote(command);
    CommandResult result;
    FILE* pipe = ::popen(full.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("popen failed");
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
        result.output.append(buffer, n);
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

inline std::string runOk(const std::string& command) {
    auto result = run(command);
    if (result.status != 0) {
        throw std::runtime_error("command failed (" + std::to_string(result.status) +
                                 "): " + command + "\n" + result.output);
    }
    return result.output;
}

inline std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

// nix-hash --type sha256 PATH, as hex.
inline std::string nixHash(const fs::path& path) {
    return trim(runOk("nix-hash --type sha256 " + shellQuote(path.string())));
}

} // namespace xenbuild::testing
