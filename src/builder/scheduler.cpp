#include "xenbuild/builder/scheduler.hpp"

#include "xenbuild/util/error.hpp"

#include <chrono>

namespace xenbuild::builder {

void ScheduledBuilds::throwFailures() const {
    util::throwFailures<BuildError>(failures, "builds failed");
}

namespace {

// Stores the seconds since `started` in `seconds` when it goes, the task thrown or not.
struct Timer {
    double& seconds;
    std::chrono::steady_clock::time_point started;
    ~Timer() {
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
};

} // namespace

Scheduler::Scheduler(Builder& builder, unsigned jobs) : builder_(builder), jobs_(jobs) {}

ScheduledBuilds Scheduler::run(const std::vector<recipe::BuildPlan>& plans) {
    ScheduledBuilds scheduled;
    scheduled.results.resize(plans.size());
    scheduled.attempts.resize(plans.size());
    scheduled.seconds.resize(plans.size());
    const std::atomic<bool>* cancel = builder_.options().cancel;
    scheduled.failures = util::parallelFor(plans.size(), jobs_, [&](std::size_t i) {
        scheduled.attempts[i].plan = plans[i].name;
        const auto started = std::chrono::steady_clock::now();
        const Timer timer{scheduled.seconds[i], started};
        if (cancel != nullptr && cancel->load()) {
            BuildError error("interrupted before it started");
            error.addTrace("while building " + quote(plans[i].name));
            throw error;
        }
        scheduled.results[i] = builder_.build(plans[i], &scheduled.attempts[i]);
    });
    return scheduled;
}

} // namespace xenbuild::builder
