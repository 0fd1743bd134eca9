// The builder's steps through the fakes: staging and patch order, what each failure leaves
// behind (nothing in the store), the cache, interrupts, --rebuild and live progress.

#include "unit/builder/builder_fixture.hpp"
#include "xenbuild/builder/substituter.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
namespace fs = std::filesystem;
using testing::BuilderFixture;
using testing::FakeSandbox;
using Kind = util::ProgressEvent::Kind;
using Catch::Contains;
using Catch::StartsWith;

namespace {

// The error `fn` throws, as the CLI prints it (trace included).
template <typename E, typename Fn>
std::string describeError(Fn&& fn) {
    try {
        fn();
    } catch (const E& error) {
        return error.describe();
    }
    FAIL("no error of the expected type was thrown");
    return "";
}

} // namespace

TEST_CASE("builder::Builder stages the xen tree first, then the other sources where it expects "
          "them, patches, packs tarballs, configures and makes",
          "[build][builder]") {
    BuilderFixture f;
    auto builder = f.makeBuilder();
    const auto outputs = builder->outputPaths(f.plan);
    bool configured = false;
    f.sandbox.on("./configure", [&](FakeSandbox::Run& run) {
        // qemu replaced the checkout the xen tree shipped at its place.
        CHECK(testing::readFile(run.cwd / "tools/qemu-xen-dir/VERSION") == "qemu 9\n");
        CHECK_FALSE(fs::exists(run.cwd / "tools/qemu-xen-dir/stale"));
        // The series applied in order before configure, and ipxe went in as a tarball.
        CHECK(testing::readFile(run.cwd / "tools/xl/xl.c") == "twice patched xl 9.9.0\n");
        CHECK(fs::is_regular_file(run.cwd / "tools/firmware/etherboot/ipxe.tar.gz"));
        configured = true;
        return 0;
    });

    const auto result = builder->build(f.plan);

    CHECK(configured);
    CHECK(f.events.steps("build xen_9_9") ==
          std::vector<std::string>{"fetching sources", "staging sources", "applying 2 patches",
                                   "running configure", "running make", "installing outputs",
                                   "checking outputs"});
    const auto commands = f.sandbox.commands();
    REQUIRE(commands.size() == 2);
    CHECK(commands[0].argv == std::vector<std::string>{"./configure", "--prefix=/usr"});
    CHECK(commands[1].argv == std::vector<std::string>{"make", "-j2", "dist"});
    CHECK(commands[1].cwd == f.store.dir() / ".tmp" / ("build-" + result.key) / "xen");
    CHECK(commands[1].env.at("BOOT") == "/boot");

    CHECK_FALSE(result.cached);
    CHECK(result.sandboxMode == "off");
    REQUIRE(result.outputs.size() == 2);
    CHECK(result.outputs[0].path == outputs[0].path);
    CHECK(testing::readFile(outputs[0].path / "usr/bin/xl") == "twice patched xl 9.9.0\n");
    CHECK(testing::readFile(outputs[1].path / "boot/xen.gz") == "xen\n");
    CHECK(f.store.lookupId(outputs[1].path.filename().string()));
    CHECK(builder::OutputIndex(f.store).result(result.key));
    // The build directory is gone, the log kept what make printed.
    CHECK_FALSE(fs::exists(f.store.dir() / ".tmp" / ("build-" + result.key)));
    CHECK_THAT(testing::readFile(result.log), Contains("  CC      common/sched/core.o"));
}

