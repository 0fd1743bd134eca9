// `xenbuild build|test --report FILE.json --junit FILE.xml` on the Xen-shaped tree: one entry per
// package, every failure reported next to the packages that built, the JUnit file valid against
// the Jenkins JUnit schema (tests/data/junit/junit-10.xsd, checked with xmllint), and the exit
// statuses docs/cli.md promises (0 built, 1 a build or check failed, 2 usage).

#include "e2e/build_fixture.hpp"
#include "support/files.hpp"
#include "support/test_paths.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

struct Reports {
    fs::path json;
    fs::path junit;

    explicit Reports(const FakeUpstream& upstream)
        : json(upstream.root / "report.json"), junit(upstream.root / "junit.xml") {}

    std::string args() const {
        return " --report " + shellQuote(json.string()) + " --junit " + shellQuote(junit.string());
    }
    nlohmann::json report() const { return nlohmann::json::parse(readFile(json)); }
    std::string xml() const { return readFile(junit); }
};

// xmllint's verdict on `file` against the Jenkins JUnit schema.
CommandResult validateJUnit(const fs::path& file) {
    return run("xmllint --noout --schema " +
               shellQuote(std::string(sourceDir()) + "/tests/data/junit/junit-10.xsd") + " " +
               shellQuote(file.string()) + " 2>&1");
}

const nlohmann::json& entry(const nlohmann::json& report, const std::string& package) {
    for (const auto& item : report["packages"]) {
        if (item["package"] == package) return item;
    }
    FAIL("no entry for " << package << " in " << report.dump(2));
    throw std::logic_error("unreachable");
}

// A patch of tools/Makefile that leaves xlutil out of the libraries: the pkg-config check fails.
const char* const noXlutil = R"(--- a/tools/Makefile
+++ b/tools/Makefile
@@ -3,5 +3,5 @@
 VERSION := 4.19.0
 LIBS := xencall xencontrol xendevicemodel xenevtchn xenforeignmemory xengnttab xenguest \
-        xenhypfs xenlight xenstat xenstore xentoolcore xentoollog xenvchan xlutil
+        xenhypfs xenlight xenstat xenstore xentoolcore xentoollog xenvchan
 
 .PHONY: all install clean firmware hooks
)";

} // namespace

TEST_CASE("report: two packages, one built and one cached, each with its entry",
          "[report][build][e2e]") {
    FakeUpstream upstream;
    const Reports reports(upstream);
    REQUIRE(upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg()).status == 0);

    const auto built = upstream.xenbuild("build xen_4_19-slim xen_4_19 " +
                                         upstream.hostProfileArg() + reports.args());
    INFO(built.output);
    REQUIRE(built.status == 0);
    const auto report = reports.report();
    CHECK(report["version"] == 1);
    CHECK(report["command"] == "build");
    CHECK(report["status"] == "passed");
    REQUIRE(report["packages"].size() == 2);
    CHECK(report["packages"][0]["package"] == "xen_4_19-slim"); // command-line order
    const auto& slim = entry(report, "xen_4_19-slim");
    const auto& standard = entry(report, "xen_4_19");
    CHECK(slim["status"] == "cached");
    CHECK(slim["cached"] == true);
    CHECK(slim["phases"].empty()); // nothing ran in this run
    CHECK(standard["status"] == "built");
    CHECK(standard["cached"] == false);
    for (const char* phase :
         {"fetch", "stage", "patch", "configure", "make", "install", "check", "commit"}) {
        INFO(phase);
        CHECK(standard["phases"].contains(phase));
    }
    for (const auto* item : {&slim, &standard}) {
        CHECK_THAT((*item)["planHash"].get<std::string>(), StartsWith("sha256-"));
        CHECK((*item)["key"].get<std::string>().size() == 52);
        CHECK((*item)["outputs"].size() == 5);
        CHECK(fs::is_directory((*item)["outputs"]["boot"].get<std::string>()));
        // The recipe's (four for slim, eight with the in-tree components) and "relocatable".
        CHECK((*item)["checks"].size() == (item == &slim ? 5U : 9U));
        CHECK((*item)["excludedPatches"].empty());
        CHECK((*item)["sourceOverrides"].empty());
        CHECK_FALSE((*item).contains("error"));
    }
    // The plan hash is the one `xenbuild show` prints.
    const auto show = upstream.xenbuild("show xen_4_19 " + upstream.hostProfileArg());
    CHECK_THAT(show.output, Contains("plan hash  " + standard["planHash"].get<std::string>()));

    const auto valid = validateJUnit(reports.junit);
    INFO(reports.xml());
    CHECK(valid.status == 0);
    const auto xml = reports.xml();
    CHECK_THAT(xml, Contains("<testsuites name=\"xenbuild build\" tests=\"16\" failures=\"0\""));
    CHECK_THAT(xml, Contains("<testsuite name=\"xen_4_19\" tests=\"10\" failures=\"0\""));
    CHECK_THAT(xml, Contains("<testcase name=\"check pkg-config\" classname=\"xen_4_19-slim\""));
    CHECK_THAT(xml, Contains("<property name=\"status\" value=\"cached\"/>"));
}

