#pragma once
// Calendar dates as std::chrono::year_month_day, written YYYY-MM-DD (the form of recipes,
// SUPPORT.md and XENBUILD_TODAY): parsed once where they are read, compared chronologically,
// printed back in the same form.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace xenbuild::util {

// "2024-02-29" -> that day; nullopt unless `text` is exactly YYYY-MM-DD and names a day of the
// calendar (2024-02-30 does not).
std::optional<std::chrono::year_month_day> parseDate(std::string_view text);

// Why `text` is not a date, for messages: "expected a date YYYY-MM-DD, got '2024-02-30'
// (February 2024 has 29 days)"; empty when it is one.
std::string dateProblem(std::string_view text);

// "2024-02-29".
std::string formatDate(const std::chrono::year_month_day& date);

// Today in UTC.
std::chrono::year_month_day currentDate();

// A moment in UTC to the second, written as RFC 3339 / ISO 8601 with a Z: "2024-02-29T13:05:09Z"
// (build records, SBOMs, provenance).
std::string formatTimestamp(std::chrono::sys_seconds time);

// "2024-02-29T13:05:09Z" -> that moment; nullopt for any other form or a day that does not exist.
std::optional<std::chrono::sys_seconds> parseTimestamp(std::string_view text);

} // namespace xenbuild::util