TEST_CASE("builder::Builder applies the patch series in plan order", "[build][builder]") {
    BuilderFixture f;
    SECTION("in order, each patch is recorded with how it applied") {
        const auto result = f.makeBuilder()->build(f.plan);
        REQUIRE(result.patches.size() == 2);
        CHECK(result.patches[0].id == "0001-xl.patch");
        CHECK(result.patches[1].id == "0002-xl.patch");
        CHECK(result.patches[0].status == "clean");
        CHECK(result.patches[1].status == "clean");
        CHECK(testing::readFile(result.outputs[0].path / "usr/bin/xl") ==
              "twice patched xl 9.9.0\n");
    }
    SECTION("reversed, the second patch finds nothing to change and the build stops") {
        std::swap(f.plan.patches[0], f.plan.patches[1]);
        f.plan = testing::rehashed(f.plan);
        auto builder = f.makeBuilder();
        CHECK_THAT(describeError<PatchError>([&] { builder->build(f.plan); }),
                   StartsWith("while building 'xen_9_9':\n  ") && Contains("0002-xl.patch"));
        CHECK(f.sandbox.commands().empty());
        f.requireNothingCommitted(*builder, f.plan);
    }
}

TEST_CASE("builder::Builder fails at each step without adding anything to the store",
          "[build][builder]") {
    BuilderFixture f;
    auto builder = f.makeBuilder();
    const auto log = builder::OutputIndex(f.store).logPath(builder->buildKey(f.plan));

    SECTION("a fetch fails") {
        f.fetcher.failOn("qemu", "qemu: connection refused");
        CHECK(describeError<FetchError>([&] { builder->build(f.plan); }) ==
              "while building 'xen_9_9':\n  while fetching the sources of 'xen_9_9':\n  qemu: "
              "connection refused");
        CHECK(f.sandbox.commands().empty());
    }
    SECTION("a patch does not apply") {
        f.fetcher.addPatch("0002-xl.patch",
                           testing::replaceLine("tools/xl/xl.c", "no such line", "x"));
        CHECK_THAT(describeError<PatchError>([&] { builder->build(f.plan); }),
                   Contains("0002-xl.patch"));
        CHECK(f.sandbox.commands().empty());
    }
    SECTION("configure fails") {
        f.sandbox.on("./configure", FakeSandbox::prints({"checking for gcc... no"}, 1));
        CHECK(describeError<BuildError>([&] { builder->build(f.plan); }) ==
              "while building 'xen_9_9':\n  configure failed: './configure --prefix=/usr"
              "' exited with status 1 (sandbox off); last output lines:\n  checking for "
              "gcc... no\nfull log: " +
                  log.string());
        CHECK(f.sandbox.programs() == std::vector<std::string>{"./configure"});
    }
    SECTION("make fails") {
        f.plan.env["FAKE_MAKE_FAILS"] = "1";
        f.plan = testing::rehashed(f.plan);
        const auto failedLog = builder::OutputIndex(f.store).logPath(builder->buildKey(f.plan));
        CHECK(describeError<BuildError>([&] { builder->build(f.plan); }) ==
              "while building 'xen_9_9':\n  make failed: 'make -j2 dist' exited with status 2 "
              "(sandbox off); last output lines:\n    CC      common/sched/core.o\n  core.c:1: "
              "error: expected ';'\nfull log: " +
                  failedLog.string());
        // The log of the failed build is the package's latest.
        CHECK_THAT(testing::readFile(builder::latestLogPath(f.store, "xen_9_9")),
                   Contains("core.c:1: error: expected ';'"));
    }
    SECTION("make installs nothing") {
        f.sandbox.on("make", FakeSandbox::prints({}));
        CHECK_THAT(describeError<BuildError>([&] { builder->build(f.plan); }),
                   Contains("the build installed nothing: "));
    }
    SECTION("a check fails") {
        f.plan.checks = {{.params = recipe::Pe32PlusParams{.path = "${outputs.boot}/xen.efi"}}};
        f.plan = testing::rehashed(f.plan);
        CHECK_THAT(describeError<BuildError>([&] { builder->build(f.plan); }),
                   StartsWith("while building 'xen_9_9':\n  the build's outputs fail their "
                              "checks:\n  pe32plus: 'xen.efi' was not built ("));
        CHECK(f.sandbox.programs() == std::vector<std::string>{"./configure", "make"});
    }
    f.requireNothingCommitted(*builder, f.plan);
    CHECK_FALSE(builder::OutputIndex(f.store).newestOfPackage("xen_9_9"));
}

