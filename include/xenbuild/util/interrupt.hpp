#pragma once
// Turning SIGINT/SIGTERM into a cancellation flag. Signal handlers can only reach global
// storage, so this is the one piece of process-wide state: `main` (never library code) creates
// one InterruptGuard for the lifetime of a command and passes guard.flag() down as
// RunSpec::cancel / ProcessSpec::cancel. While it exists, the first SIGINT or SIGTERM sets the
// flag (running builds then tear down their process trees and return); the previous handlers
// are restored on destruction. Creating a second guard while one exists throws.

#include <atomic>

namespace xenbuild::util {

class InterruptGuard {
  public:
    InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
    ~InterruptGuard();

    const std::atomic<bool>& flag() const;
    bool interrupted() const { return flag().load(); }
    int signal() const; // the signal received, 0 if none
};

} // namespace xenbuild::util
