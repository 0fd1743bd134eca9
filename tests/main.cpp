// Catch2 v2 (Debian 12's package) is header-only: this file provides main().
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
