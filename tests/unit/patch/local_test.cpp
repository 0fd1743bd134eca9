#include "xenbuild/patch/local.hpp"
#include "xenbuild/util/error.hpp"

#include "unit/patch/patch_fixture.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild::patch;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using xenbuild::testing::TempDir;

TEST_CASE("patch::parseLocalPatchName splits a well-formed name", "[patch][local]") {
    const LocalPatchName name = parseLocalPatchName("0012-xen-fix-gcc13-Build-4.19.patch", "4.19");
    CHECK(name.number == 12);
    CHECK(name.project == "xen");
    CHECK(name.description == "fix-gcc13-Build");
    CHECK(name.branch == "4.19");
    CHECK(parseLocalPatchName("0001-ipxe-a-4.16.patch", "4.16").project == "ipxe");
}

TEST_CASE("patch::parseLocalPatchName rejects misnamed files quoting the spec", "[patch][local]") {
    REQUIRE_THROWS_WITH(
        parseLocalPatchName("01-xen-fix-4.19.patch", "4.19"),
        "misnamed local patch '01-xen-fix-4.19.patch': it does not start with a 4-digit number "
        "and a dash; local patches must be named NNNN-project-description-branch.patch (NNNN: "
        "4-digit order; project: xen, qemu, seabios, ovmf or ipxe; description: letters, digits "
        "and dashes; branch: the directory name, e.g. 4.19)");
    const std::string spec(kLocalPatchNameSpec);
    auto reason = [&](const std::string& fileName, const std::string& why) {
        REQUIRE_THROWS_AS(parseLocalPatchName(fileName, "4.19"), xenbuild::PatchError);
        REQUIRE_THROWS_WITH(parseLocalPatchName(fileName, "4.19"),
                            Contains("'" + fileName + "': " + why) && EndsWith(spec));
    };
    reason("0001-xen-fix-4.18.patch", "it does not end in '-4.19.patch' for the directory '4.19'");
    reason("0001-xen-fix-4.19.diff", "it does not end in '.patch'");
    reason("0001-linux-fix-4.19.patch", "unknown project 'linux'");
    reason("0001-xen-4.19.patch", "the description is empty");
    reason("0001-xen-fix_it-4.19.patch",
           "the description 'fix_it' holds characters other than letters, digits and dashes");
    reason("0001-xen--fix-4.19.patch", "the description '-fix' starts or ends with a dash");
    reason("abcd-xen-fix-4.19.patch", "it does not start with a 4-digit number and a dash");
}

TEST_CASE("patch::listLocalPatches sorts by number and checks every file", "[patch][local]") {
    TempDir dir;
    dir.write("0010-qemu-later-4.19.patch", "");
    dir.write("0002-xen-first-4.19.patch", "");
    dir.write(".0003-xen-editor-swap.swp", "");
    SECTION("sorted by number") {
        const auto patches = listLocalPatches(dir.path(), "4.19");
        REQUIRE(patches.size() == 2);
        CHECK(patches[0].name.fileName == "0002-xen-first-4.19.patch");
        CHECK(patches[0].path == dir / "0002-xen-first-4.19.patch");
        CHECK(patches[1].name.number == 10);
    }
    SECTION("a duplicate number is an error") {
        dir.write("0002-seabios-second-4.19.patch", "");
        REQUIRE_THROWS_WITH(listLocalPatches(dir.path(), "4.19"),
                            "local patches '0002-seabios-second-4.19.patch' and "
                            "'0002-xen-first-4.19.patch' in '" +
                                dir.path().string() +
                                "' share the number 0002; give each patch its own number");
    }
    SECTION("a misnamed file is an error naming the directory") {
        dir.write("README", "");
        try {
            listLocalPatches(dir.path(), "4.19");
            FAIL("no exception");
        } catch (const xenbuild::PatchError& e) {
            CHECK_THAT(e.describe(), Contains("in '" + dir.path().string() + "':\n  " +
                                              "misnamed local patch 'README'"));
        }
    }
    SECTION("a missing directory holds no patches") {
        CHECK(listLocalPatches(dir / "4.18", "4.18").empty());
    }
}
