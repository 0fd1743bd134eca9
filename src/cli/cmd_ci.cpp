// xenbuild ci matrix [--changed-since REV] [--format text|json|github|gitlab]: the packages a
// CI pipeline builds, one job each (docs/ci.md).

#include "cli/commands.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "xenbuild/ci/matrix.hpp"
#include "xenbuild/util/date.hpp"

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>

namespace xenbuild::cli {

namespace {

struct MatrixArgs {
    EvalArgs eval;
    std::string changedSince;
    std::string format = "text";
    std::string gitlabTemplate = "ci/gitlab/package-job.yml";
};

void printTable(Output& output, const ci::Matrix& matrix) {
    std::vector<std::vector<std::string>> cells = {
        {"NAME", "VARIANT", "BRANCH", "PLAN HASH", "SECURITY SUPPORT", "ALIASES"}};
    if (matrix.base) cells[0].push_back("CHANGE");
    for (const auto& job : matrix.jobs) {
        std::string aliases;
        for (const auto& alias : job.aliases)
            aliases += (aliases.empty() ? "" : ",") + alias;
        cells.push_back({job.name, job.variant, job.branch, job.planHash.sri(),
                         std::string(recipe::toString(job.securitySupport)), aliases});
        if (matrix.base) cells.back().emplace_back(ci::toString(job.change));
    }
    output.table(cells);
}

// On stderr: what the matrix was compared with and why packages are in it.
void noteBase(Output& output, const ci::Matrix& matrix) {
    const auto& base = *matrix.base;
    const std::string since = "since " + base.rev + " (commit " + base.commit.substr(0, 12) + ")";
    if (!base.loadError.empty()) {
        output.note("ci matrix: the recipes at " + base.rev +
                    " do not load with this xenbuild, so every package counts as changed: " +
                    spellSettings(base.loadError, optionName));
    }
    if (!base.toolChanges.empty()) {
        std::string files;
        for (std::size_t i = 0; i < base.toolChanges.size() && i < 3; ++i)
            files += (i == 0 ? "" : ", ") + base.toolChanges[i];
        if (base.toolChanges.size() > 3)
            files += " and " + std::to_string(base.toolChanges.size() - 3) + " more";
        output.note("ci matrix: the plan evaluation code changed " + since + " (" + files +
                    "), so every package counts as changed");
    }
    output.note("ci matrix: " + std::to_string(matrix.jobs.size()) + " of " +
                std::to_string(matrix.packages) + " packages changed " + since);
}

void runMatrix(const MatrixArgs& args, const GlobalOptions& global) {
    const auto layout = recipeLayout(global);
    const auto set = recipe::RecipeSet::load(layout);
    const auto matrix = ci::computeMatrix(set, layout,
                                          {.overrides = overridesFrom(args.eval),
                                           .eval = evalOptionsFrom(args.eval),
                                           .changedSince = args.changedSince});
    Output output(global, args.format == "json");
    if (matrix.base) noteBase(output, matrix);
    if (args.format == "json") {
        output.json(matrix.toJson());
    } else if (args.format == "github") {
        output.line(ci::githubMatrix(matrix).dump());
    } else if (args.format == "gitlab") {
        output.text(ci::gitlabPipeline(matrix, args.gitlabTemplate));
    } else {
        printTable(output, matrix);
    }
}

} // namespace

void registerCi(CLI::App& app, GlobalOptions& global) {
    auto* command = app.add_subcommand("ci", "What CI pipelines run (docs/ci.md)");
    command->require_subcommand(1);
    auto args = std::make_shared<MatrixArgs>();
    auto* matrix = command->add_subcommand(
        "matrix", "The packages a pipeline builds, one job each (aliases folded into their "
                  "targets): name, variant, branch, plan hash, security support");
    matrix
        ->add_option("--changed-since", args->changedSince,
                     "Only the packages whose plan changed since this git revision of the "
                     "recipes (all when the plan evaluation code changed)")
        ->type_name("REV");
    matrix
        ->add_option("--format", args->format,
                     "text (a table), json, github (a strategy.matrix include list, one line) "
                     "or gitlab (a child pipeline)")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json", "github", "gitlab"}))
        ->default_str("text");
    matrix
        ->add_option("--gitlab-template", args->gitlabTemplate,
                     "The file the gitlab jobs include, defining .xenbuild-package")
        ->type_name("FILE")
        ->default_str("ci/gitlab/package-job.yml");
    addEvalOptions(*matrix, args->eval);
    matrix->callback([args, &global] { runMatrix(*args, global); });
}

} // namespace xenbuild::cli
