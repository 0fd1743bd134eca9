#include "xenbuild/sandbox/sandbox.hpp"

#include "engines.hpp"
#include "xenbuild/util/error.hpp"

#include <cstdlib>
#include <deque>
#include <fstream>

namespace xenbuild::sandbox {

namespace fs = std::filesystem;

std::string toString(Mode mode) {
    return mode == Mode::Namespaces ? "namespaces" : "off";
}

Mode parseMode(const std::string& text) {
    if (text == "on" || text == "namespaces") return Mode::Namespaces;
    if (text == "off") return Mode::Off;
    throw UsageError("unknown sandbox mode " + quote(text) + ": expected 'on' or 'off'");
}

std::string failLoudlyScript() {
    return "#!/bin/sh\n"
           "echo \"xenbuild: network access attempted in the sandbox: ${0##*/} $*;"
           " the source should have been staged\" >&2\n"
           "exit 1\n";
}

util::Environment cleanEnvironment(const std::string& failLoudlyDir,
                                   const util::Environment& extra) {
    util::Environment env = {
        {"HOME", "/homeless-shelter"},
        {"TZ", "UTC"},
        {"LC_ALL", "C"},
        {"LANG", "C"},
        {"TERM", "dumb"},
        {"PATH", kDefaultPath},
    };
    for (const auto& [name, value] : extra)
        env[name] = value;
    env["PATH"] = failLoudlyDir + ":" + env["PATH"];
    env["GIT"] = failLoudlyDir + "/git";
    env["WGET"] = failLoudlyDir + "/wget";
    return env;
}

std::string RunResult::describeFailure(const std::vector<std::string>& argv) const {
    std::string command;
    for (const auto& arg : argv)
        command += (command.empty() ? "" : " ") + arg;
    std::string text = quote(command) + " " + process.describeStatus();
    if (mode == Mode::Off) text += " (sandbox off)";
    if (lastLines.empty()) return text + " without output";
    text += "; last output lines:";
    for (const auto& line : lastLines)
        text += "\n  " + line;
    return text;
}

namespace detail {

HelperDir::HelperDir(const fs::path& scratchDir) : root_("xenbuild-sandbox-", scratchDir) {
    fs::create_directory(binDir());
    for (const char* name : {"git", "wget", "curl"}) {
        const fs::path program = binDir() / name;
        std::ofstream(program) << failLoudlyScript();
        fs::permissions(program, fs::perms::owner_all | fs::perms::group_read |
                                     fs::perms::group_exec | fs::perms::others_read |
                                     fs::perms::others_exec);
    }
    fs::permissions(root_.path(),
                    fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec,
                    fs::perm_options::add);
}

void validate(const RunSpec& spec) {
    if (spec.argv.empty()) throw SandboxError("cannot run an empty command in the sandbox");
    const auto requireDir = [](const fs::path& dir, const char* role) {
        if (dir.empty() || !dir.is_absolute()) {
            throw SandboxError(std::string("the sandbox's ") + role + " " + quote(dir.string()) +
                               " must be an absolute path");
        }
        if (!fs::is_directory(dir)) {
            throw SandboxError(std::string("the sandbox's ") + role + " " + quote(dir.string()) +
                               " does not exist or is not a directory");
        }
    };
    requireDir(spec.workDir, "work directory");
    if (!spec.workDirInside.empty() && !spec.workDirInside.is_absolute()) {
        throw SandboxError("the sandbox's work directory inside " +
                           quote(spec.workDirInside.string()) + " must be an absolute path");
    }
    for (const auto& dir : spec.writableDirs)
        requireDir(dir, "output directory");
    for (const auto& dir : spec.readOnlyDirs)
        requireDir(dir, "read-only directory");
    for (const auto& [dir, inside] : spec.movedDirs) {
        requireDir(dir, "writable directory");
        if (!inside.is_absolute()) {
            throw SandboxError("the sandbox's mount point " + quote(inside.string()) + " for " +
                               quote(dir.string()) + " must be an absolute path");
        }
    }
}

RunResult runLogged(util::ProcessSpec process, const RunSpec& spec, Mode mode,
                    const util::LineCallback& onLine) {
    std::ofstream log;
    if (!spec.logFile.empty()) {
        log.open(spec.logFile, std::ios::app);
        if (!log) throwSystemError("cannot open build log", spec.logFile.string());
    }
    std::deque<std::string> tail;
    process.onLine = [&](util::OutputStream stream, std::string_view line) {
        if (log.is_open()) log << line << '\n';
        tail.emplace_back(line);
        if (tail.size() > spec.tailLines) tail.pop_front();
        if (onLine) onLine(stream, line);
    };
    process.timeout = spec.timeout;
    process.cancel = spec.cancel;
    RunResult result;
    result.mode = mode;
    result.process = util::runProcess(process);
    result.lastLines.assign(tail.begin(), tail.end());
    if (log.is_open()) {
        log << "xenbuild: command " << result.process.describeStatus() << " (sandbox "
            << toString(mode) << ")\n";
    }
    return result;
}

// Mode::Off: the clean environment and the fail-loudly programs, nothing else.
class Unsandboxed final : public Sandbox {
  public:
    explicit Unsandboxed(SandboxConfig config) : config_(std::move(config)) {}
    Mode mode() const override { return Mode::Off; }

    RunResult run(const RunSpec& spec, const util::LineCallback& onLine) override {
        validate(spec);
        HelperDir helpers(spec.scratchDir.empty() ? config_.scratchDir : spec.scratchDir);
        util::ProcessSpec process;
        process.argv = spec.argv;
        process.env = cleanEnvironment(helpers.binDir().string(), spec.env);
        process.cwd = (spec.cwd.empty() ? spec.workDir : spec.cwd).string();
        (*process.env)["PWD"] = process.cwd; // as bwrap sets it
        return runLogged(std::move(process), spec, Mode::Off, onLine);
    }

  private:
    SandboxConfig config_;
};

std::unique_ptr<Sandbox> makeUnsandboxed(const SandboxConfig& config) {
    return std::make_unique<Unsandboxed>(config);
}

} // namespace detail

std::unique_ptr<Sandbox> makeSandbox(Mode mode, const SandboxConfig& config) {
    if (mode == Mode::Off) return detail::makeUnsandboxed(config);
    return detail::makeBwrapSandbox(config);
}

} // namespace xenbuild::sandbox
