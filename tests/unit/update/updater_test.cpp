#include "xenbuild/update/updater.hpp"

#include "unit/update/upstream_fixture.hpp"
#include "xenbuild/recipe/branch_file.hpp"
#include "xenbuild/recipe/json.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using Catch::Matchers::Contains;
using xenbuild::testing::Upstream;
using xenbuild::testing::XenRelease;
using xenbuild::update::UpdatePlan;
using xenbuild::update::UpdateRequest;

namespace {

namespace fs = std::filesystem;

struct Runner {
    explicit Runner(Upstream& up) : upstream(up) {}
    Upstream& upstream;
    xenbuild::store::Store store = xenbuild::store::Store::open(upstream.store);
    xenbuild::fetch::FetchOptions options;
    xenbuild::fetch::SignatureVerifier verifier{{upstream.keys.signer.publicKey},
                                                upstream.keys.signer.fingerprint};
    xenbuild::util::NullProgress progress;

    UpdatePlan plan(UpdateRequest request = {}) {
        request.layout = xenbuild::recipe::RecipeLayout::beside(upstream.recipes);
        if (!request.today) request.today = xenbuild::util::parseDate("2026-11-21");
        return xenbuild::update::planUpdate(request, {store, options, verifier, progress});
    }
    UpdatePlan update(UpdateRequest request = {}) {
        auto result = plan(std::move(request));
        xenbuild::update::applyUpdate(result);
        return result;
    }
};

xenbuild::recipe::BranchFile branchFile(const Upstream& upstream, const std::string& branch) {
    return xenbuild::recipe::parseBranchFile(
        xenbuild::recipe::loadJsonFile(upstream.recipes / "xen" / (branch + ".json")));
}

const xenbuild::recipe::SourceEntry& source(const xenbuild::recipe::BranchFile& file,
                                            const std::string& name) {
    for (const auto& [key, entry] : file.sources) {
        if (key == name) return entry;
    }
    throw std::runtime_error("no source " + name);
}

std::string head(const Upstream& upstream, const std::string& repo, const std::string& rev) {
    return xenbuild::testing::trim(
        upstream.keys.git(upstream.repo(repo), {"rev-parse", rev + "^{commit}"}));
}

} // namespace

TEST_CASE("update::planUpdate pins the newest signed release and its components", "[update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    const auto r1 = xenbuild::testing::standardRelease(upstream, "4.19.1");
    const std::string xenCommit = upstream.release(r1);
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);
    const auto plan = runner.update();

    const auto file = branchFile(upstream, "4.19");
    CHECK(file.version == "4.19.1");
    CHECK(plan.latest == "4.19");
    CHECK(source(file, "xen").rev == xenCommit);
    CHECK(source(file, "xen").tag == "RELEASE-4.19.1");
    CHECK(source(file, "qemu").rev == head(upstream, "qemu", "qemu-xen-4.19.1"));
    CHECK(source(file, "qemu").tag == "qemu-xen-4.19.1");
    CHECK(source(file, "seabios").rev == head(upstream, "seabios", "rel-1.16.3"));
    CHECK(source(file, "seabios").tag == "rel-1.16.3"); // through $(SEABIOS_UPSTREAM_TAG)
    CHECK(source(file, "ovmf").rev == r1.ovmfCommit);
    CHECK(source(file, "ovmf").tag.empty());
    CHECK(source(file, "ipxe").rev == r1.ipxeCommit);
    CHECK(xenbuild::util::formatDate(file.support.securitySupportUntil) == "2030-01-01");
    // Hashes are the NAR hashes of the checkouts (nix-prefetch-git's).
    const auto checkout = upstream.dir / "check-qemu";
    xenbuild::testing::runOk("git clone -q " +
                             xenbuild::testing::shellQuote(upstream.repo("qemu").string()) + " " +
                             xenbuild::testing::shellQuote(checkout.string()) + " && cd " +
                             xenbuild::testing::shellQuote(checkout.string()) +
                             " && git checkout -q qemu-xen-4.19.1 " + "&& rm -rf .git");
    CHECK(xenbuild::util::Hash::parse(source(file, "qemu").hash).hex() ==
          xenbuild::testing::nixHash(checkout));
    REQUIRE(plan.branches.size() == 1);
    CHECK(plan.branches[0].oldVersion == "4.19.0");
    CHECK(plan.branches[0].newVersion == "4.19.1");
    CHECK_THAT(plan.summary(), Contains("4.19: 4.19.0 -> 4.19.1"));
}

