#pragma once
// Rendering of build progress: step lines ("xen_4_19-slim: running make"), and on a terminal a
// live tail of the build's output in one line that is rewritten in place. Fetch events are
// passed to the fetch progress view.

#include "cli/context.hpp"
#include "xenbuild/util/progress.hpp"

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
    void clearTail();

    std::unique_ptr<util::ProgressObserver> fetchView_;
    std::mutex mutex_;
    bool quiet_ = false;
    bool terminal_ = false;
    bool tailShown_ = false;
};

} // namespace xenbuild::cli
