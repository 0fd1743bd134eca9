#include "xenbuild/util/date.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono;
using xenbuild::util::dateProblem;
using xenbuild::util::formatDate;
using xenbuild::util::parseDate;

TEST_CASE("util::parseDate reads YYYY-MM-DD days of the calendar", "[util][date]") {
    CHECK(parseDate("2024-07-29") == year_month_day{year{2024}, July, day{29}});
    CHECK(parseDate("2024-02-29") == year_month_day{year{2024}, February, day{29}}); // leap year
    CHECK(parseDate("0001-01-01") == year_month_day{year{1}, January, day{1}});
    CHECK(parseDate("9999-12-31") == year_month_day{year{9999}, December, day{31}});
}

TEST_CASE("util::parseDate refuses what is not a day of the calendar", "[util][date]") {
    for (const char* text : {"2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10",
                             "2024-01-00", "21/11/2026", "2024-2-3", "2024-02-03 ", " 2024-02-03",
                             "2024-02-03T00", "2024_02_03", "+024-02-03", "2024-0a-03", ""}) {
        INFO(text);
        CHECK_FALSE(parseDate(text).has_value());
        CHECK_FALSE(dateProblem(text).empty());
    }
}

TEST_CASE("util::dateProblem says why a text is not a date", "[util][date]") {
    CHECK(dateProblem("2024-02-29").empty());
    CHECK(dateProblem("2024-02-30") ==
          "expected a date YYYY-MM-DD, got '2024-02-30' (February 2024 has 29 days)");
    CHECK(dateProblem("2023-02-29") ==
          "expected a date YYYY-MM-DD, got '2023-02-29' (February 2023 has 28 days)");
    CHECK(dateProblem("2024-04-31") ==
          "expected a date YYYY-MM-DD, got '2024-04-31' (April 2024 has 30 days)");
    CHECK(dateProblem("2024-13-01") ==
          "expected a date YYYY-MM-DD, got '2024-13-01' (there is no month 13)");
    CHECK(dateProblem("21/11/2026") == "expected a date YYYY-MM-DD, got '21/11/2026'");
}

TEST_CASE("util::formatDate prints what parseDate reads, and dates order by time", "[util][date]") {
    for (const char* text : {"2024-07-29", "0999-01-05", "2026-11-16"}) {
        CHECK(formatDate(*parseDate(text)) == text);
    }
    // Chronological order, not text order of an unpadded form.
    CHECK(*parseDate("2026-11-16") < *parseDate("2026-11-21"));
    CHECK(*parseDate("2026-09-30") < *parseDate("2026-10-01"));
    CHECK(*parseDate("0999-12-31") < *parseDate("1000-01-01"));
}

TEST_CASE("util::currentDate is a valid day", "[util][date]") {
    const auto today = xenbuild::util::currentDate();
    CHECK(today.ok());
    CHECK(today >= year_month_day{year{2024}, January, day{1}});
    CHECK(parseDate(formatDate(today)) == today);
}

TEST_CASE("util::formatTimestamp and parseTimestamp write and read RFC 3339 UTC seconds",
          "[util][date]") {
    namespace util = xenbuild::util;
    const sys_seconds moment = sys_days{2024y / February / 29} + 13h + 5min + 9s;
    CHECK(util::formatTimestamp(moment) == "2024-02-29T13:05:09Z");
    CHECK(util::parseTimestamp("2024-02-29T13:05:09Z") == moment);
    CHECK(util::formatTimestamp(sys_seconds{seconds{0}}) == "1970-01-01T00:00:00Z");
    for (const char* bad : {"2024-02-30T00:00:00Z", "2024-02-29T24:00:00Z", "2024-02-29 13:05:09Z",
                            "2024-02-29T13:05:09", "2024-02-29T13:05:09+01:00", ""})
        CHECK_FALSE(util::parseTimestamp(bad));
}