TEST_CASE("update::planUpdate is idempotent and keeps hashes of unchanged components", "[update]") {
    Upstream upstream;
    const auto r0 = xenbuild::testing::standardRelease(upstream, "4.19.0");
    upstream.release(r0);
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);
    runner.update();
    const auto first = upstream.snapshot();

    SECTION("a second run changes nothing") {
        const auto plan = runner.update();
        CHECK(plan.files.empty());
        CHECK(upstream.snapshot() == first);
        CHECK_THAT(plan.summary(), Contains("recipes are up to date"));
    }
    SECTION("a new point release: same ovmf commit is not fetched again") {
        auto r1 = xenbuild::testing::standardRelease(upstream, "4.19.1");
        r1.ovmfCommit = r0.ovmfCommit;
        upstream.release(r1);
        // ovmf is pinned by commit id and unchanged: it must not be needed any more.
        fs::rename(upstream.repo("ovmf"), upstream.dir / "ovmf-gone");
        const auto plan = runner.update();
        const auto file = branchFile(upstream, "4.19");
        CHECK(file.version == "4.19.1");
        const auto before = xenbuild::recipe::parseBranchFile(
            xenbuild::recipe::parseJson(first.at("4.19.json"), "4.19.json"));
        CHECK(source(file, "ovmf").hash == source(before, "ovmf").hash);
        CHECK(source(file, "qemu").rev != source(before, "qemu").rev);
        REQUIRE(plan.branches.size() == 1);
        bool qemuFetched = false;
        for (const auto& change : plan.branches[0].components) {
            CHECK(change.name != "ovmf");
            if (change.name == "qemu") qemuFetched = change.fetched;
        }
        CHECK(qemuFetched);
    }
}

TEST_CASE("update::planUpdate orders versions numerically and ignores release candidates",
          "[update]") {
    Upstream upstream;
    for (const char* version : {"4.17.9", "4.17.10", "4.9.4"})
        upstream.release(xenbuild::testing::standardRelease(upstream, version));
    // A release candidate after the newest release, and a non-release tag.
    auto rc = xenbuild::testing::standardRelease(upstream, "4.17.11");
    upstream.release(rc);
    upstream.keys.git(upstream.repo("xen"), {"tag", "-d", "RELEASE-4.17.11"});
    upstream.keys.git(upstream.repo("xen"), {"tag", "-s", "-u", upstream.keys.signer.fingerprint,
                                             "-m", "rc", "RELEASE-4.17.11-rc1"});
    upstream.seedBranch("4.9", "4.9.0");
    upstream.seedBranch("4.17", "4.17.0");
    Runner runner(upstream);
    const auto plan = runner.update();
    CHECK(branchFile(upstream, "4.17").version == "4.17.10");
    CHECK(branchFile(upstream, "4.9").version == "4.9.4");
    // latest is 4.17, the newest branch (4.17 > 4.9), for the plan and the recipes alike.
    CHECK(plan.latest == "4.17");
    CHECK(xenbuild::recipe::RecipeSet::load(upstream.recipes).latestBranch() == "4.17");
}

TEST_CASE("update::planUpdate adds branches and reports or prunes unsupported ones", "[update]") {
    Upstream upstream;
    auto old = xenbuild::testing::standardRelease(upstream, "4.16.6");
    old.securityUntil = "2025-11-01";
    upstream.release(old);
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.20.0"));
    upstream.seedBranch("4.16", "4.16.5");
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);

    SECTION("--add-branch creates the branch from the builder's sources and makes it latest") {
        UpdateRequest request;
        request.addBranches = {"4.20"};
        const auto plan = runner.update(request);
        const auto file = branchFile(upstream, "4.20");
        CHECK(file.version == "4.20.0");
        CHECK(plan.latest == "4.20");
        CHECK(xenbuild::recipe::RecipeSet::load(upstream.recipes).latestBranch() == "4.20");
        REQUIRE(file.sources.size() == 5);
        CHECK(file.sources[0].first == "xen"); // in the builder's order
        CHECK(file.sources[4].first == "ipxe");
        CHECK(source(file, "qemu").tag == "qemu-xen-4.20.0");
        CHECK_THAT(plan.summary(), Contains("4.20: added at 4.20.0"));
        // The past-support branch is reported, not removed.
        CHECK(fs::exists(upstream.recipes / "xen" / "4.16.json"));
        CHECK_THAT(plan.summary(), Contains("security support ended 2025-11-01"));
    }
    SECTION("--prune removes it") {
        UpdateRequest request;
        request.prune = true;
        const auto plan = runner.update(request);
        CHECK_FALSE(fs::exists(upstream.recipes / "xen" / "4.16.json"));
        CHECK(fs::exists(upstream.recipes / "xen" / "4.19.json"));
        CHECK_THAT(plan.summary(), Contains("branch removed"));
    }
    SECTION("a branch without any release is a clear error") {
        UpdateRequest request;
        request.addBranches = {"4.21"};
        CHECK_THROWS_WITH(runner.plan(request), Contains("no release tag RELEASE-4.21.N in"));
    }
}

