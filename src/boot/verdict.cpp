#include "xenbuild/boot/verdict.hpp"

#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <array>

namespace xenbuild::boot {

namespace {

// Serial lines end in "\r\n"; the console may also emit stray carriage returns.
std::vector<std::string> splitLines(std::string_view log) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < log.size()) {
        auto end = log.find('\n', start);
        if (end == std::string_view::npos) end = log.size();
        std::string line(log.substr(start, end - start));
        line.erase(std::remove(line.begin(), line.end(), '\r'), line.end());
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

std::optional<std::string> field(std::string_view line, std::string_view name) {
    const std::string key = " " + std::string(name) + "=";
    const auto at = line.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    const auto begin = at + key.size();
    const auto end = line.find(' ', begin);
    return std::string(line.substr(begin, end == std::string_view::npos ? end : end - begin));
}

std::string compare(const std::string& what, const std::optional<std::string>& found,
                    const std::string& expected) {
    if (found && *found == expected) return {};
    return "xl info reports " + what + " " + quote(found.value_or("")) + ", expected " +
           quote(expected);
}

std::string missingMarkerReason(bool timedOut) {
    if (timedOut) return "timed out before the marker line appeared";
    return "the machine went down without printing the marker line (dom0's init exited, or "
           "Xen or dom0 reset the machine)";
}

} // namespace

std::optional<std::string> findCrash(const std::vector<std::string>& lines) {
    static constexpr std::array<std::string_view, 9> patterns = {
        "Panic on CPU",               // Xen panic()
        "Xen BUG at",                 // Xen BUG()
        "FATAL TRAP",                 // Xen fatal exception
        "FATAL PAGE FAULT",           // Xen fatal page fault
        "Kernel panic - not syncing", // dom0 panic
        "Oops: ",                     // dom0 oops
        "BUG: ",                      // dom0 BUG
        "Hardware Dom0 crashed",      // Xen reporting dom0's crash
        "general protection fault",   // dom0 GPF
    };
    for (const auto& line : lines) {
        for (const auto pattern : patterns) {
            if (line.find(pattern) != std::string::npos) return line;
        }
    }
    return std::nullopt;
}

Verdict judgeSerialLog(std::string_view log, const Expectation& expected, bool timedOut,
                       std::size_t tailLines) {
    const auto lines = splitLines(log);
    Verdict verdict;
    const auto tailStart = lines.size() > tailLines ? lines.size() - tailLines : 0;
    verdict.lastLines.assign(lines.begin() + static_cast<std::ptrdiff_t>(tailStart), lines.end());

    std::optional<std::string> error;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& line = lines[i];
        if (!verdict.markerLine && line.rfind(kMarker, 0) == 0) {
            verdict.markerLine = i;
            verdict.version = field(line, "xen_version");
            verdict.buildId = field(line, "build_id");
        }
        if (!error && line.rfind(kErrorMarker, 0) == 0)
            error = line.substr(kErrorMarker.size() + 1);
    }
    if (const auto crash = findCrash(lines)) {
        verdict.reason = "crash in the serial log: " + *crash;
    } else if (error) {
        verdict.reason = "dom0 init failed: " + *error;
    } else if (!verdict.markerLine) {
        verdict.reason = missingMarkerReason(timedOut);
    } else if (auto bad = compare("xen_version", verdict.version, expected.version); !bad.empty()) {
        verdict.reason = bad;
    } else if (bad = compare("build_id", verdict.buildId, expected.buildId); !bad.empty()) {
        verdict.reason = bad;
    }
    verdict.passed = verdict.reason.empty();
    return verdict;
}

} // namespace xenbuild::boot
