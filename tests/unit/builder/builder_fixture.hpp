#pragma once
// A Xen-shaped plan built through the fakes (tests/support/builder_fakes.hpp): three sources
// (the xen tree, qemu staged inside it, ipxe packed as a tarball), two patches where the
// second only applies on top of the first, two outputs. The fake `make` installs files into
// both outputs, as `make dist` would.

#include "support/builder_fakes.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"
#include "xenbuild/builder/builder.hpp"
#include "xenbuild/store/store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace xenbuild::testing {

namespace fs = std::filesystem;

// Records every event; several build threads may report at once. `hook`, when set, sees each
// event first (e.g. to interrupt the build at a step).
class EventLog final : public util::ProgressObserver {
  public:
    void onEvent(const util::ProgressEvent& event) override {
        if (hook) hook(event);
        const std::lock_guard lock(mutex_);
        events_.push_back(event);
    }
    std::function<void(const util::ProgressEvent&)> hook;

    std::vector<util::ProgressEvent> events() const {
        const std::lock_guard lock(mutex_);
        return events_;
    }
    // Events of `kind` for `activity`, with `unit` when given.
    std::vector<util::ProgressEvent> of(util::ProgressEvent::Kind kind, const std::string& activity,
                                        const std::string& unit = "") const {
        std::vector<util::ProgressEvent> found;
        for (const auto& event : events()) {
            if (event.kind == kind && event.activity == activity && event.unit == unit)
                found.push_back(event);
        }
        return found;
    }
    // The text of each Started event of `activity`: the steps, in order.
    std::vector<std::string> steps(const std::string& activity) const {
        std::vector<std::string> texts;
        for (const auto& event : of(util::ProgressEvent::Kind::Started, activity))
            texts.push_back(event.text);
        return texts;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<util::ProgressEvent> events_;
};

inline std::string replaceLine(const std::string& file, const std::string& from,
                               const std::string& to) {
    return "--- a/" + file + "\n+++ b/" + file + "\n@@ -1 +1 @@\n-" + from + "\n+" + to + "\n";
}

// The plan hash again, after a test changed the plan.
inline recipe::BuildPlan rehashed(recipe::BuildPlan plan) {
    plan.hash = recipe::computePlanHash(plan);
    return plan;
}

inline recipe::SourcePin source(const std::string& name, const std::string& stageAt,
                                recipe::StageAs stageAs = recipe::StageAs::Tree) {
    return {.name = name, .stageAt = stageAt, .stageAs = stageAs};
}

inline recipe::PatchRef patch(const std::string& id, bool local = true) {
    recipe::PatchRef ref;
    ref.id = id;
    ref.project = "xen";
    ref.local = local;
    return ref;
}

// OUT and BOOT in the environment tell the fake make where to install (the target host's
// paths, /usr and /boot, under DESTDIR dist/install); `boot` takes /boot, `out` the rest.
inline recipe::BuildPlan fakePlan(const std::string& name = "xen_9_9",
                                  const std::string& version = "9.9.0") {
    recipe::BuildPlan plan;
    plan.name = name;
    plan.pname = "xen";
    plan.version = version;
    plan.branch = "9.9";
    plan.variant = "standard";
    plan.sources = {
        source("xen", ""), source("qemu", "tools/qemu-xen-dir"),
        source("ipxe", "tools/firmware/etherboot/ipxe.tar.gz", recipe::StageAs::Tarball)};
    plan.patches = {patch("0001-xl.patch"), patch("0002-xl.patch")};
    plan.configureFlags = {"--prefix=/usr"};
    plan.makeTargets = {"dist"};
    plan.env = {{"SOURCE_DATE_EPOCH", "1700000000"}, {"OUT", "/usr"}, {"BOOT", "/boot"}};
    plan.outputs = {"out", "boot"};
    plan.outputPaths = {{"boot", {"/boot"}}};
    plan.hash = recipe::computePlanHash(plan);
    return plan;
}

inline builder::Toolchain fakeToolchain(const std::string& version = "fake cc 1.0") {
    builder::Toolchain toolchain;
    toolchain.versions["cc"] = version;
    toolchain.hash = util::sha256(version);
    return toolchain;
}

struct BuilderFixture {
    TempDir dir;
    store::Store store = store::Store::open(dir / "store");
    FakeSandbox sandbox;
    FakeFetcher fetcher{dir / "upstream"};
    EventLog events;
    builder::BuildOptions options;
    recipe::BuildPlan plan = fakePlan();
    std::atomic<bool> cancel{false};

    BuilderFixture() {
        sandbox.on("make", installingMake());
        options.cores = 2;
        options.cancel = &cancel;
        fetcher.addSource("xen",
                          {{"Makefile", "all:\n"},
                           {"xen/common/core.c", "int core;\n"},
                           {"tools/xl/xl.c", "xl 9.9.0\n"},
                           {"tools/qemu-xen-dir/stale", "a checkout shipped in the tree\n"}});
        fetcher.addSource("qemu", {{"VERSION", "qemu 9\n"}});
        fetcher.addSource("ipxe", {{"src/README", "ipxe\n"}});
        fetcher.addPatch("0001-xl.patch",
                         replaceLine("tools/xl/xl.c", "xl 9.9.0", "patched xl 9.9.0"));
        fetcher.addPatch("0002-xl.patch", replaceLine("tools/xl/xl.c", "patched xl 9.9.0",
                                                      "twice patched xl 9.9.0"));
    }

    std::unique_ptr<builder::Builder> makeBuilder() { return makeBuilder(options); }
    std::unique_ptr<builder::Builder>
    makeBuilder(const builder::BuildOptions& with,
                const builder::Toolchain& toolchain = fakeToolchain()) {
        return std::make_unique<builder::Builder>(store, sandbox, fetcher, toolchain, with, events,
                                                  std::chrono::milliseconds(0));
    }

    // Installs bin/xl (the xl.c the tree has then) under OUT and xen.gz (`hypervisor`) under
    // BOOT; with FAKE_MAKE_FAILS in the plan's environment it
    // fails instead.
    static FakeSandbox::Script installingMake(std::string hypervisor = "xen\n") {
        return [hypervisor](FakeSandbox::Run& run) {
            run.line("  CC      common/sched/core.o");
            if (run.spec.env.count("FAKE_MAKE_FAILS") != 0) {
                run.line("core.c:1: error: expected ';'");
                return 2;
            }
            const fs::path install = "dist/install";
            run.write(install / fs::path(run.spec.env.at("OUT")).relative_path() / "bin" / "xl",
                      readFile(run.cwd / "tools" / "xl" / "xl.c"));
            run.write(install / fs::path(run.spec.env.at("BOOT")).relative_path() / "xen.gz",
                      hypervisor);
            return 0;
        };
    }

    // Nothing of a build of `which` entered the store: no output, no record, no temporaries.
    void requireNothingCommitted(builder::Builder& builder, const recipe::BuildPlan& which) const {
        for (const auto& output : builder.outputPaths(which)) {
            INFO(output.path);
            CHECK_FALSE(fs::exists(fs::symlink_status(output.path)));
            CHECK_FALSE(store.lookupId(output.path.filename().string()));
        }
        CHECK_FALSE(builder::OutputIndex(store).result(builder.buildKey(which)));
        std::size_t temporaries = 0;
        if (fs::exists(store.dir() / ".tmp")) {
            for (const auto& item : fs::directory_iterator(store.dir() / ".tmp"))
                temporaries += item.path().filename().string().rfind("build-", 0) == 0 ? 1U : 0U;
        }
        CHECK(temporaries == 0);
    }
};

} // namespace xenbuild::testing
