#pragma once
// Library code logs through one named spdlog logger. It has a null sink until the CLI's main
// chooses sinks and levels (-v, -q); the library never prints on its own.

#include <spdlog/spdlog.h>

#include <memory>

namespace xenbuild::util {

inline constexpr const char* loggerName = "xenbuild";

// The project logger; created with a null sink on first use if main has not installed one.
std::shared_ptr<spdlog::logger> logger();

} // namespace xenbuild::util
