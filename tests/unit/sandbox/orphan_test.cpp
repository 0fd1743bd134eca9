// If xenbuild itself dies (even by SIGKILL, with no chance to clean up), the sandbox and every
// process in it must die too: bwrap gets PR_SET_PDEATHSIG(SIGKILL) from runProcess and passes
// it on to the sandbox's init with --die-with-parent. The test runs itself as "xenbuild".

#include "xenbuild/sandbox/sandbox.hpp"

#include "support/processes.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

using namespace xenbuild;

TEST_CASE("sandbox::Sandbox::run inside a process that gets killed", "[.][sandbox-orphan]") {
    const char* token = std::getenv("XB_TOKEN");
    const char* dir = std::getenv("XB_DIR"); // removed by the caller: we die before cleaning up
    REQUIRE(token != nullptr);
    REQUIRE(dir != nullptr);
    sandbox::SandboxConfig config;
    config.scratchDir = dir;
    sandbox::RunSpec spec;
    spec.argv = {"sh", "-c",
                 std::string("bash -c 'exec -a ") + token + " sleep 600' & echo ready; wait"};
    spec.workDir = dir;
    spec.timeout = std::chrono::seconds(60); // only if nobody kills us
    sandbox::makeSandbox(sandbox::Mode::Namespaces, config)
        ->run(spec,
              [](util::OutputStream, std::string_view line) { std::cout << line << std::endl; });
}

TEST_CASE("sandbox::Sandbox::run dies with xenbuild", "[sandbox]") {
    const std::string token = "xb-sandbox-orphan-" + std::to_string(::getpid());
    testing::TempDir tmp;
    util::ProcessSpec spec;
    spec.argv = {std::filesystem::read_symlink("/proc/self/exe").string(), "[sandbox-orphan]"};
    spec.env = util::Environment{
        {"PATH", "/usr/bin:/bin"}, {"XB_TOKEN", token}, {"XB_DIR", tmp.path().string()}};
    int child = 0;
    bool killed = false;
    spec.onSpawn = [&](int pid) { child = pid; };
    spec.onLine = [&](util::OutputStream, std::string_view line) {
        if (line == "ready" && !killed) {
            CHECK(testing::processWithTokenAlive(token));
            ::kill(child, SIGKILL); // only "xenbuild", not its children
            killed = true;
        }
    };
    const auto result = util::runProcess(spec);
    REQUIRE(killed);
    CHECK(result.signal == SIGKILL);
    CHECK(testing::processWithTokenGone(token));
}