TEST_CASE("builder::Builder keeps a failed build's directory with keepFailed", "[build][builder]") {
    BuilderFixture f;
    f.options.keepFailed = true;
    f.plan.env["FAKE_MAKE_FAILS"] = "1";
    f.plan = testing::rehashed(f.plan);
    auto builder = f.makeBuilder();
    CHECK_THROWS_AS(builder->build(f.plan), BuildError);
    const auto buildDir = f.store.dir() / ".tmp" / ("build-" + builder->buildKey(f.plan));
    CHECK(testing::readFile(buildDir / "xen/tools/xl/xl.c") == "twice patched xl 9.9.0\n");
    CHECK_FALSE(f.store.lookupId(builder->outputPaths(f.plan)[0].path.filename().string()));
}

TEST_CASE("builder::Builder reuses a finished build: no fetch, no command", "[build][builder]") {
    BuilderFixture f;
    const auto first = f.makeBuilder()->build(f.plan);
    REQUIRE(f.sandbox.commands().size() == 2);

    // A second Builder, as the next `xenbuild build` makes.
    auto again = f.makeBuilder();
    const auto second = again->build(f.plan);
    CHECK(second.cached);
    CHECK(second.key == first.key);
    REQUIRE(second.outputs.size() == 2);
    CHECK(second.output("boot")->path == first.output("boot")->path);
    CHECK(second.patches.size() == 2);
    // The record says which toolchain built the outputs, and when (bundles report both).
    CHECK(second.toolchain.versions == testing::fakeToolchain().versions);
    REQUIRE(first.startedAt);
    REQUIRE(first.finishedAt);
    CHECK(*first.startedAt <= *first.finishedAt);
    CHECK(second.startedAt == first.startedAt);
    CHECK(second.finishedAt == first.finishedAt);
    CHECK(f.sandbox.commands().size() == 2);
    CHECK(f.fetcher.fetchedPlans() == std::vector<std::string>{"xen_9_9"});
    const auto finished = f.events.of(Kind::Finished, "build xen_9_9");
    REQUIRE(finished.size() == 2);
    CHECK(finished[1].text == "cached");

    SECTION("another toolchain is another key: built again") {
        const auto other = f.makeBuilder(f.options, testing::fakeToolchain("fake cc 2.0"));
        const auto rebuilt = other->build(f.plan);
        CHECK_FALSE(rebuilt.cached);
        CHECK(rebuilt.key != first.key);
        CHECK(f.sandbox.commands().size() == 4);
    }
    SECTION("a missing output is no cache hit") {
        util::removeReadOnly(first.outputs[1].path);
        CHECK_FALSE(f.makeBuilder()->build(f.plan).cached);
        CHECK(f.sandbox.commands().size() == 4);
    }
}

TEST_CASE("builder::Builder with rebuild builds again and reports differing files",
          "[build][builder]") {
    BuilderFixture f;
    const auto first = f.makeBuilder()->build(f.plan);
    f.options.rebuild = true;

    SECTION("the same output: nothing differs") {
        const auto again = f.makeBuilder()->build(f.plan);
        CHECK_FALSE(again.cached);
        CHECK(again.differingFiles.empty());
    }
    SECTION("another hypervisor: the kept output and the new one differ") {
        f.sandbox.on("make", BuilderFixture::installingMake("another xen\n"));
        const auto again = f.makeBuilder()->build(f.plan);
        CHECK(again.differingFiles == std::vector<std::string>{"boot: boot/xen.gz"});
        // The store keeps the first output: entries never change.
        CHECK(testing::readFile(first.outputs[1].path / "boot/xen.gz") == "xen\n");
    }
    CHECK(f.sandbox.commands().size() == 4);
    CHECK(f.fetcher.fetchedPlans().size() == 2);
}

