// The sandbox must work for an unprivileged user too (bubblewrap then adds a user namespace).
// As root, the test runs itself again as `nobody` through setpriv.

#include "xenbuild/sandbox/sandbox.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

using namespace xenbuild;

namespace {

namespace fs = std::filesystem;

sandbox::RunResult runIn(const fs::path& work, const std::string& script) {
    sandbox::RunSpec spec;
    spec.argv = {"sh", "-c", script};
    spec.workDir = work;
    return sandbox::makeSandbox(sandbox::Mode::Namespaces)->run(spec, {});
}

} // namespace

TEST_CASE("sandbox::Sandbox::run as an unprivileged user", "[.][sandbox-unprivileged]") {
    REQUIRE(::geteuid() != 0);
    testing::TempDir tmp;
    CHECK(runIn(tmp.path(), "echo x > built").success());
    CHECK(fs::exists(tmp / "built"));
    CHECK(runIn(tmp.path(), "cat /proc/sys/kernel/hostname").lastLines ==
          std::vector<std::string>{"xenbuild"});
    CHECK_FALSE(runIn(tmp.path(), "echo x > /usr/escaped").success());
    CHECK_FALSE(runIn(tmp.path(), "bash -c 'exec 3<>/dev/tcp/127.0.0.1/22'").success());
    const auto git = runIn(tmp.path(), "git clone https://example.org/x.git");
    CHECK(git.process.exitCode == 1);
    CHECK(git.lastLines.at(0).rfind("xenbuild: network access attempted in the sandbox", 0) == 0);
}

TEST_CASE("sandbox::Sandbox::run works unprivileged", "[sandbox]") {
    if (::geteuid() != 0) {
        WARN("not root: run the [sandbox-unprivileged] test directly as this user");
        return;
    }
    REQUIRE(fs::exists("/usr/bin/setpriv"));
    util::ProcessSpec spec;
    spec.argv = {"/usr/bin/setpriv",
                 "--reuid=65534",
                 "--regid=65534",
                 "--clear-groups",
                 "--",
                 fs::read_symlink("/proc/self/exe").string(),
                 "[sandbox-unprivileged]"};
    spec.env = util::Environment{{"PATH", "/usr/bin:/bin"}, {"TMPDIR", "/tmp"}};
    spec.capture = true;
    const auto result = util::runProcess(spec);
    INFO(result.out);
    INFO(result.err);
    CHECK(result.success());
    CHECK(result.out.find("All tests passed") != std::string::npos);
}
