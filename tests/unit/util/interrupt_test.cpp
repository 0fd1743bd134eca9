#include "xenbuild/util/error.hpp"
#include "xenbuild/util/interrupt.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using xenbuild::util::InterruptGuard;

TEST_CASE("util::InterruptGuard turns SIGINT and SIGTERM into its flag", "[util][interrupt]") {
    struct sigaction before {};
    ::sigaction(SIGINT, nullptr, &before);
    {
        InterruptGuard guard;
        CHECK_FALSE(guard.interrupted());
        REQUIRE_THROWS_WITH(InterruptGuard(), "an interrupt guard is already installed");
        ::raise(SIGTERM);
        CHECK(guard.interrupted());
        CHECK(guard.signal() == SIGTERM);
    }
    struct sigaction after {};
    ::sigaction(SIGINT, nullptr, &after);
    CHECK(after.sa_handler == before.sa_handler);
    InterruptGuard again; // a new command starts uninterrupted
    CHECK_FALSE(again.interrupted());
}
