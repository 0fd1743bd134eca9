// The example CI pipelines (ci/, docs/ci.md) on the Xen-shaped fixture tree: the matrix step
// (ci/matrix.sh), then ci/job.sh for each package it gives (build with reports, bundle, verify,
// boot test), as one pipeline; and the pipelines' YAML checked against what `xenbuild ci matrix`
// prints: the GitHub workflow with action-validator, both read with PyYAML.

#include "e2e/build_fixture.hpp"
#include "support/test_paths.hpp"
#include "unit/fetch/gpg_fixture.hpp"
#include "unit/fetch/secret_keys.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>

using namespace xenbuild::testing;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const fs::path kCi = fs::path(sourceDir()) / "ci";

// The fixture with a 4.18 branch beside 4.19, its recipes and local patches committed to git
// ("base"), then a local patch added to 4.19 and committed ("head"): 4 packages, 2 changed.
struct PipelineUpstream : FakeUpstream {
    PipelineUpstream() : FakeUpstream("FAKE_EXTRA_BRANCHES=4.18:4.18.2") {
        git("init -q");
        commit("base");
        addPatch("0003-xen-ci-change-4.19.patch",
                 "--- /dev/null\n+++ b/CI-CHANGE\n@@ -0,0 +1 @@\n+changed\n");
        commit("head");
    }

    std::string git(const std::string& args) const {
        return trim(runOk("cd " + shellQuote(root.string()) +
                          " && git -c init.defaultBranch=main " + args));
    }
    void commit(const std::string& message) const {
        git("add recipes patches");
        git("commit -qm " + shellQuote(message));
    }

    // A script of ci/ run in the fixture's root, pointed at its recipes and store through the
    // environment; stderr merged, or discarded.
    CommandResult script(const std::string& env, const std::string& name, const std::string& args,
                         bool withStderr = true) const {
        return run("cd " + shellQuote(root.string()) + " && " + env +
                   " XENBUILD=" + shellQuote(xenbuildBinary()) + " XENBUILD_RECIPES=" +
                   shellQuote(recipes.string()) + " XENBUILD_STORE=" + shellQuote(store.string()) +
                   " XENBUILD_TODAY=2026-11-21 bash " + shellQuote((kCi / name).string()) + " " +
                   args + (withStderr ? " 2>&1" : " 2>/dev/null"));
    }
};

// A YAML file as JSON, read by Debian's PyYAML.
json yamlFile(const fs::path& file) {
    const auto result = run("/usr/bin/python3 -c 'import json, sys, yaml; "
                            "print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' " +
                            shellQuote(file.string()) + " 2>&1");
    INFO(result.output);
    REQUIRE(result.status == 0);
    return json::parse(result.output);
}

json yamlText(const std::string& text, const fs::path& dir) {
    writeFile(dir / "pipeline.yml", text);
    return yamlFile(dir / "pipeline.yml");
}

// Every `run:` of a GitHub job's steps, joined.
std::string runs(const json& job) {
    std::string out;
    for (const auto& step : job["steps"])
        if (step.contains("run")) out += step["run"].get<std::string>() + "\n";
    return out;
}

} // namespace