TEST_CASE("builder::Builder stops when interrupted and leaves nothing behind", "[build][builder]") {
    BuilderFixture f;
    auto builder = f.makeBuilder();
    SECTION("during make") {
        f.sandbox.on("make", [&](FakeSandbox::Run& run) {
            run.line("  CC      common/sched/core.o");
            f.cancel = true; // SIGINT: the real sandbox then kills every process of the build
            return -1;
        });
        CHECK_THAT(describeError<BuildError>([&] { builder->build(f.plan); }),
                   Contains("make failed: 'make -j2 dist' interrupted (sandbox off)"));
        CHECK(f.sandbox.programs() == std::vector<std::string>{"./configure", "make"});
    }
    SECTION("between steps: no further command starts") {
        f.events.hook = [&](const util::ProgressEvent& event) {
            if (event.text == "applying 2 patches") f.cancel = true;
        };
        CHECK(describeError<BuildError>([&] { builder->build(f.plan); }) ==
              "while building 'xen_9_9':\n  interrupted before running configure");
        CHECK(f.sandbox.commands().empty());
    }
    f.requireNothingCommitted(*builder, f.plan);
}

TEST_CASE("builder::Builder reports what make builds, with the time the last build took",
          "[build][builder]") {
    BuilderFixture f;
    f.sandbox.on("make", [](FakeSandbox::Run& run) {
        run.line("make[1]: Entering directory '/build/xen/xen'");
        run.line("  CC      common/sched/core.o");
        run.line("  CC      common/sched/credit2.o");
        run.line("gcc -O2 -Wall -c -o xl_cmdtable.o xl_cmdtable.c");
        return BuilderFixture::installingMake()(run);
    });
    const auto activity = "build xen_9_9";

    SECTION("the first build of a package has no expected time") {
        const auto result = f.makeBuilder()->build(f.plan);
        const auto progress = f.events.of(Kind::Progress, activity, "files");
        // One event per output line of configure (none) and make (five).
        REQUIRE(progress.size() == 5);
        CHECK(progress[0].text.empty());
        CHECK(progress[1].text == "common/sched/core.o");
        CHECK(progress[2].text == "common/sched/credit2.o");
        CHECK(progress[3].text == "xl_cmdtable.c");
        CHECK(progress[4].text == "common/sched/core.o");
        CHECK(progress[4].done == 4);
        for (const auto& event : progress) {
            CHECK(event.expectedSeconds == 0);
            CHECK(event.elapsedSeconds >= 0);
        }
        // The record keeps every step's time for the next build.
        std::vector<std::string> steps;
        for (const auto& [step, seconds] : result.stepSeconds)
            steps.push_back(step);
        CHECK(steps == std::vector<std::string>{"check", "commit", "configure", "fetch", "install",
                                                "make", "patch", "stage"});
    }
    SECTION("the package's newest build gives the expected times") {
        builder::BuildResult previous;
        previous.plan = "xen_9_9";
        previous.key = "0000000000000000000000000000000000000000000000000000";
        previous.sandboxMode = "off";
        previous.stepSeconds = {{"configure", 12}, {"make", 240}};
        builder::OutputIndex(f.store).record(previous, "an-older-plan");

        f.makeBuilder()->build(f.plan);
        double configureExpected = -1;
        double makeExpected = -1;
        for (const auto& event : f.events.of(Kind::Started, activity)) {
            if (event.text == "running configure") configureExpected = event.expectedSeconds;
            if (event.text == "running make") makeExpected = event.expectedSeconds;
        }
        CHECK(configureExpected == 12);
        CHECK(makeExpected == 240);
        for (const auto& event : f.events.of(Kind::Progress, activity, "files"))
            CHECK(event.expectedSeconds == 240);
    }
}

