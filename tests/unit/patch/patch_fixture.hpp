#pragma once
// Helpers for the patch tests: numbered lines (temporary trees are support/temp_dir.hpp's).

#include "support/temp_dir.hpp"

#include <string>

namespace xenbuild::testing {

// "line 1\n" ... "line n\n"
inline std::string numberedLines(int from, int to, const std::string& stem = "line ") {
    std::string text;
    for (int i = from; i <= to; ++i)
        text += stem + std::to_string(i) + "\n";
    return text;
}

} // namespace xenbuild::testing
