// The command line's own texts pinned by golden files under tests/golden/cli/: the --help of
// every command, and the results of build, store and update on upstreams made at test time
// (temporary paths, store ids and times normalised). XENBUILD_UPDATE_GOLDENS=1 rewrites them.

#include "e2e/build_fixture.hpp"
#include "support/golden.hpp"
#include "support/recipes.hpp"
#include "unit/update/upstream_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <sstream>

using namespace xenbuild::testing;

namespace {

// Store entries "<store>/<32 characters>-name" -> "$STORE/<id>-name", ISO times -> "$TIME".
std::string normalisedStore(std::string text, const fs::path& store) {
    text = std::regex_replace(text, std::regex(store.string() + "/[0-9a-z]{32}-"), "$$STORE/<id>-");
    text = normalised(text, {{store.string(), "$STORE"}});
    return std::regex_replace(text, std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"), "$$TIME");
}

// The lines of `text` in order: entries listed by store id come in an order that changes with
// the (temporary) store directory.
std::string sortedLines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& line : lines)
        out += line + "\n";
    return out;
}

} // namespace

TEST_CASE("cli --help of every command", "[e2e][cli]") {
    const TempDir dir;
    const std::vector<std::vector<std::string>> commands = {
        {},
        {"list"},
        {"eval"},
        {"show"},
        {"prefetch"},
        {"build"},
        {"patches"},
        {"patches", "list"},
        {"patches", "check"},
        {"test"},
        {"bundle"},
        {"bundle", "verify"},
        {"ci"},
        {"ci", "matrix"},
        {"cache"},
        {"cache", "keygen"},
        {"cache", "push"},
        {"log"},
        {"store"},
        {"store", "ls"},
        {"store", "verify"},
        {"store", "path"},
        {"store", "repair"},
        {"store", "gc"},
        {"hash"},
        {"hash", "path"},
        {"hash", "file"},
        {"update"},
        {"verify"},
        {"xsa"},
        {"xsa", "import"},
    };
    for (auto args : commands) {
        std::string name = "xenbuild";
        for (const auto& word : args)
            name += "-" + word;
        INFO(name);
        args.push_back("--help");
        const auto result = runXenbuild(args, dir.path());
        CHECK(result.status == 0);
        CHECK(result.err.empty());
        checkGolden("cli/help/" + name + ".txt", result.out);
    }
}

TEST_CASE("cli build, log and store print their results as pinned", "[e2e][cli][build]") {
    const FakeUpstream upstream;
    const std::string root = upstream.root.string();
    auto golden = [&](const std::string& name, const std::string& args, bool sorted = false) {
        const auto result = upstream.xenbuildStdout(args);
        INFO(args);
        CHECK(result.status == 0);
        const auto text =
            normalised(normalisedStore(result.output, upstream.store), {{root, "$ROOT"}});
        checkGolden("cli/" + name, sorted ? sortedLines(text) : text);
    };
    const std::string build = "build xen_4_19-slim " + upstream.hostProfileArg();
    golden("build.txt", build);
    golden("build-cached.txt", build);
    golden("store-path.txt", "store path xen_4_19-slim " + upstream.hostProfileArg());
    golden("store-ls.txt", "store ls", true);
    golden("store-verify.txt", "store verify");
    golden("store-gc-dry-run.txt", "store gc --dry-run", true);
    golden("store-repair.txt", "store repair", true);
}

TEST_CASE("cli update prints the recipe diff and its summary as pinned", "[e2e][cli][update]") {
    Upstream upstream;
    upstream.release(standardRelease(upstream, "4.19.0"));
    upstream.seedBranch("4.19", "4.19.0");
    const fs::path home = upstream.dir / "home";
    fs::create_directories(home);
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.end(),
                    {"--recipes", upstream.recipes.string(), "--store", upstream.store.string(),
                     "--keyring", upstream.keys.signer.publicKey.string(), "--trust",
                     upstream.keys.signer.fingerprint, "--today", "2026-11-21"});
        return runXenbuild(home, args);
    };
    const std::vector<std::pair<std::string, std::string>> paths = {
        {upstream.dir.path().string(), "$UPSTREAM"}};

    const auto dry = run({"update", "--dry-run"});
    INFO(dry.err);
    REQUIRE(dry.status == 0);
    checkGolden("cli/update-dry-run.diff", normalised(dry.out, paths));
    // The summary on stderr, after the fetch progress lines (parallel, in no fixed order).
    std::string summary;
    std::istringstream lines(dry.err);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("fetch ", 0) != 0) summary += line + "\n";
    }
    checkGolden("cli/update-dry-run.stderr", normalised(summary, paths));

    const auto written = run({"update"});
    INFO(written.err);
    REQUIRE(written.status == 0);
    checkGolden("cli/update.txt", normalised(written.out, paths));
    const auto again = run({"update"});
    REQUIRE(again.status == 0);
    checkGolden("cli/update-up-to-date.txt", normalised(again.out, paths));
}
