// Fault tests of `xenbuild build` on the Xen-shaped tree: SIGKILL at 20 steps from fetch to
// commit, two processes building the same package, `store gc` during a build. Steps are reached
// deterministically: XENBUILD_STOP_AT makes the binary stop itself (SIGSTOP) at a named fault
// point (util/fault_point.hpp), and a hook in the tree's make waits while a marker file exists.

#include "e2e/build_fixture.hpp"
#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/spawn.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/file.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <thread>

using namespace xenbuild::testing;
using Json = nlohmann::json;

namespace {

constexpr const char* kHookToken = "hooks/faultwait.sh"; // the hook's command line

// The standard build (five sources, a tarball, two patches, five outputs) of a fake upstream
// whose xen tree is long enough to report checkout progress, with a make hook that waits while
// <root>/host/hold exists (the host directory is visible, read-only, in the sandbox). Every
// command runs with its own TMPDIR, so that the tests can see what lands there.
struct FaultUpstream {
    FakeUpstream upstream{"FAKE_XEN_EXTRA_FILES=260"};
    fs::path home = upstream.root / "home";
    fs::path store = upstream.store;
    fs::path hold = upstream.root / "host" / "hold";
    fs::path tmp = upstream.root / "tmp";
    int runs = 0;

    FaultUpstream() {
        fs::create_directories(home);
        fs::create_directories(tmp);
        upstream.addHook("0003", "faultwait",
                         "while [ -e " + hold.string() + " ]; do sleep 0.05; done\n");
    }

    std::vector<std::string> args(const std::vector<std::string>& command) const {
        std::vector<std::string> all = {"--recipes", upstream.recipes.string(), "--store",
                                        store.string()};
        all.insert(all.end(), command.begin(), command.end());
        return all;
    }

    std::vector<std::string> buildArgs() const {
        return args({"build", "xen_4_19", "--host-profile", upstream.hostProfile.string(), "--json",
                     "-o", (upstream.root / "result").string()});
    }

    // Starts a build that stops itself at the listed fault points.
    Process startBuild(const std::string& stopAt = "") {
        return spawnXenbuild(
            home, buildArgs(), "build" + std::to_string(++runs),
            {"XENBUILD_STOP_AT=" + stopAt, "XENBUILD_TODAY=2026-11-21", "TMPDIR=" + tmp.string()});
    }

