#pragma once
// Golden files: expected output kept under tests/golden/. XENBUILD_UPDATE_GOLDENS=1 rewrites
// them from the actual output instead of comparing (review the diff before committing).

#include "support/files.hpp"
#include "support/test_paths.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace xenbuild::testing {

inline bool updatingGoldens() {
    const char* update = std::getenv("XENBUILD_UPDATE_GOLDENS");
    return update != nullptr && std::string(update) == "1";
}

// Compares `actual` with tests/golden/<name>, or rewrites the file when updating.
inline void checkGolden(const std::string& name, const std::string& actual) {
    const fs::path path = fs::path(goldenDir()) / name;
    if (updatingGoldens()) {
        writeFile(path, actual);
        WARN("updated golden " << path.string());
        return;
    }
    INFO("golden file " << path.string() << " (XENBUILD_UPDATE_GOLDENS=1 rewrites it)");
    REQUIRE(fs::exists(path));
    CHECK(actual == readFile(path));
}

// `text` with every occurrence of each `from` replaced by its `to` (in order), for outputs
// holding temporary paths or store ids: {{"/tmp/xb-1234", "$TMP"}}.
inline std::string normalised(std::string text,
                              const std::vector<std::pair<std::string, std::string>>& rules) {
    for (const auto& [from, to] : rules) {
        if (from.empty()) continue;
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
            text.replace(at, from.size(), to);
            at += to.size();
        }
    }
    return text;
}

} // namespace xenbuild::testing
