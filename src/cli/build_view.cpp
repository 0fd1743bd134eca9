#include "cli/build_view.hpp"

#include <iostream>
#include <unistd.h>

namespace xenbuild::cli {

using util::ProgressEvent;

BuildView::BuildView(const GlobalOptions& global, std::unique_ptr<util::ProgressObserver> fetchView)
    : fetchView_(std::move(fetchView)), quiet_(global.quiet),
      terminal_(::isatty(STDERR_FILENO) != 0) {}

BuildView::~BuildView() {
    std::lock_guard lock(mutex_);
    clearTail();
}

void BuildView::clearTail() {
    if (tailShown_) std::cerr << "\r\033[K" << std::flush;
    tailShown_ = false;
}

void BuildView::onEvent(const ProgressEvent& event) {
    if (event.activity.rfind("build ", 0) != 0) {
        fetchView_->onEvent(event);
        return;
    }
    if (quiet_) return;
    const std::string plan = event.activity.substr(6);
    std::lock_guard lock(mutex_);
    if (event.unit == "line") {
        if (!terminal_) return; // the full output is in the log file
        std::string line = "  " + plan + "> " + event.text;
        if (line.size() > 110) line.resize(110);
        std::cerr << "\r\033[K" << line << std::flush;
        tailShown_ = true;
        return;
    }
    clearTail();
    std::cerr << plan << ": " << event.text << '\n';
}

} // namespace xenbuild::cli
