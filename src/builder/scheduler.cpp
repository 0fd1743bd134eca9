#include "xenbuild/builder/scheduler.hpp"

#include "xenbuild/util/error.hpp"

namespace xenbuild::builder {

void ScheduledBuilds::throwFailures() const {
    util::throwFailures<BuildError>(failures, "builds failed");
}

Scheduler::Scheduler(Builder& builder, unsigned jobs) : builder_(builder), jobs_(jobs) {}

ScheduledBuilds Scheduler::run(const std::vector<recipe::BuildPlan>& plans) {
    ScheduledBuilds scheduled;
    scheduled.results.resize(plans.size());
    const std::atomic<bool>* cancel = builder_.options().cancel;
    scheduled.failures = util::parallelFor(plans.size(), jobs_, [&](std::size_t i) {
        if (cancel != nullptr && cancel->load()) {
            BuildError error("interrupted before it started");
            error.addTrace("while building " + quote(plans[i].name));
            throw error;
        }
        scheduled.results[i] = builder_.build(plans[i]);
    });
    return scheduled;
}

} // namespace xenbuild::builder