TEST_CASE("update::planUpdate refuses tags it cannot trust and writes nothing", "[update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);
    runner.update();
    const auto before = upstream.snapshot();
    auto bad = xenbuild::testing::standardRelease(upstream, "4.19.1");
    std::string expected;
    SECTION("unsigned") {
        bad.signing = XenRelease::Signing::Unsigned;
        expected = "is not signed";
    }
    SECTION("lightweight") {
        bad.signing = XenRelease::Signing::Lightweight;
        expected = "lightweight tag";
    }
    SECTION("signed by another key") {
        bad.signing = XenRelease::Signing::Other;
        expected = "RELEASE-4.19.1";
    }
    if (expected.empty()) return;
    upstream.release(bad);
    try {
        runner.update();
        FAIL("the update succeeded");
    } catch (const xenbuild::SignatureError& error) {
        CHECK_THAT(error.describe(), Contains(expected));
        CHECK_THAT(error.describe(), Contains("RELEASE-4.19.1"));
    }
    CHECK(upstream.snapshot() == before);
}

TEST_CASE("update::planUpdate refuses a tampered tag object", "[update]") {
    Upstream upstream;
    const auto r = xenbuild::testing::standardRelease(upstream, "4.19.0");
    upstream.release(r);
    upstream.seedBranch("4.19", "4.19.0");
    // Re-create the tag with an edited message but the original signature.
    const fs::path xen = upstream.repo("xen");
    std::string raw = upstream.keys.git(xen, {"cat-file", "tag", "RELEASE-4.19.0"});
    raw.replace(raw.find("Xen 4.19.0"), 10, "Xen 4.19.X");
    xenbuild::testing::writeFile(upstream.dir / "tag", raw);
    const std::string id = xenbuild::testing::trim(upstream.keys.git(
        xen, {"hash-object", "-t", "tag", "-w", (upstream.dir / "tag").string()}));
    upstream.keys.git(xen, {"update-ref", "refs/tags/RELEASE-4.19.0", id});
    Runner runner(upstream);
    const auto before = upstream.snapshot();
    CHECK_THROWS_AS(runner.update(), xenbuild::SignatureError);
    CHECK(upstream.snapshot() == before);
}

TEST_CASE("update::planUpdate names a missing component tag", "[update]") {
    Upstream upstream;
    auto r = xenbuild::testing::standardRelease(upstream, "4.19.0");
    r.qemuTag = "qemu-xen-4.19.99";
    upstream.release(r);
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);
    const auto before = upstream.snapshot();
    try {
        runner.update();
        FAIL("the update succeeded");
    } catch (const xenbuild::FetchError& error) {
        CHECK_THAT(error.describe(),
                   Contains("tag 'qemu-xen-4.19.99' not found in '" + upstream.url("qemu") + "'"));
        CHECK_THAT(error.describe(), Contains("Config.mk:QEMU_UPSTREAM_REVISION"));
    }
    CHECK(upstream.snapshot() == before);
}

