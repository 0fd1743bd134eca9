// The CI matrix (ci/matrix.hpp): one job per concrete package with its aliases, and with a base
// revision only the packages whose plan changed, read from a git repository made at test time.

#include "support/fixtures.hpp"
#include "support/recipes.hpp"
#include "xenbuild/ci/matrix.hpp"
#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace xenbuild;
using namespace xenbuild::testing;
using Catch::Matchers::Contains;

namespace {

// A git work tree holding a copy of the project's recipes, committed as "base".
struct RecipeRepo {
    TempDir dir;
    fs::path root = dir.path();
    fs::path recipes = copyRecipes(root);
    recipe::RecipeLayout layout = recipe::RecipeLayout::beside(recipes);
    std::string base;

    RecipeRepo() {
        writeFile(root / "src" / "recipe" / "evaluate.cpp", "// the evaluator\n");
        base = commit("base");
    }

    std::string git(const std::string& args) const {
        return trim(runOk("cd " + shellQuote(root.string()) +
                          " && git -c init.defaultBranch=main " + args));
    }
    std::string commit(const std::string& message) const {
        if (!fs::exists(root / ".git")) git("init -q");
        git("add -A");
        git("commit -qm " + shellQuote(message));
        return git("rev-parse HEAD");
    }

    ci::Matrix matrix(const std::string& since = "") const {
        ci::MatrixOptions options;
        options.eval.today = util::parseDate("2026-11-21");
        options.changedSince = since;
        return ci::computeMatrix(recipe::RecipeSet::load(layout), layout, options);
    }
};

std::vector<std::string> names(const ci::Matrix& matrix) {
    std::vector<std::string> out;
    for (const auto& job : matrix.jobs)
        out.push_back(job.name + ":" + std::string(ci::toString(job.change)));
    return out;
}

} // namespace

TEST_CASE("ci matrix: every concrete package once, aliases folded into their targets", "[ci]") {
    const RecipeRepo repo;
    const auto matrix = repo.matrix();
    CHECK_FALSE(matrix.base);
    CHECK(matrix.packages == 8);
    CHECK(names(matrix) == std::vector<std::string>{"xen_4_16:all", "xen_4_17:all", "xen_4_18:all",
                                                    "xen_4_19:all", "xen_4_16-slim:all",
                                                    "xen_4_17-slim:all", "xen_4_18-slim:all",
                                                    "xen_4_19-slim:all"});
    const auto set = recipe::RecipeSet::load(repo.layout);
    recipe::EvalOptions eval;
    eval.today = util::parseDate("2026-11-21");
    for (const auto& job : matrix.jobs) {
        INFO(job.name);
        const auto plan = recipe::evaluate(set, job.name, {}, eval);
        CHECK(job.planHash == plan.hash);
        CHECK(job.variant == plan.variant);
        CHECK(job.branch == plan.branch);
        CHECK(job.version == plan.version);
        CHECK(job.securitySupport == plan.meta.securitySupport);
    }
    const auto& latest = matrix.jobs[3];
    CHECK(latest.aliases == std::vector<std::string>{"xen"});
    CHECK(matrix.jobs[7].aliases == std::vector<std::string>{"xen-slim"});
    CHECK(matrix.jobs[0].aliases.empty());
    const auto json = latest.toJson();
    CHECK(json["name"] == "xen_4_19");
    CHECK(json["planHash"] == latest.planHash.sri());
    CHECK(json["securitySupport"] == "supported");
    CHECK(json["change"] == "all");
    CHECK(matrix.toJson()["base"].is_null());
}

