// The real-tree checks run by tests/real-tree/debian-xen-tree.sh on Debian's Xen source tree
// (XENBUILD_REAL_TREE): staging and the iPXE-style tarball reproduce it exactly, links
// included, and Debian's already applied patches are detected as already applied. Hidden from
// the default suite ("[.]"); `ctest -L real-tree` runs them through the script.

#include "builder/stage.hpp"
#include "xenbuild/patch/apply.hpp"

#include "support/staged_tree.hpp"
#include "support/tree_listing.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace xenbuild;

namespace {

namespace fs = std::filesystem;

fs::path realTree() {
    const char* tree = std::getenv("XENBUILD_REAL_TREE");
    if (tree == nullptr || *tree == '\0') {
        FAIL("XENBUILD_REAL_TREE is not set: run tests/real-tree/debian-xen-tree.sh "
             "(ctest -L real-tree)");
    }
    REQUIRE(fs::is_directory(tree));
    return tree;
}

} // namespace

TEST_CASE("real tree: staging and the tarball reproduce Debian's Xen tree exactly",
          "[.][real-tree-stage]") {
    const fs::path tree = realTree();
    const auto listing = xenbuild::testing::listTree(tree);
    std::size_t links = 0;
    for (const auto& [path, line] : listing)
        if (line.rfind("l ", 0) == 0) ++links;
    WARN(listing.size() << " entries, " << links << " symbolic links");

    xenbuild::testing::TempDir tmp;
    const fs::path build = tmp / "build";
    fs::create_directory(build);
    builder::detail::copyTree(tree, build / "xen");
    xenbuild::testing::requireSameTree(tree, build / "xen");
    // Nothing but the staged tree appeared.
    REQUIRE(xenbuild::testing::listTree(build).size() == listing.size() + 1);

    const fs::path file = tmp / "xen.tar.gz";
    builder::detail::writeTarball(build / "xen", "xen", file, 1700000000);
    xenbuild::testing::requireTarballOf(file, "xen", tree, 1700000000);
}

TEST_CASE("real tree: Debian's applied patches are detected as already applied",
          "[.][real-tree-patches]") {
    const fs::path tree = realTree();
    std::ifstream series(tree / "debian/patches/series");
    REQUIRE(series);
    std::vector<patch::PatchJob> jobs;
    for (std::string line; std::getline(series, line);) {
        const auto name = line.substr(0, line.find_first_of(" \t#"));
        if (name.empty()) continue;
        jobs.push_back({name, tree / "debian/patches" / name, tree, 0});
    }
    REQUIRE(!jobs.empty());
    patch::SeriesOptions options;
    options.dryRun = true;
    options.stopAtFailure = false;
    const auto reports = patch::applySeries(jobs, options);
    REQUIRE(reports.size() == jobs.size());
    std::string summary;
    for (const auto& report : reports)
        summary += "  " + report.id + ": " + report.summary() + "\n";
    INFO(summary);
    for (const auto& report : reports) {
        CHECK(report.status == patch::PatchStatus::AlreadyApplied);
    }
    WARN(reports.size() << " patches of debian/patches/series, all already applied");
}
