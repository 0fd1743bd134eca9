#include "cli/build_view.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace xenbuild::cli {

using util::ProgressEvent;

namespace {

// "<1s", "42s", "3m07s", "1h02m".
std::string duration(double seconds) {
    if (seconds < 1) return "<1s";
    const auto total = static_cast<long>(std::lround(seconds));
    char text[32];
    if (total < 60) {
        std::snprintf(text, sizeof text, "%lds", total);
    } else if (total < 3600) {
        std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
    } else {
        std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, total % 3600 / 60);
    }
    return text;
}

} // namespace

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

void BuildView::showTail(std::string line) {
    if (line.size() > 110) line.resize(110);
    std::cerr << "\r\033[K" << line << std::flush;
    tailShown_ = true;
}

void BuildView::onEvent(const ProgressEvent& event) {
    if (event.activity.rfind("build ", 0) != 0) {
        fetchView_->onEvent(event);
        return;
    }
    if (quiet_) return;
    const std::string plan = event.activity.substr(6);
    std::lock_guard lock(mutex_);
    auto& state = plans_[plan];
    if (event.kind == ProgressEvent::Kind::Progress) {
        // configure and make: the file being built, elapsed and expected time, in place.
        if (!terminal_) return; // a plain line per step is enough in a log
        state.progress = true;
        std::string line = "  " + plan + "> " + state.step;
        if (!event.text.empty()) line += ": " + event.text;
        line += "  " + duration(event.elapsedSeconds);
        if (event.expectedSeconds > 0) line += " / ~" + duration(event.expectedSeconds);
        showTail(std::move(line));
        return;
    }
    if (event.unit == "line") {
        // The full output is in the log file; a terminal shows its tail until progress does.
        if (!terminal_ || state.progress) return;
        showTail("  " + plan + "> " + event.text);
        return;
    }
    clearTail();
    if (event.kind == ProgressEvent::Kind::Started) {
        state.step = event.text.rfind("running ", 0) == 0 ? event.text.substr(8) : event.text;
        state.progress = false;
    }
    std::cerr << plan << ": " << event.text;
    if (event.expectedSeconds > 0) {
        std::cerr << " (" << duration(event.expectedSeconds) << " last time)";
    }
    std::cerr << '\n';
}

} // namespace xenbuild::cli
