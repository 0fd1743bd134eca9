#include "cli/render.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <sstream>

using namespace xenbuild;

TEST_CASE("cli::Output: results on stdout, notes and progress on stderr", "[cli]") {
    cli::GlobalOptions global;
    std::ostringstream out;
    std::ostringstream err;

    SECTION("plain") {
        cli::Output output(global, false, out, err);
        CHECK_FALSE(output.json());
        output.line("xen_4_19 (cached)");
        output.text("raw\n");
        output.note("dry run: nothing written");
        output.progress().onEvent(
            {util::ProgressEvent::Kind::Started, "source xen", "https://x/xen.git", 0, 0, ""});
        output.progress().onEvent(
            {util::ProgressEvent::Kind::Progress, "source xen", "objects", 5, 10, "objects"});
        output.progress().onEvent(
            {util::ProgressEvent::Kind::Finished, "source xen", "/store/abc-xen", 0, 0, ""});
        output.finish();
        CHECK(out.str() == "xen_4_19 (cached)\nraw\n");
        CHECK(err.str() == "dry run: nothing written\n"
                           "source xen: fetching https://x/xen.git\n"
                           "source xen: done /store/abc-xen\n");
    }
    SECTION("--json") {
        cli::Output output(global, true, out, err);
        CHECK(output.json());
        output.json({{"plan", "xen_4_19"}, {"cached", true}});
        CHECK(out.str() == "{\n  \"cached\": true,\n  \"plan\": \"xen_4_19\"\n}\n");
    }
    SECTION("-q: results only") {
        global.quiet = true;
        cli::Output output(global, false, out, err);
        output.note("dry run: nothing written");
        output.progress().onEvent(
            {util::ProgressEvent::Kind::Started, "source xen", "https://x/xen.git", 0, 0, ""});
        output.line("result");
        CHECK(out.str() == "result\n");
        CHECK(err.str().empty());
    }
}
