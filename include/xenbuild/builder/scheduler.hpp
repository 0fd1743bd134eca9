#pragma once
// Building several packages: `xenbuild build A B C -j N`. Builds run on up to N threads
// (util::parallelFor); a failed build does not stop the others, and every failure is reported.

#include "xenbuild/builder/builder.hpp"
#include "xenbuild/util/parallel.hpp"

#include <optional>
#include <vector>

namespace xenbuild::builder {

struct ScheduledBuilds {
    std::vector<std::optional<BuildResult>> results; // plan order; nullopt where it failed
    std::vector<util::TaskFailure> failures;         // plan order (index into the plans)
    // Plan order: what each failed build got done (Builder::build's `attempt`); where the build
    // succeeded, only its plan and key (`results` has the rest).
    std::vector<BuildResult> attempts;
    std::vector<double> seconds; // plan order: how long each package took in this run

    // Nothing when every build succeeded; a single failure as it is; several as one
    // BuildError "<n> builds failed:\n- <each error with its trace>".
    void throwFailures() const;
};

class Scheduler {
  public:
    Scheduler(Builder& builder, unsigned jobs);

    // Builds every plan. Once the build's cancel flag is set, builds not started yet fail with
    // "interrupted before it started" instead of starting.
    ScheduledBuilds run(const std::vector<recipe::BuildPlan>& plans);

  private:
    Builder& builder_;
    unsigned jobs_;
};

} // namespace xenbuild::builder
