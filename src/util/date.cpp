#include "xenbuild/util/date.hpp"

#include "xenbuild/util/error.hpp"

#include <array>
#include <cstdio>

namespace xenbuild::util {

namespace {

constexpr std::array<const char*, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

struct Fields {
    int year;
    unsigned month, day;
};

// The numbers of YYYY-MM-DD, whether or not they make a date.
std::optional<Fields> fields(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    auto number = [&text](std::size_t from, std::size_t count) -> std::optional<unsigned> {
        unsigned value = 0;
        for (std::size_t i = from; i < from + count; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            value = value * 10 + static_cast<unsigned>(text[i] - '0');
        }
        return value;
    };
    const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
    if (!year || !month || !day) return std::nullopt;
    return Fields{.year = static_cast<int>(*year), .month = *month, .day = *day};
}

} // namespace

std::optional<std::chrono::year_month_day> parseDate(std::string_view text) {
    const auto parts = fields(text);
    if (!parts) return std::nullopt;
    const std::chrono::year_month_day date{std::chrono::year{parts->year},
                                           std::chrono::month{parts->month},
                                           std::chrono::day{parts->day}};
    if (!date.ok()) return std::nullopt;
    return date;
}

std::string dateProblem(std::string_view text) {
    if (parseDate(text)) return {};
    std::string message = "expected a date YYYY-MM-DD, got " + quote(std::string(text));
    const auto parts = fields(text);
    if (!parts) return message;
    if (parts->month < 1 || parts->month > 12) {
        return message + " (there is no month " + std::to_string(parts->month) + ")";
    }
    const std::chrono::year_month_day_last last{
        std::chrono::year{parts->year},
        std::chrono::month_day_last{std::chrono::month{parts->month}}};
    return message + " (" + kMonthNames.at(parts->month - 1) + " " + std::to_string(parts->year) +
           " has " + std::to_string(static_cast<unsigned>(last.day())) + " days)";
}

std::string formatDate(const std::chrono::year_month_day& date) {
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return text;
}

std::string formatTimestamp(std::chrono::sys_seconds time) {
    const auto day = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::hh_mm_ss clock{time - day};
    char text[16];
    std::snprintf(text, sizeof text, "T%02d:%02d:%02dZ", static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return formatDate(std::chrono::year_month_day{day}) + text;
}

std::optional<std::chrono::sys_seconds> parseTimestamp(std::string_view text) {
    if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
        text[19] != 'Z')
        return std::nullopt;
    const auto date = parseDate(text.substr(0, 10));
    if (!date) return std::nullopt;
    int parts[3] = {0, 0, 0};
    for (std::size_t i = 0; i < 3; ++i) {
        const char high = text[11 + 3 * i];
        const char low = text[12 + 3 * i];
        if (high < '0' || high > '9' || low < '0' || low > '9') return std::nullopt;
        parts[i] = (high - '0') * 10 + (low - '0');
    }
    if (parts[0] > 23 || parts[1] > 59 || parts[2] > 59) return std::nullopt;
    return std::chrono::sys_days{*date} + std::chrono::hours{parts[0]} +
           std::chrono::minutes{parts[1]} + std::chrono::seconds{parts[2]};
}

std::chrono::year_month_day currentDate() {
    return std::chrono::year_month_day{
        std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
}

} // namespace xenbuild::util
