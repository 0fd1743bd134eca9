#pragma once
// Judging a boot from its serial log alone (QEMU's exit status says nothing: a Xen panic
// reboots, and with -no-reboot QEMU then exits 0). The dom0 init prints
//   XENBUILD-BOOT-MARKER xen_version=<from xl info> build_id=<from xl info>
// once `xl info` has talked to the hypervisor, or `XENBUILD-BOOT-ERROR <what>` when a step
// fails. A boot passes only when the marker appears with the expected version and build-id and
// nothing in the log shows a panic or crash. For a standard build it must also show the qdisk
// guest's marker with the expected token, as dom0 copies it from the guest's console:
//   XENBUILD-GUEST: XENBUILD-QDISK-MARKER <token>
// (qdisk_guest.hpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::boot {

inline constexpr std::string_view kMarker = "XENBUILD-BOOT-MARKER";
inline constexpr std::string_view kErrorMarker = "XENBUILD-BOOT-ERROR";

struct Expectation {
    std::string version; // the plan's version, e.g. "4.17.5"
    std::string buildId; // lower-case hex build-id of the built xen-syms
    // Set for a test with the qdisk guest: the token its disk holds, which it must print.
    std::optional<std::string> qdiskToken;
};

struct Verdict {
    bool passed = false;
    std::string reason;                         // why it failed ("" when passed)
    std::optional<std::string> version;         // reported by the marker
    std::optional<std::string> buildId;         // reported by the marker
    std::optional<std::size_t> markerLine;      // 0-based line index of the marker
    std::optional<std::string> guestToken;      // printed by the qdisk guest
    std::optional<std::size_t> guestMarkerLine; // 0-based line index of the guest's marker
    std::vector<std::string> lastLines;         // the log's last lines, for the failure message
};

// `timedOut`: the boot was stopped before the machine went down by itself. `tailLines`:
// default 25, 40 with the qdisk guest (dom0 prints the guest's console and logs on failure).
Verdict judgeSerialLog(std::string_view log, const Expectation& expected, bool timedOut,
                       std::optional<std::size_t> tailLines = std::nullopt);

// The first line that shows a Xen panic, a dom0 kernel panic or oops, or a crashed domain.
std::optional<std::string> findCrash(const std::vector<std::string>& lines);

} // namespace xenbuild::boot
