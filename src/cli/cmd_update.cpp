// xenbuild update [BRANCH...] [--add-branch X.Y] [--prune] [--drop-applied] [--dry-run] [--json]
// xenbuild verify
// Regenerate the branch files from signed upstream tags, and re-verify them.

#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/render.hpp"
#include "cli/signing.hpp"
#include "xenbuild/update/updater.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>

namespace xenbuild::cli {

namespace {

struct UpdateArgs {
    std::vector<std::string> branches;
    std::vector<std::string> addBranches;
    bool prune = false;
    bool dropApplied = false;
    bool dryRun = false;
    bool json = false;
    std::string today;
    SigningOptions signing;
};

// --today, a hidden option for tests: nullopt when not given.
std::optional<std::chrono::year_month_day> todayFrom(const std::string& text) {
    if (text.empty()) return std::nullopt;
    const auto date = util::parseDate(text);
    if (!date) throw UsageError("--today " + quote(text) + ": " + util::dateProblem(text));
    return date;
}

void runUpdate(const UpdateArgs& args, const GlobalOptions& global) {
    const auto layout = recipeLayout(global);
    const auto verifier = makeVerifier(args.signing, global);
    auto store = openStore(global);
    const auto options = fetchOptions(global);
    Output output(global, args.json);
    const update::UpdateRequest request{.layout = layout,
                                        .branches = args.branches,
                                        .addBranches = args.addBranches,
                                        .prune = args.prune,
                                        .dropApplied = args.dropApplied,
                                        .today = todayFrom(args.today)};
    const auto plan = update::planUpdate(request, {store, options, verifier, output.progress()});
    output.finish();
    if (!args.dryRun) update::applyUpdate(plan);
    if (args.json) {
        auto out = plan.toJson();
        out["dryRun"] = args.dryRun;
        if (args.dryRun) out["diff"] = plan.diff(layout.recipes.parent_path());
        output.json(out);
        return;
    }
    if (args.dryRun) {
        output.text(plan.diff(layout.recipes.parent_path()));
        output.note(plan.summary(optionName) + "dry run: nothing written");
        return;
    }
    output.text(plan.summary(optionName));
}

void runVerify(const SigningOptions& signing, const GlobalOptions& global) {
    const auto verifier = makeVerifier(signing, global);
    auto store = openStore(global);
    const auto options = fetchOptions(global);
    Output output(global, false);
    const auto lines = update::verifyRecipes(recipeLayout(global).recipes,
                                             {store, options, verifier, output.progress()});
    output.finish();
    for (const auto& line : lines)
        output.line(line);
}

} // namespace

void registerUpdate(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<UpdateArgs>();
    auto* cmd = app.add_subcommand(
        "update", "Regenerate branch files from the signed RELEASE tags of xen.git (maintainers)");
    cmd->add_option("branches", args->branches, "Branches to update (default: all)");
    cmd->add_option("--add-branch", args->addBranches, "Create the branch X.Y (repeatable)")
        ->type_name("X.Y");
    cmd->add_flag("--prune", args->prune, "Remove branches past their security support");
    cmd->add_flag("--drop-applied", args->dropApplied,
                  "Drop upstream patches that the new release already contains");
    cmd->add_flag("--dry-run", args->dryRun, "Print the diff of the recipes; write nothing");
    cmd->add_flag("--json", args->json, "Print the summary as JSON");
    cmd->add_option("--today", args->today, "Date for the support check (YYYY-MM-DD)")->group("");
    addSigningOptions(*cmd, args->signing);
    cmd->callback([args, &global] { runUpdate(*args, global); });
}

void registerVerify(CLI::App& app, GlobalOptions& global) {
    auto signing = std::make_shared<SigningOptions>();
    auto* cmd = app.add_subcommand(
        "verify", "Check that each branch's xen rev is a correctly signed RELEASE tag");
    addSigningOptions(*cmd, *signing);
    cmd->callback([signing, &global] { runVerify(*signing, global); });
}

} // namespace xenbuild::cli