TEST_CASE("ci pipeline: matrix, then build with reports, bundle and verify each package "
          "(ci/matrix.sh, ci/job.sh)",
          "[ci][bundle][e2e]") {
    const PipelineUpstream upstream;
    const auto& gpg = GpgFixture::instance();
    const auto secret = exportSecretKey(gpg.signer, upstream.root);
    const std::string profile = upstream.hostProfileArg();

    // The matrix step: the two 4.19 packages changed since the base.
    const auto all = upstream.script("", "matrix.sh", "json '' " + profile);
    INFO(all.output);
    REQUIRE(all.status == 0);
    CHECK(json::parse(all.output)["jobs"].size() == 4);
    const auto step = upstream.script("", "matrix.sh", "github HEAD~1 " + profile);
    INFO(step.output);
    REQUIRE(step.status == 0);
    const std::string prefix = "ci matrix: 2 of 4 packages changed since HEAD~1 (commit ";
    REQUIRE(step.output.starts_with(prefix));
    const auto line = step.output.substr(step.output.find('\n') + 1);
    REQUIRE(line.starts_with("matrix={\"include\":["));
    const auto matrix = json::parse(line.substr(7));
    REQUIRE(matrix["include"].size() == 2);
    CHECK(matrix["include"][0]["name"] == "xen_4_19");
    CHECK(matrix["include"][1]["name"] == "xen_4_19-slim");
    CHECK(matrix["include"][0]["change"] == "plan");

    // One job per package, as the pipelines run them: the first signed and without the boot
    // test (a runner without QEMU), the second unsigned with it.
    const fs::path dist = upstream.root / "dist";
    for (const auto& job : matrix["include"]) {
        const std::string name = job["name"];
        const bool first = name == "xen_4_19";
        const std::string env =
            first ? "XENBUILD_BOOT_TEST=0 XENBUILD_SIGN_KEY=" + shellQuote(secret.string()) +
                        " XENBUILD_VERIFY_KEY=" + shellQuote(gpg.signer.publicKey.string())
                  : "";
        const fs::path out = dist / name;
        const auto ran =
            upstream.script(env, "job.sh", name + " " + shellQuote(out.string()) + " " + profile);
        INFO(name << ":\n" << ran.output);
        // The fixture's Xen cannot boot: the boot test fails, after the bundle was verified.
        CHECK(ran.status == (first ? 0 : 1));
        CHECK_THAT(ran.output, Contains("== build " + name + "\n"));
        CHECK_THAT(ran.output, Contains((out / "bundle").string() + ": OK, 5 archives, " +
                                        (first ? "signed by " + gpg.signer.fingerprint
                                               : std::string("unsigned"))));
        if (first) CHECK_THAT(ran.output, Contains("bundle of " + name + " in " + out.string()));

        const auto build = json::parse(readFile(out / "build.json"));
        CHECK(build["status"] == "passed");
        CHECK(build["packages"][0]["package"] == name);
        CHECK(build["packages"][0]["planHash"] == job["planHash"]);
        const auto junit =
            run("xmllint --noout --schema " +
                shellQuote(std::string(sourceDir()) + "/tests/data/junit/junit-10.xsd") + " " +
                shellQuote((out / "build.xml").string()) + " 2>&1");
        INFO(junit.output);
        CHECK(junit.status == 0);
        const auto verified = upstream.xenbuildStdout("bundle verify --json " +
                                                      shellQuote((out / "bundle").string()));
        CHECK(verified.status == 0);
        CHECK(json::parse(verified.output)["ok"] == true);
        const auto schema = fs::path(testDataDir()) / "spdx-2.3-schema.json";
        const auto sbom =
            run("ajv validate --spec=draft7 --strict=false -s " + shellQuote(schema.string()) +
                " -d " + shellQuote((out / "bundle" / "xen-4.19.0.spdx.json").string()) + " 2>&1");
        INFO(sbom.output);
        CHECK(sbom.status == 0);
        CHECK(fs::exists(out / "test.json") == !first);
        if (!first) {
            const auto test = json::parse(readFile(out / "test.json"));
            CHECK(test["packages"][0]["failedStep"] == "boot test");
        }
    }
    // The other packages were not built.
    CHECK(upstream.xenbuild("bundle xen_4_18 -o x " + profile).status == 1);

    // Usage errors of the scripts.
    CHECK(upstream.script("", "job.sh", "xen_4_19").status == 2);
    CHECK(upstream.script("", "matrix.sh", "").status == 2);
    const auto badRev = upstream.script("", "matrix.sh", "github no-such-rev " + profile);
    CHECK(badRev.status == 2);
    CHECK_THAT(badRev.output, Contains("error: --changed-since 'no-such-rev' names no commit"));
}