TEST_CASE("report: a failing package next to a good one: both reported, the good one built, "
          "exit 1",
          "[report][build][e2e]") {
    FakeUpstream upstream;
    const Reports reports(upstream);
    // The standard build stages QEMU's tree at tools/qemu-xen; the slim one does not.
    upstream.addHook(
        "0003", "standard",
        "if [ -d qemu-xen ]; then echo 'HOOK: the standard build fails'; exit 1; fi\n");
    const auto built = upstream.xenbuild("build xen_4_19 xen_4_19-slim " +
                                         upstream.hostProfileArg() + reports.args());
    INFO(built.output);
    CHECK(built.status == 1);
    CHECK_THAT(built.output, Contains("error: while building 'xen_4_19':\n  make failed: "));
    const auto report = reports.report();
    CHECK(report["status"] == "failed");
    REQUIRE(report["packages"].size() == 2);
    const auto& standard = entry(report, "xen_4_19");
    const auto& slim = entry(report, "xen_4_19-slim");
    CHECK(slim["status"] == "built");
    CHECK(fs::is_directory(slim["outputs"]["out"].get<std::string>()));
    CHECK(standard["status"] == "failed");
    CHECK(standard["failedStep"] == "make");
    CHECK(standard["outputs"].empty());
    CHECK(standard["phases"].contains("configure"));
    CHECK(standard["phases"].contains("make"));
    CHECK_THAT(standard["error"].get<std::string>(),
               StartsWith("while building 'xen_4_19':\n  make failed: "));
    CHECK_THAT(standard["logTail"].get<std::string>(),
               Contains("HOOK: the standard build fails\n"));

    CHECK(validateJUnit(reports.junit).status == 0);
    const auto xml = reports.xml();
    CHECK_THAT(xml, Contains("<testsuites name=\"xenbuild build\" tests=\"7\" failures=\"1\""));
    CHECK_THAT(xml, Contains("<testsuite name=\"xen_4_19\" tests=\"1\" failures=\"1\""));
    CHECK_THAT(xml, Contains("<failure type=\"build\" message=\"make failed: "));
    CHECK_THAT(xml, Contains("HOOK: the standard build fails\n"));

    // Reports replace older ones as a whole.
    const auto again =
        upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg() + reports.args());
    CHECK(again.status == 0);
    CHECK(reports.report()["packages"].size() == 1);
    CHECK(validateJUnit(reports.junit).status == 0);
}