TEST_CASE("update::planUpdate reports upstream patches the release contains", "[update]") {
    Upstream upstream;
    upstream.addUpstreamPatch("XSA-900", 900, "xsa900.patch",
                              "--- a/xen/fix.c\n+++ b/xen/fix.c\n@@ -1 +1 @@\n-int fix = 0;\n"
                              "+int fix = 1;\n");
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);
    runner.update();
    auto appliesTo419 = [&upstream] {
        return xenbuild::recipe::RecipeSet::load(upstream.recipes)
            .patches()
            .at("XSA-900")
            .appliesTo("4.19");
    };
    CHECK(appliesTo419());
    auto fixed = xenbuild::testing::standardRelease(upstream, "4.19.1");
    fixed.fixFile = "int fix = 1;\n";
    upstream.release(fixed);

    SECTION("reported and kept") {
        const auto patches = upstream.readRecipe("patches.json");
        const auto plan = runner.update();
        REQUIRE(plan.branches.size() == 1);
        CHECK(plan.branches[0].alreadyApplied == std::vector<std::string>{"XSA-900"});
        CHECK(appliesTo419());
        CHECK(upstream.readRecipe("patches.json") == patches);
        CHECK_THAT(plan.summary(), Contains("drop with the drop-applied setting"));
    }
    SECTION("marked not applicable in patches.json with --drop-applied") {
        UpdateRequest request;
        request.dropApplied = true;
        const auto plan = runner.update(request);
        const auto set = xenbuild::recipe::RecipeSet::load(upstream.recipes);
        CHECK(set.patches().at("XSA-900").notApplicable ==
              std::map<std::string, std::string>{{"4.19", "already contained in 4.19.1"}});
        CHECK(set.patchesFor("4.19").empty());
        CHECK(plan.branches[0].dropped == std::vector<std::string>{"XSA-900"});
        CHECK_THAT(plan.diff(upstream.dir.path()),
                   Contains("+        \"4.19\": \"already contained in 4.19.1\"\n"));
    }
}

TEST_CASE("update::UpdatePlan::diff shows the change without writing", "[update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);
    const auto before = upstream.snapshot();
    const auto plan = runner.plan();
    CHECK(upstream.snapshot() == before);
    const std::string diff = plan.diff(upstream.dir.path());
    CHECK_THAT(diff, Contains("--- a/recipes/xen/4.19.json\n+++ b/recipes/xen/4.19.json\n"));
    CHECK_THAT(diff, Contains("+      \"tag\": \"RELEASE-4.19.0\",\n"));
    CHECK_THAT(diff, Contains("-      \"rev\": \"0000000000000000000000000000000000000000\",\n"));
}

TEST_CASE("update::verifyRecipes checks each xen rev against its signed tag", "[update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);
    runner.update();
    const xenbuild::update::UpdateContext context{runner.store, runner.options, runner.verifier,
                                                  runner.progress};
    const auto lines = xenbuild::update::verifyRecipes(upstream.recipes, context);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Contains("4.19: RELEASE-4.19.0"));
    CHECK_THAT(lines[0], Contains(upstream.keys.signer.fingerprint));

    SECTION("a rev that is not the tagged commit is refused") {
        auto file = branchFile(upstream, "4.19");
        file.sources[0].second.rev = head(upstream, "xen", "HEAD~0");
        upstream.keys.git(upstream.repo("xen"), {"commit", "-q", "--allow-empty", "-m", "more"});
        file.sources[0].second.rev = head(upstream, "xen", "HEAD");
        xenbuild::recipe::writeBranchFile(upstream.recipes / "xen" / "4.19.json", file);
        CHECK_THROWS_WITH(xenbuild::update::verifyRecipes(upstream.recipes, context),
                          Contains("is not the commit of the signed tag 'RELEASE-4.19.0'"));
    }
    SECTION("a key that is not trusted is refused") {
        const xenbuild::fetch::SignatureVerifier other{{upstream.keys.other.publicKey},
                                                       upstream.keys.other.fingerprint};
        CHECK_THROWS_AS(
            xenbuild::update::verifyRecipes(upstream.recipes,
                                            {runner.store, runner.options, other, runner.progress}),
            xenbuild::SignatureError);
    }
}

