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

struct Recorder final : util::ProgressObserver {
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

const std::string patchText = "--- a/README\n+++ b/README\n@@ -1 +1 @@\n-hello\n+patched\n";

recipe::BuildPlan makePlan(const GitFixture& repo, const std::string& patchUrl) {
    recipe::BuildPlan plan;
    plan.name = "xen_4_19";
    plan.hash = util::sha256("plan");
    plan.sources.push_back({"xen", repo.main.string(), repo.v1, "v1.0",
                            util::Hash::parse(repo.expectedHash(repo.v1, true)), true, "", "tree"});
    plan.sources.push_back(
        {"sub", "file://" + repo.sub.string(), "master", "", subHash(repo), false, "sub", "tree"});
    recipe::PatchRef ref;
    ref.id = "XSA-1";
    ref.project = "xen";
    ref.url = patchUrl;
    ref.sha256 = util::sha256(patchText);
    plan.patches.push_back(ref);
    return plan;
}

} // namespace

TEST_CASE("fetch::prefetchPlan fetches every source and patch, then serves them from the store",
          "[fetch][prefetch]") {
    TempDir dir;
    GitFixture repo(dir / "upstream");
    xenbuild::testing::HttpServer server;
    server.serve("/xsa1.patch", patchText);
    const auto plan = makePlan(repo, server.url("/xsa1.patch"));
    auto store = store::Store::open(dir / "store");
    Recorder events;
    fetch::FetchOptions options;
    options.jobs = 2;
    const auto first = fetch::prefetchPlan(plan, store, options, events);
    REQUIRE(first.items.size() == 3);
    CHECK(first.items[0].name == "xen");
    CHECK(first.items[0].rev == repo.v1);
    CHECK(first.items[1].name == "sub");
    CHECK(first.items[2].role == "patch");
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
    server.serve("/xsa1.patch", patchText);
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
