#include "xenbuild/util/suggest.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild::util;

TEST_CASE("util::editDistance counts edits and adjacent swaps", "[util]") {
    CHECK(editDistance("", "") == 0);
    CHECK(editDistance("abc", "") == 3);
    CHECK(editDistance("kitten", "sitting") == 3);
    CHECK(editDistance("xen_4_91", "xen_4_19") == 1); // a swap counts once
    CHECK(editDistance("withEFI", "withEfi") == 2);
}

TEST_CASE("util::closestNames keeps only the closest candidates", "[util]") {
    const std::vector<std::string> names = {"xen_4_16", "xen_4_17", "xen_4_18", "xen_4_19"};
    CHECK(closestNames("xen_4_91", names) == std::vector<std::string>{"xen_4_19"});
    CHECK(closestNames("xen_4_1", names, 2) == std::vector<std::string>{"xen_4_16", "xen_4_17"});
    CHECK(closestNames("hello", names).empty());
}

TEST_CASE("util::didYouMean phrases the suggestion", "[util]") {
    CHECK(didYouMean("descripton", {"description", "version"}) == "; did you mean 'description'?");
    CHECK(didYouMean("a", {"b", "c", "d"}) == "; did you mean 'b', 'c' or 'd'?");
    CHECK(didYouMean("zzzzzz", {"b"}).empty());
}
