#include "support/git_fixture.hpp"
#include "support/http_server.hpp"
#include "xenbuild/fetch/prefetch.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

#include <mutex>

using namespace xenbuild;
using xenbuild::testing::GitFixture;
using xenbuild::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct PrefetchRecorder final : util::ProgressObserver {
    std::mutex mutex;
    std::vector<util::ProgressEvent> events;
    void onEvent(const util::ProgressEvent& event) override {
        std::lock_guard lock(mutex);
        events.push_back(event);
    }
    int count(util::ProgressEvent::Kind kind) {
        std::lock_guard lock(mutex);
        int n = 0;
        for (const auto& e : events)
            n += e.kind == kind ? 1 : 0;
        return n;
    }
};

util::Hash subHash(const GitFixture& repo) {
    const fs::path clone = repo.root / "sub-expected";
    xenbuild::testing::runOk("git clone -q " + repo.sub.string() + " " + clone.string() +
                             " && rm -rf " + (clone / ".git").string());
    return util::Hash::parse(xenbuild::testing::nixHash(clone));
}

const std::string kPatchText = "--- a/README\n+++ b/README\n@@ -1 +1 @@\n-hello\n+patched\n";

recipe::BuildPlan makePlan(const GitFixture& repo, const std::string& patchUrl) {
    recipe::BuildPlan plan;
    plan.name = "xen_4_19";
    plan.hash = util::sha256("plan");
    plan.sources.push_back({.name = "xen",
                            .url = repo.main.string(),
                            .rev = repo.v1,
                            .tag = "v1.0",
                            .hash = util::Hash::parse(repo.expectedHash(repo.v1, true)),
                            .submodules = true});
    plan.sources.push_back({.name = "sub",
                            .url = "file://" + repo.sub.string(),
                            .rev = "master",
                            .hash = subHash(repo),
                            .stageAt = "sub"});
    plan.patches.push_back(
        {.id = "XSA-1", .project = "xen", .url = patchUrl, .sha256 = util::sha256(kPatchText)});
    return plan;
}

} // namespace

TEST_CASE("fetch::prefetchPlan fetches every source and patch, then serves them from the store",
          "[fetch][prefetch]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    xenbuild::testing::HttpServer server;
    server.serve("/xsa1.patch", kPatchText);
    const auto plan = makePlan(repo, server.url("/xsa1.patch"));
    auto store = store::Store::open(dir / "store");
    PrefetchRecorder events;
    fetch::FetchOptions options;
    options.jobs = 2;
    const auto first = fetch::prefetchPlan(plan, store, options, events);
    REQUIRE(first.items.size() == 3);
    CHECK(first.items[0].name == "xen");
    CHECK(first.items[0].rev == repo.v1);
    CHECK(first.items[1].name == "sub");
    CHECK(first.items[2].role == recipe::InputRole::Patch);
    CHECK(first.sourcePath("xen") == first.items[0].path);
    CHECK(first.sourcePath("sub") == first.items[1].path);
    CHECK(first.patchPath("XSA-1") == first.items[2].path);
    for (const auto& item : first.items)
        CHECK_FALSE(item.fromStore);
    CHECK(events.count(util::ProgressEvent::Kind::Started) == 3);
    CHECK(events.count(util::ProgressEvent::Kind::Finished) == 3);
    CHECK(fs::exists(dir / "store" / "roots" / "plans" / (plan.hash.hex() + ".json")));

    fs::rename(repo.root, dir / "renamed"); // the repositories are gone now
    const auto second = fetch::prefetchPlan(plan, store, options, events);
    for (std::size_t i = 0; i < second.items.size(); ++i) {
        CHECK(second.items[i].fromStore);
        CHECK(second.items[i].path == first.items[i].path);
    }
    CHECK(server.requests("/xsa1.patch") == 1);
}

TEST_CASE("fetch::prefetchPlan reports failures with the source and plan", "[fetch][prefetch]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    xenbuild::testing::HttpServer server;
    server.serve("/xsa1.patch", kPatchText);
    auto plan = makePlan(repo, server.url("/xsa1.patch"));
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    SECTION("one mismatch keeps its type and gains context") {
        plan.sources[1].hash = util::sha256("wrong");
        try {
            fetch::prefetchPlan(plan, store, {}, quiet);
            FAIL("expected HashMismatch");
        } catch (const HashMismatch& e) {
            CHECK_THAT(e.describe(), Catch::Contains("while fetching source 'sub' of 'xen_4_19'") &&
                                         Catch::Contains(util::sha256("wrong").sri()));
        }
        CHECK(store.list().size() == 2); // the others completed
    }
    SECTION("several failures are listed together") {
        plan.sources[1].hash = util::sha256("wrong");
        plan.patches[0].url = server.url("/missing.patch");
        REQUIRE_THROWS_WITH(fetch::prefetchPlan(plan, store, {}, quiet),
                            Catch::Contains("2 fetches failed") && Catch::Contains("'sub'") &&
                                Catch::Contains("XSA-1"));
    }
}

TEST_CASE("fetch::PrefetchResult finds a source or patch by role and name", "[fetch][prefetch]") {
    fetch::PrefetchResult result{.plan = "xen_4_19"};
    result.items.push_back({.role = recipe::InputRole::Source, .name = "xen", .path = "/s/xen"});
    result.items.push_back({.role = recipe::InputRole::Source, .name = "qemu", .path = "/s/qemu"});
    // A patch may share its name with a source: the role tells them apart.
    result.items.push_back(
        {.role = recipe::InputRole::Patch, .name = "qemu", .path = "/s/q.patch"});
    result.items.push_back(
        {.role = recipe::InputRole::Patch, .name = "XSA-1", .path = "/s/x.patch"});
    CHECK(result.sourcePath("xen") == "/s/xen");
    CHECK(result.sourcePath("qemu") == "/s/qemu");
    CHECK(result.patchPath("qemu") == "/s/q.patch");
    CHECK(result.patchPath("XSA-1") == "/s/x.patch");
    REQUIRE_THROWS_AS(result.patchPath("XSA-2"), FetchError);
    REQUIRE_THROWS_WITH(result.patchPath("XSA-2"), "no patch 'XSA-2' was fetched for 'xen_4_19'");
    REQUIRE_THROWS_WITH(result.sourcePath("XSA-1"), "no source 'XSA-1' was fetched for 'xen_4_19'");
    REQUIRE_THROWS_WITH(result.sourcePath("ovmf"), "no source 'ovmf' was fetched for 'xen_4_19'");
}
