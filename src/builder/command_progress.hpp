#pragma once
// Live progress of a long build command (configure, make): what is being built, for how long,
// and how long it took last time (internal to the builder module).

#include "xenbuild/util/progress.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace xenbuild::builder::detail {

// The file a line of make's output says is being built, if it says one:
//   Kbuild-style quiet lines (Xen's hypervisor): "  CC      common/sched/core.o" gives
//     "common/sched/core.o", "  LD      xen-syms" gives "xen-syms";
//   compiler command lines (Xen's tools): "gcc -O2 ... -c -o xl.o xl.c" gives the source
//     "xl.c"; a link, "gcc ... -o xl xl.o -lxenctrl", gives its output "xl".
std::optional<std::string> builtFile(std::string_view line);

// Turns a running command's output lines into Progress events for `activity` (unit "files"):
// text is the file being built (empty until one is named), done the number of files named so
// far, elapsedSeconds the time since construction, expectedSeconds as given. One event per
// output line, and one every `tick` without output (0: none).
class CommandProgress {
  public:
    CommandProgress(util::ProgressObserver& observer, std::string activity, double expectedSeconds,
                    std::chrono::milliseconds tick);
    CommandProgress(const CommandProgress&) = delete;
    CommandProgress& operator=(const CommandProgress&) = delete;
    ~CommandProgress();

    void onLine(std::string_view line);
    double elapsedSeconds() const;

  private:
    void report(); // with mutex_ held

    util::ProgressObserver& observer_;
    const std::string activity_;
    const double expectedSeconds_;
    const std::chrono::steady_clock::time_point started_;
    std::mutex mutex_;
    std::string current_;
    std::uint64_t files_ = 0;
    std::condition_variable_any wake_;
    std::jthread ticker_; // last: starts after everything it reads, stops first
};

} // namespace xenbuild::builder::detail
