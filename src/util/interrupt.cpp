#include "xenbuild/util/interrupt.hpp"

#include "xenbuild/util/error.hpp"

#include <csignal>

namespace xenbuild::util {

namespace {

// The storage a signal handler can reach; see the header for why it is global.
std::atomic<bool> gInterrupted{false};
std::atomic<int> gSignal{0};
std::atomic<bool> gInstalled{false};
struct sigaction gOldInt {};
struct sigaction gOldTerm {};

void onSignal(int signo) {
    gSignal.store(signo);
    gInterrupted.store(true);
}

} // namespace

InterruptGuard::InterruptGuard() {
    if (gInstalled.exchange(true)) throw Error("an interrupt guard is already installed");
    gInterrupted = false;
    gSignal = 0;
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &gOldInt);
    ::sigaction(SIGTERM, &action, &gOldTerm);
}

InterruptGuard::~InterruptGuard() {
    ::sigaction(SIGINT, &gOldInt, nullptr);
    ::sigaction(SIGTERM, &gOldTerm, nullptr);
    gInstalled = false;
}

const std::atomic<bool>& InterruptGuard::flag() const {
    return gInterrupted;
}

int InterruptGuard::signal() const {
    return gSignal.load();
}

} // namespace xenbuild::util
