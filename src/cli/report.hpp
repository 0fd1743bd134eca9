#pragma once
// Machine-readable reports of `xenbuild build` and `xenbuild test` for CI systems
// (docs/reports.md): `--report FILE.json`, one entry per package, and `--junit FILE.xml`, one
// JUnit test suite per package with a test case for its build, each post-install check and the
// boot test. Both are written atomically, also (above all) when a build or check failed.

#include "xenbuild/builder/result.hpp"
#include "xenbuild/recipe/plan.hpp"

#include <nlohmann/json.hpp>

#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::cli {

// One JUnit test case.
struct ReportTest {
    std::string name; // "build", "check pkg-config", "boot test"
    double seconds = 0;
    bool passed = true;
    std::string message; // the failure in one line
    std::string text;    // the whole failure
    std::string output;  // the log's tail (JUnit system-out)
};

struct PackageReport {
    std::string package;         // plan name
    std::string planHash;        // SRI, as `xenbuild show` prints it
    std::string status;          // "built", "cached", "substituted" or "failed"
    builder::BuildResult result; // complete when not failed; what the build got done otherwise
    double seconds = 0;          // this run
    std::string error;           // the failure with its context ("" unless failed)
    std::string logTail;         // the build log's last lines ("" unless failed)
    std::optional<nlohmann::json> bootTest; // `xenbuild test`: its report
    std::vector<ReportTest> tests;
};

struct RunReport {
    std::string command;   // "build" or "test"
    std::string timestamp; // when the run started, UTC, "2026-11-30T23:59:00Z"
    std::vector<PackageReport> packages;

    bool failed() const;
    nlohmann::json toJson() const;
    std::string toJUnit() const;
};

// The current time as RunReport::timestamp wants it.
std::string utcTimestamp();

// The message of a failure, with its context, as main() would print it.
std::string describeError(const std::exception_ptr& error);
// Its own message's first line, without the context.
std::string errorSummary(const std::exception_ptr& error);

// The last `count` lines of `file`; "" when it cannot be read.
std::string fileTail(const std::filesystem::path& file, std::size_t count = 50);

// The entry of a build: `result` is the result (built or cached) or, with an `error`, the
// attempt. Its tests: "build", then one per check the build ran.
PackageReport packageReport(const recipe::BuildPlan& plan, const builder::BuildResult& result,
                            double seconds, const std::exception_ptr& error);

// Writes the reports asked for (an empty path: not asked), each atomically.
void writeReports(const RunReport& report, const std::string& jsonPath,
                  const std::string& junitPath);

} // namespace xenbuild::cli