TEST_CASE("builder lookups find the newest result without the build's toolchain",
          "[build][builder]") {
    BuilderFixture f;
    // Built with a toolchain the host does not have: only the index can find it.
    const auto built = f.makeBuilder()->build(f.plan);

    const auto found = builder::findNewestResult(f.store, f.plan, {});
    REQUIRE(found);
    CHECK(found->key == built.key);
    const auto planned = builder::plannedOutputs(f.store, f.plan, {});
    REQUIRE(planned.outputs.size() == 2);
    CHECK(planned.outputs[0].path == built.outputs[0].path);
    CHECK(planned.unknownBecause.empty());

    SECTION("other key inputs are another plan key") {
        builder::BuildOptions excluded;
        excluded.excludedPatches = {"0002-xl.patch"};
        // Not in the index, and the host toolchain's key was never built in this store.
        CHECK_FALSE(builder::findNewestResult(f.store, f.plan, excluded));
    }
}

namespace {

// A binary cache stand-in: serves the outputs of a build made in another store (copies of its
// trees), or nothing.
class FakeSubstituter final : public builder::Substituter {
  public:
    std::optional<builder::BuildResult> served; // what to hand out (outputs: trees to copy)
    std::vector<std::string> asked;             // keys asked for

    std::optional<builder::BuildResult>
    substitute(store::Store& store, const recipe::BuildPlan& plan, const std::string& key,
               const std::vector<builder::OutputInfo>& outputs, util::ProgressObserver&) override {
        asked.push_back(key);
        if (!served) return std::nullopt;
        std::vector<store::OutputCommit> commits;
        for (const auto& output : outputs) {
            const fs::path staged = store.dir() / ".tmp" / ("build-" + key + "~" + output.name);
            fs::copy(served->output(output.name)->path, staged, fs::copy_options::recursive);
            commits.push_back(
                {output.path.filename().string(), staged, builder::outputName(plan, output.name)});
        }
        store::commitOutputs(store, commits, key);
        auto result = *served;
        result.key = key;
        result.outputs = outputs;
        result.substitutedFrom = "fake://cache";
        return result;
    }
};

} // namespace

TEST_CASE("builder::Builder asks the substituter before building, records what it substitutes",
          "[build][builder][cache]") {
    // The outputs as another machine built them.
    BuilderFixture elsewhere;
    const auto built = elsewhere.makeBuilder()->build(elsewhere.plan);
    REQUIRE(elsewhere.sandbox.commands().size() == 2);

    BuilderFixture f;
    auto substituter = std::make_shared<FakeSubstituter>();
    f.options.substituter = substituter;

    SECTION("nothing in the cache: built as usual") {
        const auto result = f.makeBuilder()->build(f.plan);
        CHECK(substituter->asked.size() == 1);
        CHECK(result.outputStatus() == "built");
        CHECK(f.sandbox.commands().size() == 2);
    }
    SECTION("substituted: no fetch, no command, recorded; the next build finds it present") {
        substituter->served = built;
        const auto result = f.makeBuilder()->build(f.plan);
        CHECK(result.outputStatus() == "substituted");
        CHECK(result.substitutedFrom == "fake://cache");
        CHECK(f.sandbox.commands().empty());
        CHECK(f.fetcher.fetchedPlans().empty());
        CHECK(result.checks.size() == built.checks.size());
        CHECK(testing::readFile(result.log).find("substituted from fake://cache") !=
              std::string::npos);
        const auto again = f.makeBuilder()->build(f.plan);
        CHECK(again.outputStatus() == "present");
        CHECK(again.substitutedFrom == "fake://cache");
        CHECK(substituter->asked.size() == 1); // not asked again
        // findOrSubstitute (xenbuild test) finds the recorded result without asking.
        const auto found = builder::findOrSubstitute(f.store, f.plan, f.options, f.events);
        REQUIRE(found);
        CHECK(found->cached);
    }
    SECTION("--rebuild never substitutes") {
        substituter->served = built;
        auto options = f.options;
        options.rebuild = true;
        f.makeBuilder(options)->build(f.plan);
        CHECK(substituter->asked.empty());
        CHECK(f.sandbox.commands().size() == 2);
    }
}

