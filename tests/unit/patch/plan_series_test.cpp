#include "xenbuild/patch/series.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;

namespace {

recipe::PatchRef ref(const std::string& id, const std::string& project, unsigned fuzz) {
    recipe::PatchRef out;
    out.id = id;
    out.project = project;
    out.fuzz = fuzz;
    return out;
}

} // namespace

TEST_CASE("patch::patchSeries puts each patch on its project's tree, in order", "[patch][series]") {
    recipe::BuildPlan plan;
    plan.name = "xen_4_19";
    plan.patches = {ref("XSA-2", "xen", 0), ref("QEMU-1", "qemu", 2), ref("XSA-1", "xen", 1)};
    patch::SeriesTrees trees;
    trees.projects = {{"xen", "/b/src"}, {"qemu", "/b/src/tools/qemu-xen"}};
    trees.patchFiles = {{"XSA-1", "/s/a"}, {"XSA-2", "/s/b"}, {"QEMU-1", "/s/c"}};

    const auto jobs = patch::patchSeries(plan, trees);
    REQUIRE(jobs.size() == 3);
    CHECK(jobs[0].id == "XSA-2");
    CHECK(jobs[0].patchFile == "/s/b");
    CHECK(jobs[0].projectRoot == "/b/src");
    CHECK(jobs[1].projectRoot == "/b/src/tools/qemu-xen");
    CHECK(jobs[1].fuzz == 2);
    CHECK(jobs[2].id == "XSA-1");
    CHECK(jobs[2].fuzz == 1);

    SECTION("a project without a tree is an error naming the patch and the trees") {
        trees.projects.erase("qemu");
        try {
            (void)patch::patchSeries(plan, trees);
            FAIL("no error");
        } catch (const PatchError& error) {
            CHECK(error.describe() ==
                  "while putting together the patch series of 'xen_4_19':\n"
                  "  patch 'QEMU-1' targets 'qemu', which has no tree here (trees: xen)");
        }
    }
    SECTION("a patch that was not fetched is an error") {
        trees.patchFiles.erase("XSA-1");
        REQUIRE_THROWS_WITH(patch::patchSeries(plan.patches, trees),
                            "patch 'XSA-1' has not been fetched");
    }
}
