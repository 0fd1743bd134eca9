#include "support/fixtures.hpp"
#include "xenbuild/fetch/mirrors.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using xenbuild::fetch::Mirrors;

TEST_CASE("fetch::Mirrors rewrites the longest matching prefix once", "[fetch][mirrors]") {
    Mirrors mirrors;
    mirrors.add("https://xenbits.xenproject.org/=file:///srv/xen/");
    mirrors.add("https://xenbits.xenproject.org/git-http/qemu=file:///srv/qemu/qemu");
    mirrors.add("file:///srv/=https://loop/");
    CHECK(mirrors.rewrite("https://xenbits.xenproject.org/git-http/xen.git") ==
          "file:///srv/xen/git-http/xen.git");
    CHECK(mirrors.rewrite("https://xenbits.xenproject.org/git-http/qemu-xen.git") ==
          "file:///srv/qemu/qemu-xen.git");
    CHECK(mirrors.rewrite("https://github.com/x") == "https://github.com/x");
}

TEST_CASE("fetch::Mirrors rejects malformed rules", "[fetch][mirrors]") {
    Mirrors mirrors;
    REQUIRE_THROWS_AS(mirrors.add("no-separator"), xenbuild::UsageError);
    REQUIRE_THROWS_WITH(mirrors.add("=to"), Catch::Contains("'=to'"));
}

TEST_CASE("fetch::Mirrors::loadFile reads a config file", "[fetch][mirrors]") {
    xenbuild::testing::TempDir dir;
    xenbuild::testing::writeFile(dir / "mirrors", "# local copies\n\nhttps://a/ = file:///a/\n"
                                                  "https://b/ file:///b/\n");
    Mirrors mirrors;
    mirrors.loadFile(dir / "mirrors");
    CHECK(mirrors.rewrite("https://a/x") == "file:///a/x");
    CHECK(mirrors.rewrite("https://b/y") == "file:///b/y");
    mirrors.loadFile(dir / "absent", true);
    xenbuild::testing::writeFile(dir / "bad", "ok=fine\nbroken\n");
    REQUIRE_THROWS_WITH(mirrors.loadFile(dir / "bad"), Catch::Contains("bad:2: invalid mirror"));
}