TEST_CASE("builder::Builder runs a program of the outputs for a check in its sandbox, against "
          "the staged source",
          "[build][builder][check]") {
    BuilderFixture f;
    f.fetcher.addSource("qemu", {{"VERSION", "9.0.0\n"}});
    // make also installs an ELF program (a copy of true) where Xen installs QEMU.
    const std::string program = testing::readFile("/bin/true");
    f.sandbox.on("make", [&](FakeSandbox::Run& run) {
        BuilderFixture::installingMake()(run);
        run.write("dist/install/usr/lib/xen/bin/qemu-system-i386", program);
        return 0;
    });
    f.plan.checks = {{.params = recipe::ProgramVersionParams{
                          .path = "${outputs.out}/usr/lib/xen/bin/qemu-system-i386",
                          .args = {"--version"},
                          .source = "qemu",
                          .versionFile = "VERSION",
                          .libraryPath = {"${outputs.out}/usr/lib"}}}};
    f.plan = testing::rehashed(f.plan);
    auto builder = f.makeBuilder();
    const fs::path staged =
        f.store.dir() / ".tmp" / ("build-" + builder->buildKey(f.plan) + "~outputs") / "out";
    const fs::path qemu = staged / "usr/lib/xen/bin/qemu-system-i386";
    SECTION("it prints the staged tree's version") {
        f.sandbox.on(qemu.string(), FakeSandbox::prints({"QEMU emulator version 9.0.0"}));
        const auto result = builder->build(f.plan);
        REQUIRE(result.checks.size() == 2);
        CHECK(result.checks[0].kind == "program-version");
        CHECK(result.checks[0].detail ==
              "'/usr/lib/xen/bin/qemu-system-i386 --version': QEMU emulator version 9.0.0, as "
              "the VERSION of the staged qemu tree says");
        const auto commands = f.sandbox.commands();
        REQUIRE(commands.size() == 3);
        CHECK(commands[2].argv == std::vector<std::string>{qemu.string(), "--version"});
        CHECK(commands[2].env.at("LD_LIBRARY_PATH") == (staged / "usr/lib").string());
        // The program's output is in the build's log.
        CHECK_THAT(testing::readFile(result.log), Contains("QEMU emulator version 9.0.0\n"));
    }
    SECTION("it prints another version: the build fails, nothing is committed") {
        f.sandbox.on(qemu.string(), FakeSandbox::prints({"QEMU emulator version 8.2.0"}));
        CHECK_THAT(describeError<BuildError>([&] { builder->build(f.plan); }),
                   Contains("the build's outputs fail their checks:\n  program-version: "
                            "'/usr/lib/xen/bin/qemu-system-i386 --version' says 8.2.0 ('QEMU "
                            "emulator version 8.2.0'); expected 9.0.0, the VERSION of the "
                            "staged qemu tree"));
        f.requireNothingCommitted(*builder, f.plan);
    }
    SECTION("an overridden source: its tree's version, said so") {
        const fs::path dir = f.dir / "my-qemu";
        testing::writeFile(dir / "VERSION", "9.1.0\n");
        f.options.sourceOverrides = {{"qemu", dir}};
        auto overridden = f.makeBuilder();
        const fs::path stagedOverride = f.store.dir() / ".tmp" /
                                        ("build-" + overridden->buildKey(f.plan) + "~outputs") /
                                        "out/usr/lib/xen/bin/qemu-system-i386";
        f.sandbox.on(stagedOverride.string(), FakeSandbox::prints({"QEMU emulator version 9.1.0"}));
        const auto result = overridden->build(f.plan);
        CHECK(result.checks[0].detail ==
              "'/usr/lib/xen/bin/qemu-system-i386 --version': QEMU emulator version 9.1.0, as "
              "the VERSION of the staged qemu tree (overridden by '" +
                  dir.string() + "') says");
    }
}
