#include "cli/report.hpp"

#include "cli/context.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>

namespace fs = std::filesystem;

namespace xenbuild::cli {

namespace {

std::string firstLine(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

std::string seconds3(double seconds) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f", seconds < 0 ? 0.0 : seconds);
    return buffer;
}

// The length of the valid UTF-8 sequence at text[i], 0 when there is none.
std::size_t utf8Length(std::string_view text, std::size_t i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    if (byte < 0x80) return 1;
    if ((byte & 0xE0) == 0xC0 && byte >= 0xC2) {
        length = 2;
    } else if ((byte & 0xF0) == 0xE0) {
        length = 3;
    } else if ((byte & 0xF8) == 0xF0 && byte <= 0xF4) {
        length = 4;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
    }
    return length;
}

// `text` as XML character data (or an attribute value: line breaks and tabs as references, so
// that they survive), markup escaped, characters XML 1.0 does not allow (terminal escapes,
// other control characters, invalid UTF-8) replaced by '?'.
std::string xmlEscape(std::string_view text, bool inAttribute = false) {
    std::string escaped;
    escaped.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        const std::size_t length = utf8Length(text, i);
        if (length == 0) {
            escaped += '?';
            ++i;
            continue;
        }
        if (length > 1) {
            escaped.append(text.substr(i, length));
            i += length;
            continue;
        }
        ++i;
        switch (c) {
        case '&':
            escaped += "&amp;";
            break;
        case '<':
            escaped += "&lt;";
            break;
        case '>':
            escaped += "&gt;";
            break;
        case '"':
            escaped += "&quot;";
            break;
        case '\'':
            escaped += "&apos;";
            break;
        case '\n':
            escaped += inAttribute ? "&#10;" : "\n";
            break;
        case '\t':
            escaped += inAttribute ? "&#9;" : "\t";
            break;
        case '\r':
            escaped += "&#13;";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
                escaped += '?';
            } else {
                escaped += c;
            }
        }
    }
    return escaped;
}

std::string attribute(const std::string& name, const std::string& value) {
    return " " + name + "=\"" + xmlEscape(value, true) + "\"";
}

nlohmann::json packageJson(const PackageReport& package) {
    const auto& result = package.result;
    nlohmann::json json;
    json["package"] = package.package;
    json["planHash"] = package.planHash;
    json["status"] = package.status;
    json["cached"] = package.status == "cached";
    json["key"] = result.key;
    json["seconds"] = package.seconds;
    // A cached or substituted result's step times are those of the build that made it, not of
    // this run.
    json["phases"] = package.status == "cached" || package.status == "substituted"
                         ? std::map<std::string, double>{}
                         : result.stepSeconds;
    if (package.status != "cached" && package.status != "substituted") {
        for (const auto& [name, span] : result.componentTimes)
            json["componentTimes"][name] = {{"start", span.start}, {"end", span.end}};
    }
    json["outputs"] = nlohmann::json::object();
    for (const auto& output : result.outputs)
        json["outputs"][output.name] = output.path.string();
    // How this run got each output: "present" (already in the store), "substituted" (from a
    // binary cache) or "built".
    json["outputStatus"] = nlohmann::json::object();
    if (package.status != "failed") {
        for (const auto& output : result.outputs)
            json["outputStatus"][output.name] =
                package.status == "cached" ? "present" : result.outputStatus();
    }
    if (!result.substitutedFrom.empty()) json["substitutedFrom"] = result.substitutedFrom;
    // Only when this run compiled (also a failed build): a cached or substituted result's record
    // holds the calls of the build that made it.
    if (result.ccache && (package.status == "built" || package.status == "failed"))
        json["ccache"] = result.ccache->toJson();
    json["checks"] = nlohmann::json::array();
    for (const auto& check : result.checks) {
        json["checks"].push_back(
            {{"kind", check.kind}, {"passed", check.passed}, {"detail", check.detail}});
    }
    json["patches"] = nlohmann::json::array();
    for (const auto& applied : result.patches)
        json["patches"].push_back({{"id", applied.id}, {"status", applied.status}});
    json["skippedPatches"] = result.skippedPatches;
    json["excludedPatches"] = result.excludedPatches;
    json["sourceOverrides"] = nlohmann::json::object();
    for (const auto& [name, dir] : result.sourceOverrides)
        json["sourceOverrides"][name] = dir;
    json["log"] = result.log.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.log);
    if (package.status == "failed") {
        json["failedStep"] = result.failedStep;
        json["error"] = package.error;
        json["logTail"] = package.logTail;
    }
    if (package.bootTest) json["bootTest"] = *package.bootTest;
    return json;
}

} // namespace

bool RunReport::failed() const {
    for (const auto& package : packages) {
        if (package.status == "failed") return true;
    }
    return false;
}

nlohmann::json RunReport::toJson() const {
    nlohmann::json json;
    json["version"] = 1;
    json["command"] = command;
    json["timestamp"] = timestamp;
    json["status"] = failed() ? "failed" : "passed";
    json["packages"] = nlohmann::json::array();
    for (const auto& package : packages)
        json["packages"].push_back(packageJson(package));
    return json;
}

