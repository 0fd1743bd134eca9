#include "support/fixtures.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/store/temp_roots.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using xenbuild::testing::TempDir;
using xenbuild::testing::writeFile;
namespace fs = std::filesystem;

namespace {

store::Entry addFile(store::Store& store, const TempDir& dir, const std::string& name) {
    const fs::path source = dir / ("source-" + name);
    writeFile(source, "content of " + name + "\n");
    store::AddRequest request;
    request.kind = store::EntryKind::File;
    request.name = name;
    request.expected = util::sha256File(source);
    request.what = "file " + name;
    return store.add(request, [&](const fs::path& dest, const fs::path&) {
        fs::copy_file(source, dest);
        return std::string();
    });
}

std::size_t rootFiles(const TempDir& dir) {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& item :
         fs::directory_iterator(dir / "store" / "roots" / "temp")) {
        ++count;
    }
    return count;
}

} // namespace

TEST_CASE("store::TempRoots keep entries from gc while their owner lives", "[store]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto used = addFile(store, dir, "used.patch");
    const auto unused = addFile(store, dir, "unused.patch");
    const auto later = addFile(store, dir, "later.patch");
    {
        store::TempRoots roots(store);
        roots.add({used.id});
        roots.add({later.id, store::entryId(store::EntryKind::Tree, util::sha256("x"), "absent")});
        CHECK(rootFiles(dir) == 1);
        const auto result = store.gc({false, std::chrono::hours(1)});
        REQUIRE(result.removed.size() == 1);
        CHECK(result.removed[0].id == unused.id);
        CHECK(fs::exists(used.path));
        CHECK(fs::exists(later.path));
    }
    CHECK(rootFiles(dir) == 0); // removed with its owner
    CHECK(store.gc({false, std::chrono::hours(1)}).removed.size() == 2);
}

TEST_CASE("store::TempRoots of dead processes do not count and are removed", "[store]") {
    TempDir dir;
    auto store = store::Store::open(dir / "store");
    const auto entry = addFile(store, dir, "a.patch");
    // What a killed build leaves: a roots file nobody holds a lock on.
    const fs::path stale = dir / "store" / "roots" / "temp" / "999999-0123456789abcdef";
    SECTION("gc") {
        writeFile(stale, entry.id + "\n");
        const auto result = store.gc({false, std::chrono::hours(1)});
        REQUIRE(result.removed.size() == 1);
        CHECK(result.removed[0].id == entry.id);
        CHECK_FALSE(fs::exists(stale));
    }
    SECTION("the next build's roots") {
        writeFile(stale, entry.id + "\n");
        store::TempRoots roots(store);
        CHECK_FALSE(fs::exists(stale));
        CHECK(fs::exists(roots.path()));
        CHECK(rootFiles(dir) == 1);
    }
}
