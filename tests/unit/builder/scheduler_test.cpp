// Several packages at once: every build runs, every failure is reported.

#include "unit/builder/builder_fixture.hpp"
#include "xenbuild/builder/scheduler.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild;
using Catch::Contains;
using Catch::StartsWith;
using testing::BuilderFixture;

namespace {

std::vector<recipe::BuildPlan> threePlans(const std::vector<std::string>& failing) {
    std::vector<recipe::BuildPlan> plans;
    for (const auto& [name, version] : {std::pair{"a", "9.9.1"}, {"b", "9.9.2"}, {"c", "9.9.3"}}) {
        auto plan = testing::fakePlan(name, version);
        if (std::find(failing.begin(), failing.end(), name) != failing.end())
            plan.env["FAKE_MAKE_FAILS"] = "1";
        plans.push_back(testing::rehashed(plan));
    }
    return plans;
}

std::string messageOf(const builder::ScheduledBuilds& scheduled) {
    try {
        scheduled.throwFailures();
    } catch (const Error& error) {
        return error.describe();
    }
    return "";
}

} // namespace

TEST_CASE("builder::Scheduler builds every plan and reports every failure", "[build][builder]") {
    BuilderFixture f;
    auto builder = f.makeBuilder();
    const auto plans = threePlans({"a", "c"});
    const unsigned jobs = GENERATE(1U, 3U);

    const auto scheduled = builder::Scheduler(*builder, jobs).run(plans);

    REQUIRE(scheduled.results.size() == 3);
    CHECK_FALSE(scheduled.results[0]);
    REQUIRE(scheduled.results[1]);
    CHECK(f.store.lookupId(scheduled.results[1]->outputs[0].path.filename().string()));
    CHECK_FALSE(scheduled.results[2]);
    REQUIRE(scheduled.failures.size() == 2);
    CHECK(scheduled.failures[0].index == 0);
    CHECK(scheduled.failures[1].index == 2);
    CHECK_THROWS_AS(scheduled.throwFailures(), BuildError);
    const auto message = messageOf(scheduled);
    CHECK_THAT(message, StartsWith("2 builds failed:\n- while building 'a':\n  make failed: "
                                   "'make -j2 dist' exited with status 2"));
    CHECK_THAT(message, Contains("\n- while building 'c':\n  make failed: "));
    CHECK(f.fetcher.fetchedPlans().size() == 3);
}

TEST_CASE("builder::Scheduler keeps what each failed build got done, and every build's time",
          "[build][builder][report]") {
    BuilderFixture f;
    auto builder = f.makeBuilder();
    const auto plans = threePlans({"a"});

    const auto scheduled = builder::Scheduler(*builder, 2).run(plans);

    REQUIRE(scheduled.attempts.size() == 3);
    REQUIRE(scheduled.seconds.size() == 3);
    const auto& failed = scheduled.attempts[0];
    CHECK(failed.plan == "a");
    CHECK(failed.key == builder->buildKey(plans[0]));
    CHECK(failed.failedStep == "make");
    CHECK(failed.outputs.empty());
    CHECK(failed.checks.empty());
    CHECK(failed.stepSeconds.count("configure") == 1);
    CHECK(failed.stepSeconds.count("make") == 1);
    CHECK(std::filesystem::exists(failed.log));
    REQUIRE(scheduled.results[1]);
    CHECK(scheduled.results[1]->failedStep.empty()); // a build that succeeded has none
    CHECK(scheduled.attempts[1].plan == "b");
    for (const double seconds : scheduled.seconds)
        CHECK(seconds > 0);
}

TEST_CASE("builder::Scheduler passes a single failure on as it is", "[build][builder]") {
    BuilderFixture f;
    auto builder = f.makeBuilder();
    auto plans = threePlans({});
    plans[1].patches.push_back(testing::patch("0003-missing.patch"));
    plans[1] = testing::rehashed(plans[1]);

    const auto scheduled = builder::Scheduler(*builder, 2).run(plans);
    CHECK(scheduled.results[0]);
    CHECK(scheduled.results[2]);
    REQUIRE(scheduled.failures.size() == 1);
    CHECK_THROWS_AS(scheduled.throwFailures(), FetchError);
    CHECK(messageOf(scheduled) == "while building 'b':\n  while fetching the sources of 'b':\n  "
                                  "the fake fetcher has no '0003-missing.patch'");
    SECTION("no failure: nothing thrown") {
        CHECK_NOTHROW(builder::Scheduler(*builder, 2).run(threePlans({})).throwFailures());
    }
}

TEST_CASE("builder::Scheduler starts no build once interrupted", "[build][builder]") {
    BuilderFixture f;
    auto builder = f.makeBuilder();
    f.sandbox.on("make", [&](testing::FakeSandbox::Run&) {
        f.cancel = true; // Ctrl-C during the first package's make
        return -1;
    });

    const auto scheduled = builder::Scheduler(*builder, 1).run(threePlans({}));

    REQUIRE(scheduled.failures.size() == 3);
    CHECK(f.fetcher.fetchedPlans() == std::vector<std::string>{"a"});
    const auto message = messageOf(scheduled);
    CHECK_THAT(message, Contains("- while building 'a':\n  make failed: 'make -j2 dist' "
                                 "interrupted"));
    CHECK_THAT(message, Contains("- while building 'b':\n  interrupted before it started\n"));
    CHECK_THAT(message, Contains("- while building 'c':\n  interrupted before it started"));
}