TEST_CASE("report: a failing check is a JUnit failure with its text", "[report][build][e2e]") {
    FakeUpstream upstream;
    const Reports reports(upstream);
    upstream.addPatch("0003-xen-no-xlutil-4.19.patch", noXlutil);
    const auto built =
        upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg() + reports.args());
    INFO(built.output);
    CHECK(built.status == 1);
    CHECK_THAT(built.output,
               Contains("the build's outputs fail their checks:\n  pkg-config: xlutil: Package "
                        "xlutil was not found"));
    const auto report = reports.report();
    const auto& slim = entry(report, "xen_4_19-slim");
    CHECK(slim["status"] == "failed");
    CHECK(slim["failedStep"] == "check");
    REQUIRE(slim["checks"].size() == 5);
    CHECK(slim["checks"][1]["kind"] == "pkg-config");
    CHECK(slim["checks"][1]["passed"] == false);

    const auto valid = validateJUnit(reports.junit);
    INFO(reports.xml());
    CHECK(valid.status == 0);
    const auto xml = reports.xml();
    CHECK_THAT(xml, Contains("<testsuite name=\"xen_4_19-slim\" tests=\"6\" failures=\"1\""));
    // The build's own test case passes: the failure is the check's.
    CHECK_THAT(xml, Contains("<testcase name=\"build\" classname=\"xen_4_19-slim\""));
    CHECK_THAT(xml, Contains("<testcase name=\"check pe32plus\" classname=\"xen_4_19-slim\" "));
    CHECK_THAT(xml, Contains("<failure type=\"check pkg-config\" message=\"pkg-config: xlutil: "
                             "Package xlutil was not found in the pkg-config search path.\">"));
    CHECK(xml.find("<failure type=\"build\"") == std::string::npos);
}

TEST_CASE("report: xenbuild test reports the boot test as a test case, also when it fails",
          "[report][boot][e2e]") {
    FakeUpstream upstream;
    const Reports reports(upstream);
    SECTION("not built") {
        const auto tested =
            upstream.xenbuild("test xen_4_19-slim " + upstream.hostProfileArg() + reports.args());
        CHECK(tested.status == 1);
        const auto report = reports.report();
        const auto& slim = entry(report, "xen_4_19-slim");
        CHECK(slim["status"] == "failed");
        CHECK_THAT(slim["error"].get<std::string>(),
                   StartsWith("'xen_4_19-slim' has not been built"));
        CHECK(validateJUnit(reports.junit).status == 0);
        CHECK_THAT(reports.xml(),
                   Contains("<failure type=\"build\" message=\"&apos;xen_4_19-slim&apos; has not "
                            "been built"));
    }
    SECTION("built, but the fake tree cannot boot") {
        REQUIRE(upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg()).status == 0);
        const auto tested =
            upstream.xenbuild("test xen_4_19-slim " + upstream.hostProfileArg() + reports.args());
        INFO(tested.output);
        CHECK(tested.status == 1);
        const auto report = reports.report();
        CHECK(report["command"] == "test");
        const auto& slim = entry(report, "xen_4_19-slim");
        CHECK(slim["status"] == "failed");
        CHECK(slim["failedStep"] == "boot test");
        CHECK(slim["outputs"].size() == 5);
        CHECK_THAT(slim["error"].get<std::string>(),
                   StartsWith("while boot-testing 'xen_4_19-slim':\n  no xen-syms in "));
        CHECK(validateJUnit(reports.junit).status == 0);
        const auto xml = reports.xml();
        CHECK_THAT(xml, Contains("<testsuite name=\"xen_4_19-slim\" tests=\"7\" failures=\"1\""));
        CHECK_THAT(xml, Contains("<testcase name=\"check hypervisor-version\""));
        CHECK_THAT(xml, Contains("<failure type=\"boot test\" message=\"no xen-syms in "));
    }
}

TEST_CASE("report: a report that cannot be written fails the command after the build",
          "[report][build][e2e]") {
    FakeUpstream upstream;
    const auto built =
        upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg() + " --report " +
                          shellQuote((upstream.root / "no" / "r.json").string()));
    CHECK(built.status == 1);
    CHECK_THAT(built.output, Contains("while writing the report '" +
                                      (upstream.root / "no" / "r.json").string() + "'"));
}

TEST_CASE("cli: usage errors exit with status 2, failures with 1", "[report][cli][e2e]") {
    FakeUpstream upstream;
    for (const char* usage :
         {"build", "build xen_4_19-slim --no-such-option", "build xen_4_19-slim --jobs many",
          "test", "no-such-command", "build xen_4_19-slim --sandbox maybe",
          "build xen_4_19-slim --report"}) {
        INFO(usage);
        const auto result = upstream.xenbuild(usage);
        INFO(result.output);
        CHECK(result.status == 2);
    }
    CHECK(upstream.xenbuild("build no_such_package").status == 1);
    CHECK(upstream.xenbuild("build --help").status == 0);
}
