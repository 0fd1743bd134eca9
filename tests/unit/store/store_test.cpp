#include "support/fixtures.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/store/plan_paths.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace xenbuild;
using xenbuild::testing::TempDir;
using xenbuild::testing::writeFile;
namespace fs = std::filesystem;

namespace {

store::AddRequest treeAddRequest(const std::string& name, std::optional<util::Hash> expected) {
    store::AddRequest request;
    request.kind = store::EntryKind::Tree;
    request.name = name;
    request.expected = expected;
    request.url = "file:///upstream/" + name;
    request.lockKey = "test-" + name;
    request.what = "source " + quote(name);
    return request;
}

store::Producer treeProducer(const std::string& content) {
    return [content](const fs::path& dest, const fs::path&) {
        writeFile(dest / "file.txt", content);
        writeFile(dest / "bin" / "tool", "#!/bin/sh\n", true);
        return std::string();
    };
}

util::Hash referenceTreeHash(const TempDir& dir, const std::string& content) {
    const fs::path tree = dir / ("reference-" + content);
    treeProducer(content)(tree, {});
    return store::narHash(tree);
}

bool isWritable(const fs::path& path) {
    return (fs::symlink_status(path).permissions() & fs::perms::owner_write) != fs::perms::none;
}

} // namespace

TEST_CASE("store::Store::add makes a read-only entry with metadata", "[store]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto hash = referenceTreeHash(dir, "one");
    const auto entry = store.add(treeAddRequest("xen", hash), treeProducer("one"));
    CHECK(entry.id == store::entryId(store::EntryKind::Tree, hash, "xen"));
    CHECK(entry.path == dir / "store" / entry.id);
    CHECK(entry.id.size() == 32 + 1 + 3);
    CHECK_FALSE(isWritable(entry.path));
    CHECK_FALSE(isWritable(entry.path / "file.txt"));
    CHECK(store::narHash(entry.path) == hash);
    const auto found = store.lookup(store::EntryKind::Tree, hash, "xen");
    REQUIRE(found);
    CHECK(found->info.url == "file:///upstream/xen");
    CHECK(found->info.hash == hash);
    CHECK(found->info.time > 0);
    CHECK(store.list().size() == 1);
}

TEST_CASE("store::Store::add is atomic", "[store]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto hash = referenceTreeHash(dir, "one");
    SECTION("a failing producer leaves nothing") {
        REQUIRE_THROWS_AS(store.add(treeAddRequest("xen", hash),
                                    [](const fs::path& dest, const fs::path&) -> std::string {
                                        writeFile(dest / "half", "written");
                                        throw FetchError("network went away");
                                    }),
                          FetchError);
    }
    SECTION("a hash mismatch leaves nothing") {
        REQUIRE_THROWS_AS(store.add(treeAddRequest("xen", hash), treeProducer("two")),
                          HashMismatch);
    }
    SECTION("an empty tree is refused unless allowed") {
        auto request = treeAddRequest("empty", std::nullopt);
        auto empty = [](const fs::path& dest, const fs::path&) {
            fs::create_directories(dest);
            return std::string();
        };
        REQUIRE_THROWS_WITH(store.add(request, empty), Catch::Contains("empty tree"));
        CHECK(store.list().empty());
        request.allowEmpty = true;
        CHECK(fs::is_empty(store.add(request, empty).path));
        return;
    }
    CHECK(store.list().empty());
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
    CHECK(fs::is_empty(dir / "store" / ".meta"));
}

TEST_CASE("store::Store::add runs the producer once per entry", "[store]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto hash = referenceTreeHash(dir, "one");
    int calls = 0;
    auto counting = [&](const fs::path& dest, const fs::path& scratch) {
        ++calls;
        return treeProducer("one")(dest, scratch);
    };
    const auto first = store.add(treeAddRequest("xen", hash), counting);
    const auto second = store.add(treeAddRequest("xen", hash), counting);
    CHECK(calls == 1);
    CHECK(first.path == second.path);
}

