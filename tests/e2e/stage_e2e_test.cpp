// End-to-end staging: the Xen-shaped upstream carries Xen 4.18+'s riscv symlink and an iPXE
// link (checked by its etherboot Makefile in the tarball), and a source tree with links
// pointing outside builds without anything being written outside the build directory.

#include "e2e/build_fixture.hpp"
#include "support/tree_listing.hpp"

#include <catch2/catch.hpp>

using namespace xbtest;

namespace {

// Every symbolic link under `root` whose target text is `target`, relative to `root`.
std::vector<std::string> linksTo(const fs::path& root, const std::string& target) {
    std::vector<std::string> found;
    for (const auto& [path, line] : listTree(root)) {
        if (line == "l " + target) found.push_back(path);
    }
    return found;
}

} // namespace

TEST_CASE("build: pinned sources with symbolic links stage and build", "[build][e2e][stage]") {
    FakeUpstream upstream;
    const auto built = upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg());
    INFO(built.output);
    REQUIRE(built.status == 0);
}

TEST_CASE("build: a source's links pointing outside are staged as links, nothing written outside",
          "[build][e2e][stage]") {
    FakeUpstream upstream;
    const fs::path tree = upstream.root / "override";
    runOk("cp -a " + shellQuote(std::string(::xenbuild::test::testDataDir()) + "/fake-xen") + " " +
          shellQuote(tree.string()));
    fs::create_symlink("/etc", tree / "evil");
    fs::create_symlink("../../outside", tree / "tools/escape");
    fs::create_symlink("escape", tree / "tools/escape-chain");
    writeFile(upstream.root / "outside/sentinel", "sentinel\n");
    const auto before = listTree(upstream.root / "outside");

    const auto built = upstream.xenbuild("build xen_4_19-slim " +
                                         upstream.hostProfileArg() +
                                         " --override-source xen=" + shellQuote(tree.string()));
    INFO(built.output);
    REQUIRE(built.status == 0);
    // The only links to /etc are the source's own; the outside directory is untouched.
    CHECK(linksTo(upstream.root, "/etc") == std::vector<std::string>{"override/evil"});
    CHECK(listTree(upstream.root / "outside") == before);
}
