#pragma once
// Structured progress events. Long-running library operations (fetching, building) report
// through a ProgressObserver; the CLI renders them (a live line on a terminal, plain lines
// otherwise) and tests record them. Observers may be called from several threads at once.

#include <cstdint>
#include <string>

namespace xenbuild::util {

struct ProgressEvent {
    enum class Kind { Started, Progress, Message, Finished, Failed };
    Kind kind = Kind::Message;
    std::string activity;    // stable id of the unit of work, e.g. "fetch xen_4_19:qemu"
    std::string text;        // human-readable detail
    std::uint64_t done = 0;  // units done so far (Progress)
    std::uint64_t total = 0; // 0 when unknown
    std::string unit;        // "bytes", "objects", "files", ...
    // Long steps (a build's configure and make): seconds since the step started, and how long
    // the same step took last time (0: unknown).
    double elapsedSeconds = 0;
    double expectedSeconds = 0;
};

class ProgressObserver {
  public:
    virtual ~ProgressObserver() = default;
    virtual void onEvent(const ProgressEvent& event) = 0;
};

// Discards every event; the default when a caller does not care.
class NullProgress final : public ProgressObserver {
  public:
    void onEvent(const ProgressEvent&) override {}
};

} // namespace xenbuild::util