std::string RunReport::toJUnit() const {
    std::size_t tests = 0;
    std::size_t failures = 0;
    double seconds = 0;
    for (const auto& package : packages) {
        seconds += package.seconds;
        for (const auto& test : package.tests) {
            ++tests;
            if (!test.passed) ++failures;
        }
    }
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += "<testsuites" + attribute("name", "xenbuild " + command) +
           attribute("tests", std::to_string(tests)) +
           attribute("failures", std::to_string(failures)) + attribute("errors", "0") +
           attribute("time", seconds3(seconds)) + ">\n";
    for (const auto& package : packages) {
        std::size_t packageFailures = 0;
        for (const auto& test : package.tests) {
            if (!test.passed) ++packageFailures;
        }
        xml += "  <testsuite" + attribute("name", package.package) +
               attribute("tests", std::to_string(package.tests.size())) +
               attribute("failures", std::to_string(packageFailures)) + attribute("errors", "0") +
               attribute("skipped", "0") + attribute("time", seconds3(package.seconds)) +
               attribute("timestamp", timestamp) + ">\n";
        xml += "    <properties>\n";
        const auto property = [&](const std::string& name, const std::string& value) {
            xml += "      <property" + attribute("name", name) + attribute("value", value) + "/>\n";
        };
        property("status", package.status);
        property("planHash", package.planHash);
        property("key", package.result.key);
        for (const auto& output : package.result.outputs)
            property("output." + output.name, output.path.string());
        for (const auto& excluded : package.result.excludedPatches)
            property("excludedPatch", excluded);
        for (const auto& [name, dir] : package.result.sourceOverrides)
            property("sourceOverride." + name, dir);
        xml += "    </properties>\n";
        for (const auto& test : package.tests) {
            xml += "    <testcase" + attribute("name", test.name) +
                   attribute("classname", package.package) +
                   attribute("time", seconds3(test.seconds));
            if (test.passed && test.output.empty()) {
                xml += "/>\n";
                continue;
            }
            xml += ">\n";
            if (!test.passed) {
                xml += "      <failure" + attribute("type", test.name) +
                       attribute("message", test.message) + ">" + xmlEscape(test.text) +
                       "</failure>\n";
            }
            if (!test.output.empty())
                xml += "      <system-out>" + xmlEscape(test.output) + "</system-out>\n";
            xml += "    </testcase>\n";
        }
        xml += "  </testsuite>\n";
    }
    xml += "</testsuites>\n";
    return xml;
}

std::string utcTimestamp() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

std::string describeError(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const Error& thrown) {
        return thrown.describe(optionName);
    } catch (const std::exception& thrown) {
        return thrown.what();
    } catch (...) {
        return "unknown error";
    }
}

std::string errorSummary(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const Error& thrown) {
        return firstLine(spellSettings(thrown.message(), optionName));
    } catch (const std::exception& thrown) {
        return firstLine(thrown.what());
    } catch (...) {
        return "unknown error";
    }
}

std::string fileTail(const fs::path& file, std::size_t count) {
    std::ifstream in(file);
    if (!in) return "";
    std::deque<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(std::move(line));
        if (lines.size() > count) lines.pop_front();
    }
    std::string tail;
    for (const auto& kept : lines)
        tail += kept + "\n";
    return tail;
}

PackageReport packageReport(const recipe::BuildPlan& plan, const builder::BuildResult& result,
                            double seconds, const std::exception_ptr& error) {
    PackageReport package;
    package.package = plan.name;
    package.planHash = plan.hash.sri();
    package.result = result;
    package.seconds = seconds;
    if (error) {
        package.status = "failed";
        package.error = describeError(error);
        if (!result.log.empty()) package.logTail = fileTail(result.log);
    } else {
        package.status = result.cached                     ? "cached"
                         : !result.substitutedFrom.empty() ? "substituted"
                                                           : "built";
    }
    ReportTest build{.name = "build", .seconds = seconds};
    // A build that failed its checks fails in the check's own test case.
    if (error && result.failedStep != "check") {
        build.passed = false;
        build.message = errorSummary(error);
        build.text = package.error;
        build.output = package.logTail;
    }
    package.tests.push_back(std::move(build));
    for (const auto& check : result.checks) {
        ReportTest test{.name = "check " + check.kind};
        if (!check.passed) {
            test.passed = false;
            test.message = check.kind + ": " + firstLine(check.detail);
            test.text = check.detail;
            test.output = package.logTail;
        }
        package.tests.push_back(std::move(test));
    }
    return package;
}

void writeReports(const RunReport& report, const std::string& jsonPath,
                  const std::string& junitPath) {
    if (!jsonPath.empty()) {
        withContext("while writing the report " + quote(jsonPath), [&] {
            util::writeFileAtomic(
                jsonPath,
                report.toJson().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                    "\n");
        });
    }
    if (!junitPath.empty()) {
        withContext("while writing the JUnit report " + quote(junitPath),
                    [&] { util::writeFileAtomic(junitPath, report.toJUnit()); });
    }
}

} // namespace xenbuild::cli
