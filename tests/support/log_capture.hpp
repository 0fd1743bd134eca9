#pragma once
// Routes the project logger (util::logger()) into a string for the lifetime of the object, at
// info level, so that tests can check the warnings the library gives ("waiting for ...").
// Safe to read while other threads log.

#include "xenbuild/util/log.hpp"

#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <mutex>
#include <string>

namespace xenbuild::testing {

class StringSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    std::string text() {
        std::lock_guard lock(mutex_);
        return text_;
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(message, formatted);
        text_.append(formatted.data(), formatted.size());
    }
    void flush_() override {}

  private:
    std::string text_;
};

class LogCapture {
  public:
    LogCapture()
        : previous_(spdlog::get(xenbuild::util::loggerName)),
          sink_(std::make_shared<StringSink>()) {
        auto logger = std::make_shared<spdlog::logger>(xenbuild::util::loggerName, sink_);
        logger->set_pattern("%l: %v");
        logger->set_level(spdlog::level::info);
        spdlog::drop(xenbuild::util::loggerName);
        spdlog::register_logger(logger);
    }
    ~LogCapture() {
        spdlog::drop(xenbuild::util::loggerName);
        if (previous_) spdlog::register_logger(previous_);
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    // What was logged so far ("warning: ...", "info: ..." lines).
    std::string text() { return sink_->text(); }

  private:
    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<StringSink> sink_;
};

} // namespace xenbuild::testing
