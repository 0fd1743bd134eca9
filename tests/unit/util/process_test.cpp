#include "xenbuild/util/error.hpp"
#include "xenbuild/util/process.hpp"

#include "support/processes.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace xenbuild;
using util::OutputStream;
using util::ProcessSpec;
using util::runProcess;

namespace {

ProcessSpec shell(const std::string& script) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.env = util::Environment{{"PATH", "/usr/bin:/bin"}};
    return spec;
}

} // namespace

TEST_CASE("util::runProcess captures output and the exit status", "[util][process]") {
    auto spec = shell("echo out; echo err >&2; exit 3");
    spec.capture = true;
    const auto result = runProcess(spec);
    CHECK(result.exitCode == 3);
    CHECK_FALSE(result.success());
    CHECK(result.out == "out\n");
    CHECK(result.err == "err\n");
    CHECK(result.describeStatus() == "exited with status 3");
}

TEST_CASE("util::runProcess streams lines, including an unterminated last one", "[util][process]") {
    std::vector<std::pair<OutputStream, std::string>> lines;
    auto spec = shell("printf 'a\\nb\\n'; printf 'e\\n' >&2; printf 'tail'");
    spec.onLine = [&](OutputStream stream, std::string_view line) {
        lines.emplace_back(stream, std::string(line));
    };
    REQUIRE(runProcess(spec).success());
    const std::vector<std::pair<OutputStream, std::string>> stdoutLines = [&] {
        std::vector<std::pair<OutputStream, std::string>> only;
        for (const auto& line : lines) {
            if (line.first == OutputStream::Stdout) only.push_back(line);
        }
        return only;
    }();
    REQUIRE(stdoutLines.size() == 3);
    CHECK(stdoutLines[0].second == "a");
    CHECK(stdoutLines[2].second == "tail");
    CHECK(lines.size() == 4);
}

TEST_CASE("util::runProcess uses exactly the given environment and directory", "[util][process]") {
    testing::TempDir dir;
    ProcessSpec spec;
    spec.argv = {"env"};
    spec.env = util::Environment{{"PATH", "/usr/bin:/bin"}, {"ONLY", "this"}};
    spec.cwd = dir.path().string();
    spec.capture = true;
    CHECK(runProcess(spec).out == "ONLY=this\nPATH=/usr/bin:/bin\n");
    spec.argv = {"pwd"};
    CHECK(runProcess(spec).out == dir.path().string() + "\n");
}

TEST_CASE("util::runProcess reports a program that cannot be started", "[util][process]") {
    ProcessSpec spec;
    spec.env = util::Environment{{"PATH", "/nonexistent"}};
    spec.argv = {"no-such-program"};
    REQUIRE_THROWS_WITH(runProcess(spec),
                        "cannot run 'no-such-program': not found in PATH '/nonexistent'");
    spec.argv = {"/bin/true"};
    spec.cwd = "/nonexistent/dir";
    REQUIRE_THROWS_AS(runProcess(spec), SystemError);
}

TEST_CASE("util::runProcess reports death by signal", "[util][process]") {
    const auto result = runProcess(shell("kill -TERM $$"));
    CHECK(result.signal == 15);
    CHECK(result.describeStatus() == "killed by signal 15 (Terminated)");
}

TEST_CASE("util::runProcess kills the whole process group on timeout", "[util][process]") {
    const std::string token = "xb-process-timeout-" + std::to_string(::getpid());
    auto spec = shell("bash -c 'exec -a " + token + " sleep 600' & echo started; wait");
    spec.timeout = std::chrono::milliseconds(300);
    bool started = false;
    spec.onLine = [&](OutputStream, std::string_view line) { started |= line == "started"; };
    const auto result = runProcess(spec);
    CHECK(started);
    CHECK(result.timedOut);
    CHECK_FALSE(result.success());
    CHECK(result.describeStatus().rfind("timed out after ", 0) == 0);
    CHECK(testing::processWithTokenGone(token));
}

TEST_CASE("util::runProcess stops when cancelled", "[util][process]") {
    const std::string token = "xb-process-cancel-" + std::to_string(::getpid());
    std::atomic<bool> cancel{false};
    auto spec = shell("bash -c 'exec -a " + token + " sleep 600' & echo ready; wait");
    spec.cancel = &cancel;
    spec.onLine = [&](OutputStream, std::string_view line) {
        if (line == "ready") cancel = true;
    };
    const auto result = runProcess(spec);
    CHECK(result.cancelled);
    CHECK(result.describeStatus() == "interrupted");
    CHECK(testing::processWithTokenGone(token));
}
