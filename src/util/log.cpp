#include "xenbuild/util/log.hpp"

#include <spdlog/sinks/null_sink.h>

namespace xenbuild::util {

std::shared_ptr<spdlog::logger> logger() {
    if (auto existing = spdlog::get(loggerName)) return existing;
    auto created = std::make_shared<spdlog::logger>(
        loggerName, std::make_shared<spdlog::sinks::null_sink_mt>());
    try {
        spdlog::register_logger(created);
    } catch (const spdlog::spdlog_ex&) {
        return spdlog::get(loggerName); // another thread registered it first
    }
    return created;
}

} // namespace xenbuild::util