TEST_CASE("update::planUpdate reaches https URLs through mirrors and honours offline", "[update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    upstream.setSourceUrls("https://upstream.invalid/git/");
    Runner runner(upstream);
    const auto before = upstream.snapshot();

    SECTION("offline without a mirror: a clear error, nothing written") {
        runner.options.offline = true;
        CHECK_THROWS_WITH(runner.update(), Contains("offline mode"));
        CHECK(upstream.snapshot() == before);
    }
    SECTION("mirrored: the recipes keep the https URLs, offline works too") {
        runner.options.mirrors.add("https://upstream.invalid/git/=file://" + upstream.git.string() +
                                   "/");
        runner.options.offline = true;
        const auto builder = upstream.readRecipe("builder.json");
        runner.update();
        CHECK(upstream.readRecipe("builder.json") == builder);
        const auto file = branchFile(upstream, "4.19");
        CHECK(source(file, "qemu").tag == "qemu-xen-4.19.0");
        CHECK(file.version == "4.19.0");
    }
}

TEST_CASE("update::planUpdate keeps local patches and validates their names", "[update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    const fs::path local = upstream.dir / "patches" / "4.19";
    xenbuild::testing::writeFile(local / "0001-xen-fix-build-4.19.patch",
                                 "--- a/xen/fix.c\n+++ b/xen/fix.c\n@@ -1 +1 @@\n-int fix = 0;\n"
                                 "+int fix = 2;\n");
    Runner runner(upstream);
    const auto plan = runner.update();
    REQUIRE(plan.branches.size() == 1);
    CHECK(plan.branches[0].localPatches ==
          std::vector<std::string>{"0001-xen-fix-build-4.19.patch"});
    CHECK(fs::exists(local / "0001-xen-fix-build-4.19.patch"));

    xenbuild::testing::writeFile(local / "fix.patch", "");
    const auto before = upstream.snapshot();
    CHECK_THROWS_WITH(runner.update(), Contains("fix.patch"));
    CHECK(upstream.snapshot() == before);
}

TEST_CASE("update::planUpdate updates only the branches asked for", "[update]") {
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.17.1"));
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.1"));
    upstream.seedBranch("4.17", "4.17.0");
    upstream.seedBranch("4.19", "4.19.0");
    Runner runner(upstream);
    const auto before = upstream.readRecipe("4.19.json");
    UpdateRequest request;
    request.branches = {"4.17"};
    const auto plan = runner.update(request);
    CHECK(branchFile(upstream, "4.17").version == "4.17.1");
    CHECK(upstream.readRecipe("4.19.json") == before);
    REQUIRE(plan.branches.size() == 1);
    CHECK(plan.branches[0].branch == "4.17");
    request.branches = {"4.18"};
    CHECK_THROWS_WITH(runner.plan(request), Contains("no branch '4.18'"));
}

TEST_CASE("update::planUpdate keeps the pins of sources no release pins", "[update]") {
    // A component the recipes add (builder.json and the branch file only) that Xen's Config.mk
    // does not name: updates keep its pin, a new branch takes the newest branch's.
    Upstream upstream;
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.19.0"));
    upstream.release(xenbuild::testing::standardRelease(upstream, "4.20.0"));
    upstream.seedBranch("4.19", "4.19.0");
    auto builder = nlohmann::json::parse(upstream.readRecipe("builder.json"));
    builder["sources"].push_back({{"name", "vgabios"},
                                  {"url", "file:///nowhere/vgabios"},
                                  {"stageAt", "tools/firmware/vgabios"},
                                  {"stageAs", "tree"}});
    xenbuild::testing::writeFile(upstream.recipes / "xen" / "builder.json", builder.dump(2));
    auto file = branchFile(upstream, "4.19");
    const xenbuild::recipe::SourceEntry pin{std::string(40, 'a'), "v1",
                                            "sha256-" + std::string(43, 'B') + "="};
    file.sources.emplace_back("vgabios", pin);
    xenbuild::recipe::writeBranchFile(upstream.recipes / "xen" / "4.19.json", file);
    Runner runner(upstream);
    UpdateRequest request;
    request.addBranches = {"4.20"};
    runner.update(request);
    for (const char* branch : {"4.19", "4.20"}) {
        INFO(branch);
        const auto updated = branchFile(upstream, branch);
        CHECK(source(updated, "vgabios").rev == pin.rev);
        CHECK(source(updated, "vgabios").tag == "v1");
        CHECK(source(updated, "vgabios").hash == pin.hash);
        CHECK(updated.sources.back().first == "vgabios");
    }
    CHECK(source(branchFile(upstream, "4.20"), "xen").tag == "RELEASE-4.20.0");
}
