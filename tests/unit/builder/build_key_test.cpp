// The build key and the plan key: pure functions of what they cover, and stable (a changed key
// would rebuild every package of every existing store).

#include "unit/builder/builder_fixture.hpp"
#include "xenbuild/builder/build_key.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;

namespace {

builder::KeyInputs someInputs() {
    return builder::KeyInputs{};
}

} // namespace

TEST_CASE("builder::buildKey covers plan, toolchain and the other inputs, not the store",
          "[build][builder]") {
    const auto plan = testing::fakePlan();
    const auto toolchain = util::sha256("cc 12");
    const auto inputs = someInputs();
    const auto key = builder::buildKey(plan, toolchain, inputs);
    CHECK(key.size() == 52);
    CHECK(builder::buildKey(plan, toolchain, inputs) == key);

    auto other = inputs;
    SECTION("the plan") {
        CHECK(builder::buildKey(testing::fakePlan("x", "9.9.1"), toolchain, inputs) != key);
    }
    SECTION("the toolchain") {
        CHECK(builder::buildKey(plan, util::sha256("cc 13"), inputs) != key);
    }
    SECTION("an override") {
        other.sourceOverrides["xen"] = util::sha256("tree");
        CHECK(builder::buildKey(plan, toolchain, other) != key);
    }
    SECTION("skipping inapplicable patches") {
        other.skipInapplicablePatches = true;
        CHECK(builder::buildKey(plan, toolchain, other) != key);
    }
    SECTION("an excluded patch") {
        other.excludedPatches = {"XSA-1"};
        CHECK(builder::buildKey(plan, toolchain, other) != key);
    }
    SECTION("the attribute name is not part of it (the plan hash is)") {
        auto renamed = plan;
        renamed.name = "another-name";
        CHECK(builder::buildKey(renamed, toolchain, inputs) == key);
    }
}

TEST_CASE("builder::buildKey is stable (version 2: no store directory)", "[build][builder]") {
    const auto plan = testing::fakePlan();
    const auto toolchain = util::sha256("cc 12");
    auto inputs = someInputs();
    inputs.sourceOverrides["xen"] = util::sha256("tree");
    inputs.skipInapplicablePatches = true;
    inputs.excludedPatches = {"XSA-1", "all"};
    const std::string text =
        "xenbuild-build-v3\nplan=" + plan.hash.sri() + "\ntoolchain=" + toolchain.sri() +
        "\noverride xen=" + util::sha256("tree").sri() +
        "\nskip-inapplicable-patches\nexclude-patch XSA-1\nexclude-patch all\n";
    CHECK(builder::buildKey(plan, toolchain, inputs) == util::sha256(text).nix32());
}

TEST_CASE("builder::planKey is the build key without the toolchain", "[build][builder]") {
    const auto plan = testing::fakePlan();
    auto inputs = someInputs();
    const auto key = builder::planKey(plan, inputs);
    CHECK(key == util::sha256("xenbuild-plan-v2\nplan=" + plan.hash.sri() + "\n").nix32());
    CHECK(key != builder::buildKey(plan, util::sha256("cc 12"), inputs));
    CHECK(builder::planKey(testing::fakePlan("x", "9.9.1"), inputs) != key);
    inputs.excludedPatches = {"XSA-1"};
    CHECK(builder::planKey(plan, inputs) != key);
}

TEST_CASE("builder::keyInputs hashes overrides and refuses a missing directory",
          "[build][builder]") {
    testing::TempDir dir;
    std::filesystem::create_directories(dir / "tree");
    builder::BuildOptions options;
    options.sourceOverrides["xen"] = dir / "tree";
    const auto inputs = builder::keyInputs(options);
    CHECK(inputs.sourceOverrides.count("xen") == 1);
    options.sourceOverrides["xen"] = dir / "missing";
    REQUIRE_THROWS_WITH(builder::keyInputs(options), "source override xen='" +
                                                         (dir / "missing").string() +
                                                         "': not a directory");
}

TEST_CASE("builder::effectivePlan leaves excluded patches out", "[build][builder]") {
    auto plan = testing::fakePlan();
    plan.patches.push_back(testing::patch("XSA-458", false));
    CHECK(builder::effectivePlan(plan, {"0001-xl.patch"}).patches.size() == 2);
    const auto local = builder::effectivePlan(plan, {"all"}).patches;
    REQUIRE(local.size() == 2);
    CHECK(local[1].id == "0002-xl.patch");
    REQUIRE_THROWS_AS(builder::effectivePlan(plan, {"XSA-999"}), UsageError);
    REQUIRE_THROWS_WITH(builder::effectivePlan(plan, {"XSA-999"}),
                        "excluded patch 'XSA-999': 'xen_9_9' has no such patch (its patches: "
                        "0001-xl.patch, 0002-xl.patch, XSA-458)");
}
