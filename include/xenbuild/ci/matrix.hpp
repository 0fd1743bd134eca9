#pragma once
// The CI matrix (`xenbuild ci matrix`, docs/ci.md): the packages a pipeline builds, one job
// each, aliases folded into their targets; with a base revision, only the packages whose plan
// changed since it (the recipes at that revision read from git, evaluated with this xenbuild).
// Rendering for GitHub Actions (a strategy.matrix) and GitLab CI (a child pipeline) is here
// too, as values; the CLI prints them.

#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/recipe/layout.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/util/hash.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::ci {

// Why a package is in a matrix made against a base revision.
enum class Change {
    All,    // no base revision: every package
    New,    // no package of that name at the base revision
    Plan,   // its plan hash differs from the base revision's
    Tool,   // its plan is the same, but the plan evaluation code changed since (planCodePaths)
    NoBase, // the recipes at the base revision do not load, or the package does not evaluate
};

// "all", "new", "plan", "tool", "no-base".
std::string_view toString(Change change);

// One job: a concrete package (an alias is folded into the package it names).
struct Job {
    std::string name;                 // "xen_4_19-slim"
    std::vector<std::string> aliases; // the aliases naming it ("xen-slim"), sorted
    std::string version;              // "4.19.0"
    std::string variant;              // "slim"
    std::string branch;               // "4.19"
    util::Hash planHash;
    recipe::SecuritySupport securitySupport = recipe::SecuritySupport::Unsupported;
    std::chrono::year_month_day securitySupportUntil{};
    Change change = Change::All;

    // {"name", "aliases", "version", "variant", "branch", "planHash" (SRI), "securitySupport",
    //  "securitySupportUntil", "change"}
    nlohmann::json toJson() const;
};

// What a matrix was compared with.
struct Base {
    std::string rev;                      // as given, "origin/main"
    std::string commit;                   // the commit it names (40 hex)
    std::vector<std::string> toolChanges; // files of planCodePaths() that differ since, sorted
    std::string loadError;                // why the recipes at the base do not load, or empty
};

struct Matrix {
    std::vector<Job> jobs;         // in `xenbuild list` order
    std::size_t packages = 0;      // concrete packages in the recipe set (jobs before filtering)
    std::optional<Base> base;      // set with a base revision
    nlohmann::json toJson() const; // {"packages", "base": null or {...}, "jobs": [...]}
};

struct MatrixOptions {
    recipe::Overrides overrides; // --arg, applied to every package (and at the base)
    recipe::EvalOptions eval;    // the date for security support, the host profile
    std::string changedSince;    // a git revision; empty: every package
};

// The paths, relative to the top of the git work tree holding the recipes, of the code and
// data that decide plan hashes: when xenbuild's own source is that repository and any of them
// differ between the base revision and the work tree, every package counts as changed.
const std::vector<std::string>& planCodePaths();

// Every concrete package of `set` (evaluated: an evaluation error is thrown), or with
// options.changedSince, those changed since that revision of the git work tree holding
// layout.recipes (UsageError when there is none or the revision names no commit).
Matrix computeMatrix(const recipe::RecipeSet& set, const recipe::RecipeLayout& layout,
                     const MatrixOptions& options);

// {"include": [job, ...]} for GitHub Actions' `strategy.matrix` (fromJSON of a job output).
// An empty matrix gives {"include": []}, which a workflow must skip (docs/ci.md).
nlohmann::json githubMatrix(const Matrix& matrix);

// The GitLab job name of a package: "build:" and the name, every character but [A-Za-z0-9_.-]
// replaced by '_'.
std::string gitlabJobName(const std::string& package);

// A GitLab child pipeline: `template` included (include: local), one job per package extending
// `.xenbuild-package` with the job's fields as variables (XENBUILD_PACKAGE, ...). Without jobs,
// one job that only says so (a child pipeline needs one).
std::string gitlabPipeline(const Matrix& matrix, const std::string& templateFile);

} // namespace xenbuild::ci
