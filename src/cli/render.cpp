#include "cli/render.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <string>

#include <unistd.h>

namespace xenbuild::cli {

namespace {

using util::ProgressEvent;

class PlainProgress final : public util::ProgressObserver {
  public:
    explicit PlainProgress(std::ostream& err) : err_(err) {}
    void onEvent(const ProgressEvent& event) override {
        std::lock_guard lock(mutex_);
        switch (event.kind) {
        case ProgressEvent::Kind::Started:
            err_ << event.activity << ": fetching " << event.text << '\n';
            break;
        case ProgressEvent::Kind::Finished:
            err_ << event.activity << ": done " << event.text << '\n';
            break;
        case ProgressEvent::Kind::Failed:
            err_ << event.activity << ": failed\n";
            break;
        default:
            break;
        }
    }

  private:
    std::ostream& err_;
    std::mutex mutex_;
};

std::string humanBytes(std::uint64_t bytes) {
    if (bytes < 10 * 1024) return std::to_string(bytes) + " B";
    if (bytes < 10 * 1024 * 1024) return std::to_string(bytes / 1024) + " KiB";
    return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

// One status line rewritten in place: "[done/started] activity: progress".
class TerminalProgress final : public util::ProgressObserver {
  public:
    explicit TerminalProgress(std::ostream& err) : err_(err) {}
    void onEvent(const ProgressEvent& event) override {
        std::lock_guard lock(mutex_);
        if (event.kind == ProgressEvent::Kind::Started) ++started_;
        if (event.kind == ProgressEvent::Kind::Finished) ++finished_;
        if (event.kind == ProgressEvent::Kind::Failed) {
            err_ << "\r\033[K" << event.activity << ": failed\n";
        }
        std::string detail = event.text;
        if (event.kind == ProgressEvent::Kind::Progress) {
            detail =
                event.unit == "bytes"
                    ? humanBytes(event.done) + (event.total ? " / " + humanBytes(event.total) : "")
                    : std::to_string(event.done) +
                          (event.total ? "/" + std::to_string(event.total) : std::string()) + " " +
                          event.unit + " (" + event.text + ")";
        }
        std::string line = "[" + std::to_string(finished_) + "/" + std::to_string(started_) + "] " +
                           event.activity + ": " + detail;
        if (line.size() > 120) line.resize(120);
        err_ << "\r\033[K" << line << std::flush;
        dirty_ = true;
    }
    ~TerminalProgress() override {
        if (dirty_) err_ << "\r\033[K" << std::flush;
    }

  private:
    std::ostream& err_;
    std::mutex mutex_;
    unsigned started_ = 0;
    unsigned finished_ = 0;
    bool dirty_ = false;
};

class EventLines final : public util::ProgressObserver {
  public:
    explicit EventLines(std::ostream& err) : err_(err) {}
    void onEvent(const ProgressEvent& event) override {
        std::lock_guard lock(mutex_);
        err_ << event.activity << ": " << event.text << '\n';
    }

  private:
    std::ostream& err_;
    std::mutex mutex_;
};

std::unique_ptr<util::ProgressObserver> progressView(const GlobalOptions& global, std::ostream& err,
                                                     bool terminal) {
    if (global.quiet) return std::make_unique<util::NullProgress>();
    if (terminal) return std::make_unique<TerminalProgress>(err);
    return std::make_unique<PlainProgress>(err);
}

} // namespace

std::unique_ptr<util::ProgressObserver> makeProgressView(const GlobalOptions& global) {
    return progressView(global, std::cerr, ::isatty(STDERR_FILENO) != 0);
}

std::unique_ptr<util::ProgressObserver> makeEventLines(const GlobalOptions& global) {
    if (global.quiet) return std::make_unique<util::NullProgress>();
    return std::make_unique<EventLines>(std::cerr);
}

Output::Output(const GlobalOptions& global, bool json, std::ostream& out, std::ostream& err)
    : global_(global), json_(json), out_(out), err_(err) {}

Output::Output(const GlobalOptions& global, bool json)
    : Output(global, json, std::cout, std::cerr) {}

void Output::table(const std::vector<std::vector<std::string>>& cells) {
    if (cells.empty()) return;
    std::vector<std::size_t> widths(cells[0].size(), 0);
    for (const auto& row : cells) {
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : cells) {
        std::string text;
        for (std::size_t i = 0; i < row.size(); ++i) {
            text += row[i];
            if (i + 1 < row.size()) text += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        text.erase(text.find_last_not_of(' ') + 1);
        line(text);
    }
}

void Output::line(std::string_view text) {
    out_ << text << '\n';
}

void Output::text(std::string_view text) {
    out_ << text;
}

void Output::copy(std::istream& in) {
    out_ << in.rdbuf();
}

void Output::json(const nlohmann::json& document) {
    out_ << document.dump(2) << '\n';
}

void Output::note(std::string_view text) {
    if (!global_.quiet) err_ << text << '\n';
}

util::ProgressObserver& Output::progress() {
    if (!progress_) {
        const bool terminal = &err_ == &std::cerr && ::isatty(STDERR_FILENO) != 0;
        progress_ = progressView(global_, err_, terminal);
    }
    return *progress_;
}

void Output::finish() {
    progress_.reset();
}

} // namespace xenbuild::cli