TEST_CASE("ci pipeline: the example pipelines are valid and run what the matrix gives",
          "[ci][e2e]") {
    const PipelineUpstream upstream;
    const std::string profile = upstream.hostProfileArg();
    const auto github = upstream.script("", "matrix.sh", "github HEAD~1 " + profile, false);
    const auto changed = upstream.script("", "matrix.sh", "github HEAD " + profile);
    REQUIRE(github.status == 0);
    REQUIRE(changed.status == 0);
    const auto include = json::parse(github.output.substr(github.output.find("matrix=") + 7));
    const std::string empty = changed.output.substr(changed.output.find("matrix=") + 7);
    CHECK(empty == "{\"include\":[]}\n");

    SECTION("GitHub Actions") {
        const fs::path file = kCi / "github" / "xenbuild.yml";
        const auto valid = run("action-validator " + shellQuote(file.string()) + " 2>&1");
        INFO(valid.output);
        CHECK(valid.status == 0);

        const auto workflow = yamlFile(file);
        const auto& jobs = workflow["jobs"];
        CHECK(jobs["matrix"]["outputs"]["matrix"] == "${{ steps.matrix.outputs.matrix }}");
        bool sawStep = false;
        for (const auto& step : jobs["matrix"]["steps"])
            if (step.value("id", "") == "matrix") {
                sawStep = true;
                CHECK_THAT(step["run"].get<std::string>(),
                           Contains("ci/matrix.sh github \"$BASE\" >> \"$GITHUB_OUTPUT\""));
            }
        CHECK(sawStep);
        const auto& build = jobs["build"];
        CHECK(build["needs"] == "matrix");
        // Skipped on exactly what the matrix step prints for no package.
        CHECK(build["if"] ==
              "needs.matrix.outputs.matrix != '" + empty.substr(0, empty.size() - 1) + "'");
        CHECK(build["strategy"]["matrix"] == "${{ fromJSON(needs.matrix.outputs.matrix) }}");
        CHECK(build["env"]["PACKAGE"] == "${{ matrix.name }}");
        CHECK_THAT(runs(build), Contains("ci/job.sh \"$PACKAGE\" \"dist/$PACKAGE\""));
        // Every matrix field the job uses is one the matrix has.
        const std::string text = readFile(file);
        const std::regex field(R"(\$\{\{ *matrix\.(\w+))");
        std::set<std::string> used;
        for (std::sregex_iterator it(text.begin(), text.end(), field), end; it != end; ++it)
            used.insert((*it)[1]);
        REQUIRE_FALSE(used.empty());
        for (const auto& name : used) {
            INFO(name);
            CHECK(include["include"][0].contains(name));
        }
        CHECK(jobs["publish"]["needs"] == "build");
    }

    SECTION("GitLab CI") {
        const auto parent = yamlFile(kCi / "gitlab" / ".gitlab-ci.yml");
        std::string script;
        for (const auto& line : parent["matrix"]["script"])
            script += line.get<std::string>() + "\n";
        CHECK_THAT(script, Contains("ci/matrix.sh gitlab ") && Contains("> packages.yml"));
        CHECK(parent["matrix"]["artifacts"]["paths"] == json::array({"packages.yml"}));
        CHECK(parent["packages"]["trigger"]["include"] ==
              json::array({{{"artifact", "packages.yml"}, {"job", "matrix"}}}));

        const auto text = upstream.script("", "matrix.sh", "gitlab HEAD~1 " + profile, false);
        REQUIRE(text.status == 0);
        const auto child = yamlText(text.output, upstream.root);
        REQUIRE(child["include"].size() == 1);
        const fs::path templateFile = child["include"][0]["local"].get<std::string>();
        CHECK(templateFile == "ci/gitlab/package-job.yml");
        const auto templates = yamlFile(fs::path(sourceDir()) / templateFile);
        const auto& package = templates[".xenbuild-package"];
        std::string jobScript;
        for (const auto& line : package["script"])
            jobScript += line.get<std::string>() + "\n";
        CHECK_THAT(jobScript,
                   Contains("ci/job.sh \"$XENBUILD_PACKAGE\" \"dist/$XENBUILD_PACKAGE\""));
        std::vector<std::string> packages;
        for (auto it = child.begin(); it != child.end(); ++it) {
            const std::string name = it.key();
            const json& job = it.value();
            if (name == "include") continue;
            CHECK(job["extends"] == ".xenbuild-package");
            CHECK(name == "build:" + job["variables"]["XENBUILD_PACKAGE"].get<std::string>());
            packages.push_back(job["variables"]["XENBUILD_PACKAGE"]);
        }
        CHECK(packages == std::vector<std::string>{"xen_4_19", "xen_4_19-slim"});
        for (std::size_t i = 0; i < packages.size(); ++i)
            CHECK(child["build:" + packages[i]]["variables"]["XENBUILD_PLAN_HASH"] ==
                  include["include"][i]["planHash"]);

        // No package: still a valid child pipeline, of one job.
        const auto none = upstream.script("", "matrix.sh", "gitlab HEAD " + profile, false);
        const auto noop = yamlText(none.output, upstream.root);
        REQUIRE(noop.size() == 1);
        CHECK(noop.begin().value()["script"].size() == 1);
    }
}
