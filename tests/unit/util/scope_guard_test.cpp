#include "xenbuild/util/scope_guard.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace xenbuild;

TEST_CASE("util::ScopeGuard runs on every way out unless dismissed", "[util][scope_guard]") {
    int runs = 0;
    {
        util::ScopeGuard guard([&] { ++runs; });
    }
    CHECK(runs == 1);
    try {
        util::ScopeGuard guard([&] { ++runs; });
        throw std::runtime_error("leaving");
    } catch (const std::runtime_error&) {
        CHECK(runs == 2); // ran while unwinding, before the handler
    }
    {
        util::ScopeGuard guard([&] { ++runs; });
        guard.dismiss();
    }
    CHECK(runs == 2);
}
