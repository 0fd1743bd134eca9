#pragma once
// A Xen-shaped upstream made at test time (tests/e2e/make-fake-upstream.sh) and a runner for
// the real xenbuild binary against it, with its own store.

#include "support/fixtures.hpp"
#include "support/test_paths.hpp"

#include <string>

namespace xenbuild::testing {

struct FakeUpstream {
    TempDir dir;
    fs::path root = dir.path();
    fs::path recipes = root / "recipes";
    fs::path store = root / "store";
    fs::path hostProfile = root / "host-profile.json";

    // `env`: assignments for make-fake-upstream.sh, e.g. "FAKE_XEN_EXTRA_FILES=600".
    explicit FakeUpstream(const std::string& env = "") {
        runOk(env + " bash " +
              shellQuote(std::string(::xenbuild::testing::sourceDir()) +
                         "/tests/e2e/make-fake-upstream.sh") +
              " " + shellQuote(root.string()) + " " + shellQuote(::xenbuild::testing::sourceDir()));
    }

    // Adds a local patch for the 4.19 branch.
    void addPatch(const std::string& fileName, const std::string& text) const {
        writeFile(root / "patches" / "4.19" / fileName, text);
    }

    // A patch creating tools/hooks/<name>.sh, which the tree's tools build runs with sh.
    void addHook(const std::string& number, const std::string& name,
                 const std::string& script) const {
        std::string body;
        std::size_t lines = 0;
        for (std::size_t start = 0; start < script.size();) {
            const auto end = script.find('\n', start);
            body += "+" + script.substr(start, end - start + 1);
            ++lines;
            start = end == std::string::npos ? script.size() : end + 1;
        }
        addPatch(number + "-xen-hook-" + name + "-4.19.patch",
                 "--- /dev/null\n+++ b/tools/hooks/" + name + ".sh\n@@ -0,0 +1," +
                     std::to_string(lines) + " @@\n" + body);
    }

    // Runs xenbuild with this upstream's recipes and store; stderr is merged into the output.
    CommandResult xenbuild(const std::string& args) const { return runXenbuild(args + " 2>&1"); }
    // The same with stdout only (for --json), stderr discarded.
    CommandResult xenbuildStdout(const std::string& args) const {
        return runXenbuild(args + " 2>/dev/null");
    }
    CommandResult runXenbuild(const std::string& args) const {
        return run("XENBUILD_TODAY=2026-11-21 " +
                   shellQuote(::xenbuild::testing::xenbuildBinary()) + " --recipes " +
                   shellQuote(recipes.string()) + " --store " + shellQuote(store.string()) + " " +
                   args);
    }

    std::string hostProfileArg() const {
        return "--host-profile " + shellQuote(hostProfile.string());
    }
};

} // namespace xenbuild::testing
