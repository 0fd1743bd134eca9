#include "xenbuild/boot/verdict.hpp"

#include "xenbuild/boot/qdisk_guest.hpp"
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

bool startsWith(std::string_view line, std::string_view prefix) {
    return line.substr(0, prefix.size()) == prefix;
}

// What follows `marker` on a line starting with it, without the separating blank.
std::string after(std::string_view line, std::string_view marker) {
    auto rest = line.substr(marker.size());
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return std::string(rest);
}

// The first word of what follows `marker` (the guest's token).
std::string firstWord(std::string_view line, std::string_view marker) {
    const auto rest = after(line, marker);
    return rest.substr(0, rest.find_first_of(" \t"));
}

std::string crashReason(const std::string& line) {
    if (startsWith(line, kGuestPrefix))
        return "crash in the qdisk guest's console: " + after(line, kGuestPrefix);
    return "crash in the serial log: " + line;
}

// What the guest's lines say, when the guest is expected.
struct GuestFindings {
    std::optional<std::string> initError; // the guest's own /init
    std::optional<std::string> dom0Error; // dom0's steps of starting and watching the guest
};

std::string guestReason(const Verdict& verdict, const GuestFindings& found,
                        const std::string& expectedToken, bool timedOut) {
    if (verdict.guestToken) {
        if (*verdict.guestToken == expectedToken) return {};
        return "the qdisk guest printed the token " + quote(*verdict.guestToken) + ", expected " +
               quote(expectedToken) + " (the one its disk holds)";
    }
    if (found.initError) return "the qdisk guest's init failed: " + *found.initError;
    if (found.dom0Error) return "the qdisk guest failed: " + *found.dom0Error;
    if (timedOut) return "timed out before the qdisk guest's marker appeared";
    return "the machine went down without the qdisk guest's marker (dom0's init exited, or Xen "
           "or dom0 reset the machine)";
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
                       std::optional<std::size_t> tailLines) {
    const auto lines = splitLines(log);
    Verdict verdict;
    const std::size_t tail = tailLines.value_or(expected.qdiskToken ? 40 : 25);
    const auto tailStart = lines.size() > tail ? lines.size() - tail : 0;
    verdict.lastLines.assign(lines.begin() + static_cast<std::ptrdiff_t>(tailStart), lines.end());

    std::optional<std::string> error;
    GuestFindings guest;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& line = lines[i];
        if (!verdict.markerLine && startsWith(line, kMarker)) {
            verdict.markerLine = i;
            verdict.version = field(line, "xen_version");
            verdict.buildId = field(line, "build_id");
        }
        if (!error && startsWith(line, kErrorMarker)) error = after(line, kErrorMarker);
        if (!guest.dom0Error && startsWith(line, kGuestErrorMarker))
            guest.dom0Error = after(line, kGuestErrorMarker);
        if (!startsWith(line, kGuestPrefix)) continue;
        const std::string_view guestLine = std::string_view(line).substr(kGuestPrefix.size());
        if (!verdict.guestMarkerLine && startsWith(guestLine, kQdiskMarker)) {
            verdict.guestMarkerLine = i;
            verdict.guestToken = firstWord(guestLine, kQdiskMarker);
        }
        if (!guest.initError && startsWith(guestLine, kQdiskErrorMarker))
            guest.initError = after(guestLine, kQdiskErrorMarker);
    }
    if (const auto crash = findCrash(lines)) {
        verdict.reason = crashReason(*crash);
    } else if (error) {
        verdict.reason = "dom0 init failed: " + *error;
    } else if (!verdict.markerLine) {
        verdict.reason = missingMarkerReason(timedOut);
    } else if (auto bad = compare("xen_version", verdict.version, expected.version); !bad.empty()) {
        verdict.reason = bad;
    } else if (bad = compare("build_id", verdict.buildId, expected.buildId); !bad.empty()) {
        verdict.reason = bad;
    } else if (expected.qdiskToken) {
        verdict.reason = guestReason(verdict, guest, *expected.qdiskToken, timedOut);
    }
    verdict.passed = verdict.reason.empty();
    return verdict;
}

} // namespace xenbuild::boot
