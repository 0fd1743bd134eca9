#include "xenbuild/util/error.hpp"
#include "xenbuild/util/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace xenbuild;
namespace fs = std::filesystem;

TEST_CASE("util::TempDir makes a private directory and removes it, read-only or not",
          "[util][temp_dir]") {
    util::TempDir base;
    fs::path kept;
    {
        util::TempDir dir("xb-unit-", base.path());
        kept = dir.path();
        CHECK(kept.parent_path() == base.path());
        CHECK(kept.filename().string().rfind("xb-unit-", 0) == 0);
        CHECK(kept.filename().string().size() == std::string("xb-unit-XXXXXX").size());
        CHECK((fs::status(kept).permissions() & fs::perms::all) == fs::perms(0700));
        fs::create_directories(dir / "a" / "b");
        std::ofstream(dir / "a" / "b" / "f") << "x";
        fs::permissions(dir / "a" / "b" / "f", fs::perms(0444));
        fs::permissions(dir / "a" / "b", fs::perms(0555));
        fs::permissions(dir / "a", fs::perms(0555));
    }
    CHECK_FALSE(fs::exists(kept));
    CHECK(fs::is_empty(base.path()));
}

TEST_CASE("util::TempDir can be moved and released", "[util][temp_dir]") {
    util::TempDir base;
    fs::path path;
    {
        util::TempDir first("x-", base.path());
        path = first.path();
        util::TempDir second(std::move(first));
        CHECK(first.path().empty());
        CHECK(second.path() == path);
        first = std::move(second); // back again: still one owner
        CHECK(first.path() == path);
    }
    CHECK_FALSE(fs::exists(path));
    {
        util::TempDir dir("x-", base.path());
        path = dir.release();
        CHECK(dir.path().empty());
    }
    CHECK(fs::is_directory(path));
    CHECK(util::makeTempDir("y-", base.path()).parent_path() == base.path());
}

TEST_CASE("util::TempDir says where it could not create a directory", "[util][temp_dir]") {
    util::TempDir base;
    REQUIRE_THROWS_MATCHES(util::TempDir("x-", base / "missing"), SystemError,
                           Catch::Message("cannot create a temporary directory in '" +
                                          (base / "missing").string() +
                                          "': No such file or directory"));
}
