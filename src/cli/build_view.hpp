#pragma once
// Rendering of build progress: step lines ("xen_4_19-slim: running make (4m10s last time)"),
// and on a terminal one live line rewritten in place: during configure and make the file being
// built with the elapsed and expected time ("  xen_4_19-slim> make: common/sched/core.o  1m23s
// / ~4m10s"), else the tail of the build's output. Fetch events are passed to the fetch
// progress view.

#include "cli/context.hpp"
#include "xenbuild/util/progress.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace xenbuild::cli {

class BuildView final : public util::ProgressObserver {
  public:
    BuildView(const GlobalOptions& global, std::unique_ptr<util::ProgressObserver> fetchView);
    ~BuildView() override;
    void onEvent(const util::ProgressEvent& event) override;

  private:
    struct PlanState {
        std::string step;      // of the last Started event, "make" for "running make"
        bool progress = false; // the step reports Progress events
    };

    void clearTail();
    void showTail(std::string line);

    std::unique_ptr<util::ProgressObserver> fetchView_;
    std::mutex mutex_;
    bool quiet_ = false;
    bool terminal_ = false;
    bool tailShown_ = false;
    std::map<std::string, PlanState> plans_;
};

} // namespace xenbuild::cli