    Completed run(const std::vector<std::string>& command) const {
        return runXenbuild(home, args(command), {"TMPDIR=" + tmp.string()});
    }
};

// Waits until `process` has stopped itself at a fault point; false if it exited instead.
bool waitStopped(const Process& process) {
    int status = 0;
    if (::waitpid(process.pid, &status, WUNTRACED) != process.pid) return false;
    return WIFSTOPPED(status);
}

// True once `process` (still running) has written `text` to stderr; false on exit or timeout.
bool waitForStderr(const Process& process, const std::string& text) {
    for (int i = 0; i < 600; ++i) {
        if (xenbuild::testing::readFile(process.err).find(text) != std::string::npos) return true;
        int status = 0;
        if (::waitpid(process.pid, &status, WNOHANG) == process.pid) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

bool waitForHook(const Process& process) {
    for (int i = 0; i < 600; ++i) {
        if (xenbuild::testing::processWithTokenAlive(kHookToken)) return true;
        int status = 0;
        if (::waitpid(process.pid, &status, WNOHANG) == process.pid) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

// "<output> <store path> <NAR hash>" for each output of a build's --json result.
std::vector<std::string> outputsOf(const std::string& json) {
    std::vector<std::string> outputs;
    const auto results = Json::parse(json);
    for (const auto& [name, path] : results.at(0).at("outputs").items()) {
        outputs.push_back(name + " " + path.get<std::string>() + " " +
                          xenbuild::store::narHash(path.get<std::string>()).sri());
    }
    return outputs;
}

std::vector<std::string> filesIn(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(dir, error))
        names.push_back(item.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Temporaries anywhere in the store's bookkeeping, and lock files some process still holds.
std::vector<std::string> leftovers(const fs::path& store) {
    std::vector<std::string> found;
    for (const auto& name : filesIn(store / ".tmp"))
        found.push_back(".tmp/" + name);
    for (const auto& name : filesIn(store / "roots" / "temp"))
        found.push_back("roots/temp/" + name);
    for (const char* dir : {".meta", "builds", "logs", "gcroots", "roots/plans"}) {
        for (const auto& name : filesIn(store / dir)) {
            if (name.find(".tmp") != std::string::npos)
                found.push_back(std::string(dir) + "/" + name);
        }
    }
    for (const auto& name : filesIn(store / ".locks")) {
        if (!xenbuild::store::FileLock::tryAcquire(store / ".locks" / name)) {
            found.push_back("held lock .locks/" + name);
        }
    }
    return found;
}

// The sandbox's per-run helper directories (xenbuild-sandbox-XXXXXX) anywhere under `dir`.
std::vector<std::string> sandboxHelpers(const fs::path& dir) {
    std::vector<std::string> found;
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(dir, error);
         it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (it->path().filename().string().rfind("xenbuild-sandbox-", 0) == 0)
            found.push_back(it->path().lexically_relative(dir).string());
    }
    return found;
}

std::size_t countMatching(const fs::path& dir, const std::string& needle) {
    const auto names = filesIn(dir);
    return static_cast<std::size_t>(std::count_if(names.begin(), names.end(), [&](auto& name) {
        return name.find(needle) != std::string::npos;
    }));
}

// What some of the kills leave behind, before the next command sweeps it: proof that the kill
// happened at the step named.
void checkKilledState(const fs::path& store, const fs::path& tmpdir, const std::string& point) {
    const fs::path tmp = store / ".tmp";
    if (point == "fetch:xen:files") {
        const auto names = filesIn(tmp);
        const auto partial = std::find_if(names.begin(), names.end(), [](auto& name) {
            return name.find("-xen~") != std::string::npos && name.rfind("~new") + 4 == name.size();
        });
        REQUIRE(partial != names.end());
        const auto written = countMatching(tmp / *partial / "docs", "doc-");
        CHECK(written > 0);
        CHECK(written < 260); // the checkout was half done
    } else if (point == "make") {
        // The build directory and the sandbox's helper directory, named after the build's lock
        // (so the next Store::open sweeps it), nothing in TMPDIR.
        CHECK(countMatching(tmp, "build-") == 2);
        CHECK(countMatching(tmp, "~sandbox-") == 1);
        CHECK(sandboxHelpers(tmp).size() == 1);
        CHECK(filesIn(tmpdir).empty());
    } else if (point == "commit:moved:xen-4.19.0-boot") {
        CHECK(countMatching(store, "-xen-4.19.0") == 2); // out and boot, not dev, man, doc
        CHECK(countMatching(tmp, "~outputs") == 1);
    } else if (point == "build:committed") {
        CHECK(countMatching(store, "-xen-4.19.0") == 5);
        CHECK(filesIn(tmp).size() == 1); // build-<key>~outputs, emptied by the commit
        CHECK(countMatching(tmp, "~outputs") == 1);
    }
}

} // namespace

TEST_CASE("faults: a build killed at any of 20 steps leaves a valid store and builds the same "
          "outputs next time",
          "[build][e2e][faults]") {
    FaultUpstream fixture;
    const auto reference = fixture.startBuild();
    REQUIRE(reference.wait() == 0);
    const auto expected = outputsOf(reference.stdoutText());
    REQUIRE(expected.size() == 5);
    CHECK(leftovers(fixture.store).empty());
    CHECK(filesIn(fixture.tmp).empty()); // a build writes nothing to TMPDIR
    const auto lockFiles = filesIn(fixture.store / ".locks");

    // Spread over fetch, stage, patch, make, install and commit ("make" is the tree's hook).
    const std::vector<std::string> points = {"build:fetch",
                                             "fetch:xen:started",
                                             "fetch:xen:files", // the checkout half written
                                             "fetch:xen:done",
                                             "stage:xen",
                                             "stage:qemu",
                                             "build:staged",
                                             "build:patched",
                                             "build:packed",
                                             "build:configure",
                                             "build:make",
                                             "make",
                                             "build:made",
                                             "build:installed",
                                             "build:checked",
                                             "build:cleaned",
                                             "commit:meta:xen-4.19.0-boot",
                                             "commit:moved:xen-4.19.0-boot",
                                             "build:committed",
                                             "build:recorded"};
    REQUIRE(points.size() == 20);
    for (const auto& point : points) {
        INFO("killed at " << point);
        if (point.rfind("build:fetch", 0) == 0 || point.rfind("fetch:", 0) == 0) {
            xenbuild::util::removeReadOnly(fixture.store); // fetch everything again
        } else {
            // Keep the fetched sources (their plan root does), collect the outputs.
            for (const char* link :
                 {"result", "result-boot", "result-dev", "result-man", "result-doc"}) {
                fs::remove(fixture.upstream.root / link);
            }
            const auto gc = fixture.run({"store", "gc"});
            REQUIRE(gc.status == 0);
            REQUIRE(gc.out.find("(5 entries), kept 8 entries") != std::string::npos);
        }
        if (point == "make") {
            writeFile(fixture.hold, "");
            const auto victim = fixture.startBuild();
            REQUIRE(waitForHook(victim));
            victim.kill();
            CHECK(victim.wait() == 128 + SIGKILL);
            fs::remove(fixture.hold);
            CHECK(xenbuild::testing::processWithTokenGone(kHookToken)); // the sandbox died too
        } else {
            const auto victim = fixture.startBuild(point);
            REQUIRE(waitStopped(victim));
            victim.kill();
            CHECK(victim.wait() == 128 + SIGKILL);
        }
        checkKilledState(fixture.store, fixture.tmp, point);

        const auto verify = fixture.run({"store", "verify", "--json"});
        INFO(verify.out << verify.err);
        CHECK(verify.status == 0);
        CHECK(Json::parse(verify.out)["corrupt"].empty());

        const auto next = fixture.startBuild();
        const int status = next.wait();
        INFO(next.stderrText());
        REQUIRE(status == 0);
        CHECK(outputsOf(next.stdoutText()) == expected);
        CHECK(leftovers(fixture.store) == std::vector<std::string>{});
        CHECK(filesIn(fixture.store / ".locks") == lockFiles);
        // Nothing of the killed run's sandbox is left, in the store or in TMPDIR.
        CHECK(sandboxHelpers(fixture.store) == std::vector<std::string>{});
        CHECK(sandboxHelpers(fixture.tmp) == std::vector<std::string>{});
        CHECK(filesIn(fixture.tmp) == std::vector<std::string>{});
    }
}

TEST_CASE("faults: a second build of the same package waits for the first and reuses its outputs",
          "[build][e2e][faults]") {
    FaultUpstream fixture;
    const auto first = fixture.startBuild("build:configure");
    REQUIRE(waitStopped(first));
    // The second stops itself if it ever starts building: it must wait, then reuse.
    const auto second = fixture.startBuild("build:fetch");
    const std::string waiting = "xen_4_19: waiting for another process building it (lock " +
                                (fixture.store / ".locks").string() + "/build-";
    REQUIRE(waitForStderr(second, waiting));

    SECTION("the first finishes: the second reuses its outputs") {
        ::kill(first.pid, SIGCONT);
        REQUIRE(first.wait() == 0);
        int status = 0;
        REQUIRE(::waitpid(second.pid, &status, WUNTRACED) == second.pid);
        INFO(second.stderrText());
        REQUIRE_FALSE(WIFSTOPPED(status)); // it would have stopped at build:fetch
        if (WIFSTOPPED(status)) second.kill();
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        const auto built = Json::parse(first.stdoutText()).at(0);
        const auto reused = Json::parse(second.stdoutText()).at(0);
        CHECK(built["cached"] == false);
        CHECK(reused["cached"] == true);
        CHECK(reused["outputs"] == built["outputs"]);
        CHECK(second.stderrText().find("running make") == std::string::npos);
        CHECK(first.stderrText().find("running make") != std::string::npos);
    }
    SECTION("the first dies: the second builds") {
        first.kill();
        CHECK(first.wait() == 128 + SIGKILL);
        REQUIRE(waitStopped(second)); // now it builds, reaching build:fetch
        ::kill(second.pid, SIGCONT);
        REQUIRE(second.wait() == 0);
        CHECK(Json::parse(second.stdoutText()).at(0)["cached"] == false);
    }
    const auto verify = fixture.run({"store", "verify"});
    CHECK(verify.status == 0);
    CHECK(leftovers(fixture.store).empty());
}

TEST_CASE("faults: store gc during a build keeps the build's sources and outputs",
          "[build][e2e][faults][store]") {
    FaultUpstream fixture;
    writeFile(fixture.hold, "");
    const auto build = fixture.startBuild("build:committed");
    REQUIRE(waitForHook(build)); // make is running
    // Without its plan root (one only lasts 30 days) nothing but the running build keeps the
    // sources; gc must not take them from under it.
    const auto planRoots = filesIn(fixture.store / "roots" / "plans");
    REQUIRE(planRoots.size() == 1);
    fs::remove(fixture.store / "roots" / "plans" / planRoots.front());
    const auto sources = filesIn(fixture.store);
    const auto during = fixture.run({"store", "gc"});
    INFO(during.out << during.err);
    CHECK(during.status == 0);
    CHECK(during.out == "freed 0 bytes (0 entries), kept 8 entries\n");
    CHECK(filesIn(fixture.store) == sources);

    fs::remove(fixture.hold);
    REQUIRE(waitStopped(build)); // outputs committed, not yet linked as gc roots
    const auto committed = fixture.run({"store", "gc"});
    INFO(committed.out << committed.err);
    CHECK(committed.status == 0);
    CHECK(committed.out == "freed 0 bytes (0 entries), kept 13 entries\n");

    ::kill(build.pid, SIGCONT);
    REQUIRE(build.wait() == 0);
    const auto outputs = outputsOf(build.stdoutText()); // they exist and hash
    CHECK(outputs.size() == 5);
    CHECK(fixture.run({"store", "verify"}).status == 0);
    CHECK(filesIn(fixture.store / "roots" / "temp").empty());

    // Once the build is over its temporary roots are gone: the unrooted sources go, the
    // outputs stay (the result links are roots).
    const auto after = fixture.run({"store", "gc"});
    CHECK(after.status == 0);
    CHECK(after.out.find("removed ") != std::string::npos);
    CHECK(after.out.find("kept 5 entries\n") != std::string::npos);
    for (const auto& output : outputs)
        CHECK(fs::exists(
            output.substr(output.find(' ') + 1, output.rfind(' ') - output.find(' ') - 1)));
    CHECK(leftovers(fixture.store).empty());
}
