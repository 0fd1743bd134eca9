#pragma once
// Fakes for the builder's side effects, in the spirit of ninja's FakeCommandRunner: a Sandbox
// that records the commands it is given and runs scripted behaviour instead of processes, and
// a Fetcher that serves sources and patches from directories. With them the builder's steps
// (staging, patches, configure/make, install, checks, commit, cache) run without a compiler,
// bubblewrap or a network.

#include "xenbuild/builder/fetcher.hpp"
#include "xenbuild/sandbox/sandbox.hpp"
#include "xenbuild/util/error.hpp"

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::testing {

// One command the builder ran, as the fake saw it.
struct RanCommand {
    std::vector<std::string> argv;
    std::filesystem::path cwd; // on the host
    util::Environment env;
};

class FakeSandbox final : public sandbox::Sandbox {
  public:
    // What a scripted command sees and can do.
    class Run {
      public:
        Run(const sandbox::RunSpec& runSpec, const util::LineCallback& onLine)
            : spec(runSpec), cwd(hostCwd(runSpec)), onLine_(onLine) {}

        // The working directory on the host of a command run with `spec`.
        static std::filesystem::path hostCwd(const sandbox::RunSpec& runSpec) {
            if (runSpec.cwd.empty()) return runSpec.workDir;
            if (runSpec.workDirInside.empty()) return runSpec.cwd;
            return runSpec.workDir / runSpec.cwd.lexically_relative(runSpec.workDirInside);
        }

        const sandbox::RunSpec& spec;
        const std::filesystem::path cwd; // the command's working directory on the host

        // An output line: to the callback, the log file and the failure message's tail.
        void line(std::string_view text) {
            if (onLine_) onLine_(util::OutputStream::Stdout, text);
            if (!spec.logFile.empty()) std::ofstream(spec.logFile, std::ios::app) << text << '\n';
            lines.emplace_back(text);
            if (lines.size() > spec.tailLines) lines.pop_front();
        }
        // Writes `content` at `relative` under the working directory.
        void write(const std::filesystem::path& relative, const std::string& content) const {
            const auto path = cwd / relative;
            std::filesystem::create_directories(path.parent_path());
            std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
        }

        std::deque<std::string> lines;

      private:
        const util::LineCallback& onLine_;
    };
    // Returns the command's exit status.
    using Script = std::function<int(Run&)>;

    explicit FakeSandbox(sandbox::Mode mode = sandbox::Mode::Off) : mode_(mode) {}

    // What commands whose argv[0] is `program` ("./configure", "make") do; by default they
    // succeed without output.
    void on(const std::string& program, Script script) {
        const std::lock_guard lock(mutex_);
        scripts_[program] = std::move(script);
    }

    // A script printing `lines`, then exiting with `status`.
    static Script prints(std::vector<std::string> lines, int status = 0) {
        return [lines = std::move(lines), status](Run& run) {
            for (const auto& text : lines)
                run.line(text);
            return status;
        };
    }

    // A `make install` with DESTDIR=dist/install: writes each file (absolute path, e.g. under
    // an output's store path, which the build knows in advance) below <cwd>/dist/install.
    static Script installs(std::map<std::filesystem::path, std::string> files) {
        return [files = std::move(files)](Run& run) {
            for (const auto& [path, content] : files)
                run.write(std::filesystem::path("dist/install") / path.relative_path(), content);
            return 0;
        };
    }

    std::vector<RanCommand> commands() const {
        const std::lock_guard lock(mutex_);
        return commands_;
    }
    // argv[0] of every command run, in order.
    std::vector<std::string> programs() const {
        std::vector<std::string> result;
        for (const auto& command : commands())
            result.push_back(command.argv.front());
        return result;
    }

    sandbox::Mode mode() const override { return mode_; }

    // Like the real engines: a failing command is a result, the cancel flag (which a script
    // may set, as SIGINT would) ends the command as interrupted.
    sandbox::RunResult run(const sandbox::RunSpec& spec,
                           const util::LineCallback& onLine) override {
        Script script;
        {
            const std::lock_guard lock(mutex_);
            commands_.push_back({spec.argv, Run::hostCwd(spec), spec.env});
            const auto found = scripts_.find(spec.argv.front());
            if (found != scripts_.end()) script = found->second;
        }
        Run run(spec, onLine);
        sandbox::RunResult result;
        result.mode = mode_;
        result.process.exitCode = script ? script(run) : 0;
        if (spec.cancel != nullptr && spec.cancel->load()) {
            result.process.exitCode = -1;
            result.process.signal = 9;
            result.process.cancelled = true;
        }
        result.lastLines.assign(run.lines.begin(), run.lines.end());
        return result;
    }

  private:
    const sandbox::Mode mode_;
    mutable std::mutex mutex_;
    std::map<std::string, Script> scripts_;
    std::vector<RanCommand> commands_;
};

class FakeFetcher final : public builder::Fetcher {
  public:
    // Trees and patch files are written under `root`.
    explicit FakeFetcher(std::filesystem::path root) : root_(std::move(root)) {}

    // A source tree: relative path -> content.
    std::filesystem::path addSource(const std::string& name,
                                    const std::map<std::string, std::string>& files) {
        const auto dir = root_ / "sources" / name;
        for (const auto& [relative, content] : files) {
            std::filesystem::create_directories((dir / relative).parent_path());
            std::ofstream(dir / relative, std::ios::binary) << content;
        }
        std::filesystem::create_directories(dir);
        const std::lock_guard lock(mutex_);
        sources_[name] = dir;
        return dir;
    }

    std::filesystem::path addPatch(const std::string& id, const std::string& text) {
        const auto file = root_ / "patches" / id;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << text;
        const std::lock_guard lock(mutex_);
        patches_[id] = file;
        return file;
    }

    // Fetching the source or patch `name` throws FetchError(message).
    void failOn(const std::string& name, std::string message) {
        const std::lock_guard lock(mutex_);
        failures_[name] = std::move(message);
    }

    // The plans fetched, in order (several builders' threads may fetch at once).
    std::vector<std::string> fetchedPlans() const {
        const std::lock_guard lock(mutex_);
        return fetched_;
    }

    builder::FetchedInputs fetch(const recipe::BuildPlan& plan,
                                 util::ProgressObserver& observer) override {
        const std::lock_guard lock(mutex_);
        fetched_.push_back(plan.name);
        builder::FetchedInputs inputs;
        auto serve = [&](const std::string& name, const auto& from, auto& into) {
            const std::string activity = "fetch " + plan.name + ":" + name;
            observer.onEvent({util::ProgressEvent::Kind::Started, activity, name, 0, 0, ""});
            if (const auto failure = failures_.find(name); failure != failures_.end())
                throw FetchError(failure->second);
            const auto found = from.find(name);
            if (found == from.end()) throw FetchError("the fake fetcher has no " + quote(name));
            into[name] = found->second;
            observer.onEvent({util::ProgressEvent::Kind::Finished, activity, name, 0, 0, ""});
        };
        for (const auto& source : plan.sources)
            serve(source.name, sources_, inputs.sources);
        for (const auto& patch : plan.patches)
            serve(patch.id, patches_, inputs.patches);
        return inputs;
    }

  private:
    const std::filesystem::path root_;
    mutable std::mutex mutex_;
    std::map<std::string, std::filesystem::path> sources_;
    std::map<std::string, std::filesystem::path> patches_;
    std::map<std::string, std::string> failures_;
    std::vector<std::string> fetched_;
};

} // namespace xenbuild::testing