TEST_CASE("store::Store::open sweeps leftovers of dead processes only", "[store]") {
    TempDir dir;
    { auto store = store::Store::open(dir / "store"); }
    const fs::path leftover = dir / "store" / ".tmp" / "abc-xen~999~new";
    writeFile(leftover / "partial", "half");
    ::chmod(leftover.c_str(), 0555);
    const fs::path busy = dir / "store" / ".tmp" / "busy-xen~998~new";
    writeFile(busy / "partial", "in progress");
    {
        auto held = store::FileLock::acquire(dir / "store" / ".locks" / "busy-xen.lock");
        auto store = store::Store::open(dir / "store");
        CHECK_FALSE(fs::exists(leftover));
        CHECK(fs::exists(busy));
    }
    const std::string orphan = store::entryId(store::EntryKind::Tree, util::sha256("x"), "x");
    writeFile(dir / "store" / ".meta" / (orphan + ".json"), "{}");
    writeFile(dir / "store" / ".meta" / (orphan + ".json.tmp~999"), "{");
    auto store = store::Store::open(dir / "store");
    CHECK(fs::is_empty(dir / "store" / ".tmp"));
    CHECK(fs::is_empty(dir / "store" / ".meta")); // metadata of entries never renamed in place
}

TEST_CASE("store::Store::verify reports corrupted entries", "[store]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    util::NullProgress quiet;
    const auto good =
        store.add(treeAddRequest("good", referenceTreeHash(dir, "good")), treeProducer("good"));
    const auto bad =
        store.add(treeAddRequest("bad", referenceTreeHash(dir, "bad")), treeProducer("bad"));
    CHECK(store.verify(quiet).empty());
    ::chmod((bad.path / "file.txt").c_str(), 0644);
    writeFile(bad.path / "file.txt", "tampered");
    const auto issues = store.verify(quiet);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].entry.id == bad.id);
    CHECK_THAT(issues[0].problem, Catch::Contains("content changed"));
}

TEST_CASE("store::Store::gc keeps rooted and recently planned entries", "[store]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto rooted =
        store.add(treeAddRequest("rooted", referenceTreeHash(dir, "r")), treeProducer("r"));
    const auto planned =
        store.add(treeAddRequest("planned", referenceTreeHash(dir, "p")), treeProducer("p"));
    const auto garbage =
        store.add(treeAddRequest("garbage", referenceTreeHash(dir, "g")), treeProducer("g"));
    fs::create_symlink(rooted.path, dir / "result"); // a result link, registered as a root
    store.addRoot("result-1", dir / "result");
    store.addPlanRoot("planhash", "xen_4_19", {planned.id});
    SECTION("dry run removes nothing") {
        const auto result = store.gc({true, std::chrono::hours(1)});
        REQUIRE(result.removed.size() == 1);
        CHECK(result.removed[0].id == garbage.id);
        CHECK(fs::exists(garbage.path));
    }
    SECTION("real run") {
        const auto result = store.gc({false, std::chrono::hours(1)});
        REQUIRE(result.removed.size() == 1);
        CHECK(result.bytes > 0);
        CHECK_FALSE(fs::exists(garbage.path));
        CHECK(fs::exists(rooted.path));
        CHECK(fs::exists(planned.path));
        CHECK(store.list().size() == 2);
    }
    SECTION("old plan roots no longer count") {
        const auto result = store.gc({false, std::chrono::seconds(-1)});
        CHECK(result.removed.size() == 2);
        CHECK(fs::exists(rooted.path));
    }
}

TEST_CASE("store::planEntries maps a plan to its store paths", "[store]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto hash = referenceTreeHash(dir, "one");
    store.add(treeAddRequest("xen", hash), treeProducer("one"));
    recipe::BuildPlan plan;
    plan.name = "xen_4_19";
    plan.sources.push_back({.name = "xen", .url = "https://x/xen.git", .rev = "abc", .hash = hash});
    plan.sources.push_back({.name = "qemu",
                            .url = "https://x/q.git",
                            .rev = "def",
                            .hash = util::sha256("q"),
                            .submodules = true});
    const recipe::PatchRef patch{.id = "XSA-460",
                                 .url = "https://xenbits.xen.org/xsa/xsa460.patch",
                                 .sha256 = util::sha256("patch")};
    plan.patches.push_back(patch);
    const auto entries = store::planEntries(plan, store);
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].present);
    CHECK(entries[0].path == store.lookup(store::EntryKind::Tree, hash, "xen")->path);
    CHECK_FALSE(entries[1].present);
    CHECK(entries[2].role == recipe::InputRole::Patch);
    CHECK(entries[2].id == store::entryId(store::EntryKind::File, patch.sha256, "xsa460.patch"));
}