TEST_CASE("ci matrix --changed-since: only the packages whose plan changed", "[ci]") {
    RecipeRepo repo;
    SECTION("nothing changed") {
        const auto matrix = repo.matrix("HEAD");
        CHECK(matrix.jobs.empty());
        CHECK(matrix.packages == 8);
        REQUIRE(matrix.base);
        CHECK(matrix.base->commit == repo.base);
        CHECK(matrix.base->toolChanges.empty());
        CHECK(matrix.base->loadError.empty());
        CHECK(ci::githubMatrix(matrix).dump() == R"({"include":[]})");
    }
    SECTION("a branch file changed: that branch's two packages, committed or not") {
        editFile(repo.recipes / "xen" / "4.17.json", "\"4.17.", "\"4.17.9");
        CHECK(names(repo.matrix(repo.base)) ==
              std::vector<std::string>{"xen_4_17:plan", "xen_4_17-slim:plan"});
        repo.commit("4.17.9");
        CHECK(names(repo.matrix("HEAD~1")) ==
              std::vector<std::string>{"xen_4_17:plan", "xen_4_17-slim:plan"});
        CHECK(repo.matrix("HEAD").jobs.empty());
    }
    SECTION("a meta text changed: no plan changed") {
        editFile(repo.recipes / "xen" / "variants.json", "Standard Xen", "The standard Xen");
        CHECK(repo.matrix(repo.base).jobs.empty());
    }
    SECTION("a variant's argument changed: that variant of every branch") {
        editFile(repo.recipes / "xen" / "variants.json",
                 "\"withEFI\": true\n      }\n    },\n    \"slim\"",
                 "\"withEFI\": false\n      }\n    },\n    \"slim\"");
        CHECK(names(repo.matrix(repo.base)) ==
              std::vector<std::string>{"xen_4_16:plan", "xen_4_17:plan", "xen_4_18:plan",
                                       "xen_4_19:plan"});
    }
    SECTION("a local patch added: its branch") {
        writeFile(repo.root / "patches" / "4.18" / "0001-xen-fix-4.18.patch",
                  "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n");
        CHECK(names(repo.matrix(repo.base)) ==
              std::vector<std::string>{"xen_4_18:plan", "xen_4_18-slim:plan"});
        repo.commit("patch");
        // Read back from git, the patch's file:// URL is the work tree's: the plan is the same.
        CHECK(repo.matrix("HEAD").jobs.empty());
    }
    SECTION("a new branch: its packages are new") {
        fs::copy_file(repo.recipes / "xen" / "4.19.json", repo.recipes / "xen" / "4.20.json");
        editFile(repo.recipes / "xen" / "4.20.json", "\"branch\": \"4.19\"",
                 "\"branch\": \"4.20\"");
        editFile(repo.recipes / "xen" / "4.20.json", "\"version\": \"4.19.",
                 "\"version\": \"4.20.");
        // The aliases follow the latest branch; the 4.19 plans stay.
        CHECK(names(repo.matrix(repo.base)) ==
              std::vector<std::string>{"xen_4_20:new", "xen_4_20-slim:new"});
    }
    SECTION("the plan evaluation code changed: every package") {
        writeFile(repo.root / "src" / "recipe" / "evaluate.cpp", "// the evaluator, changed\n");
        const auto matrix = repo.matrix(repo.base);
        CHECK(matrix.jobs.size() == 8);
        CHECK(matrix.jobs[0].change == ci::Change::Tool);
        CHECK(matrix.base->toolChanges == std::vector<std::string>{"src/recipe/evaluate.cpp"});
        // Code elsewhere does not change plans.
        writeFile(repo.root / "src" / "recipe" / "evaluate.cpp", "// the evaluator\n");
        writeFile(repo.root / "src" / "builder" / "builder.cpp", "// new\n");
        CHECK(repo.matrix(repo.base).jobs.empty());
    }
    SECTION("recipes at the base that do not load: every package, with the reason") {
        const auto builder = readFile(repo.recipes / "xen" / "builder.json");
        writeFile(repo.recipes / "xen" / "builder.json", "{ not json");
        const std::string broken = repo.commit("broken");
        writeFile(repo.recipes / "xen" / "builder.json", builder);
        const auto matrix = repo.matrix(broken);
        CHECK(matrix.jobs.size() == 8);
        CHECK(matrix.jobs[0].change == ci::Change::NoBase);
        CHECK_THAT(matrix.base->loadError, Contains("recipes/xen/builder.json:1:"));
    }
    SECTION("a base without recipes: every package") {
        const std::string before = repo.git("commit-tree -m empty $(git mktree </dev/null)");
        const auto matrix = repo.matrix(before);
        CHECK(matrix.jobs.size() == 8);
        CHECK(matrix.jobs[0].change == ci::Change::NoBase);
        CHECK_THAT(matrix.base->loadError, Contains("not a directory"));
    }
}

TEST_CASE("ci matrix --changed-since: a revision that is not there, a tree that is no work tree",
          "[ci]") {
    RecipeRepo repo;
    try {
        repo.matrix("no-such-branch");
        FAIL("no error");
    } catch (const UsageError& e) {
        CHECK_THAT(std::string(e.what()), Contains("the base revision 'no-such-branch' names no "
                                                   "commit of the git repository"));
        CHECK_THAT(std::string(e.what()), Contains("shallow clone"));
    }
    const std::string tree = repo.git("rev-parse HEAD^{tree}");
    CHECK_THROWS_WITH(repo.matrix(tree),
                      Contains("names no commit") && Contains("(it names a tree)"));
    CHECK_THROWS_AS(repo.matrix("-x"), UsageError);

    const TempDir plain;
    const auto recipes = copyRecipes(plain.path());
    const auto layout = recipe::RecipeLayout::beside(recipes);
    ci::MatrixOptions options;
    options.changedSince = "HEAD";
    try {
        ci::computeMatrix(recipe::RecipeSet::load(layout), layout, options);
        FAIL("no error");
    } catch (const UsageError& e) {
        CHECK(e.describe() == "'" + recipes.string() +
                                  "' is not in a git work tree: comparing with the base revision "
                                  "needs the recipes checked out from git (with their history)");
    }
}

TEST_CASE("ci matrix: GitHub and GitLab renderings", "[ci]") {
    const RecipeRepo repo;
    auto matrix = repo.matrix();
    matrix.jobs.resize(2);
    const auto github = ci::githubMatrix(matrix);
    REQUIRE(github["include"].size() == 2);
    CHECK(github["include"][1] == matrix.jobs[1].toJson());
    CHECK(github.dump().find('\n') == std::string::npos);

    const auto yaml = ci::gitlabPipeline(matrix, "ci/gitlab/package-job.yml");
    CHECK_THAT(yaml, Contains("include:\n  - local: \"ci/gitlab/package-job.yml\"\n"));
    CHECK_THAT(yaml, Contains("\n\"build:xen_4_17\":\n  extends: .xenbuild-package\n"
                              "  variables:\n    XENBUILD_PACKAGE: \"xen_4_17\"\n"));
    CHECK_THAT(yaml,
               Contains("    XENBUILD_PLAN_HASH: \"" + matrix.jobs[1].planHash.sri() + "\"\n"));
    CHECK(ci::gitlabJobName("a b/c\"d") == "build:a_b_c_d");

    matrix.jobs.clear();
    CHECK(ci::githubMatrix(matrix).dump() == R"({"include":[]})");
    const auto empty = ci::gitlabPipeline(matrix, "ci/gitlab/package-job.yml");
    CHECK_THAT(empty, Contains("\"no package to build\":\n  script:\n    - \"echo 'xenbuild ci "
                               "matrix: no package in the recipes'\"\n"));
    CHECK(empty.find("include:") == std::string::npos);
}
