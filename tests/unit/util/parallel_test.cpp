#include "xenbuild/util/parallel.hpp"

#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace xenbuild;

TEST_CASE("util::parallelFor runs every task once", "[util][parallel]") {
    for (const unsigned workers : {0U, 1U, 3U, 64U}) {
        std::vector<std::atomic<int>> runs(50);
        const auto failures =
            util::parallelFor(runs.size(), workers, [&](std::size_t i) { ++runs[i]; });
        CHECK(failures.empty());
        for (const auto& count : runs)
            CHECK(count == 1);
    }
    CHECK(util::parallelFor(0, 4, [](std::size_t) { throw Error("never run"); }).empty());
}

TEST_CASE("util::parallelFor uses up to `workers` threads", "[util][parallel]") {
    std::mutex mutex;
    std::set<std::thread::id> ids;
    std::atomic<int> waiting{0};
    util::parallelFor(3, 3, [&](std::size_t) {
        {
            const std::lock_guard lock(mutex);
            ids.insert(std::this_thread::get_id());
        }
        // Each task waits for the others: only three threads at once can get all past this.
        ++waiting;
        while (waiting < 3)
            std::this_thread::yield();
    });
    CHECK(ids.size() == 3);
}

TEST_CASE("util::parallelFor runs the other tasks after a failure and reports every failure",
          "[util][parallel]") {
    std::atomic<int> ran{0};
    const auto failures = util::parallelFor(10, 2, [&](std::size_t i) {
        ++ran;
        if (i == 7) throw FetchError("seven failed");
        if (i == 2) throw std::runtime_error("two failed");
    });
    CHECK(ran == 10);
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].index == 2);
    CHECK(failures[1].index == 7);
    CHECK(util::describeFailures(failures, "builds failed") ==
          "2 builds failed:\n- two failed\n- seven failed");

    SECTION("several failures become one error of the caller's type") {
        CHECK_THROWS_AS(util::throwFailures<BuildError>(failures, "builds failed"), BuildError);
    }
    SECTION("a single failure is rethrown as it is") {
        CHECK_THROWS_AS(util::throwFailures<BuildError>({failures[1]}, "builds failed"),
                        FetchError);
    }
    SECTION("no failure: nothing thrown") {
        CHECK_NOTHROW(util::throwFailures<BuildError>({}, "builds failed"));
    }
}

TEST_CASE("util::describeFailures includes each error's trace", "[util][parallel]") {
    const auto failures = util::parallelFor(1, 1, [](std::size_t) {
        FetchError error("hash mismatch");
        error.addTrace("while fetching source 'qemu'");
        throw error;
    });
    CHECK(util::describeFailures(failures, "fetches failed") ==
          "1 fetches failed:\n- while fetching source 'qemu':\n  hash mismatch");
}
