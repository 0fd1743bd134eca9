// `xenbuild patches list|check [BRANCH]`: the patch series of each branch, and a dry run of it
// against the pinned sources it patches (only those are fetched).

#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "xenbuild/patch/apply.hpp"
#include "xenbuild/update/series_check.hpp"
#include "xenbuild/util/error.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace xenbuild::cli {

namespace {

struct PatchesArgs {
    std::string branch; // empty: every branch
    bool json = false;
};

// The primary variant (no suffix) of each branch: it stages every project a patch can target.
std::vector<recipe::BuildPlan> branchPlans(const recipe::RecipeSet& set,
                                           const std::string& branch) {
    if (!branch.empty() && set.branches().count(branch) == 0) {
        std::string known;
        for (const auto& [name, file] : set.branches())
            known += (known.empty() ? "" : ", ") + name;
        throw UsageError("unknown branch " + quote(branch) + " (branches: " + known + ")");
    }
    std::vector<recipe::BuildPlan> plans;
    for (const auto& [name, file] : set.branches()) {
        if (!branch.empty() && name != branch) continue;
        const std::string attribute = set.packageName(name, set.primaryVariant().name);
        plans.push_back(recipe::evaluate(set, attribute, {}, evalOptionsFrom({})));
    }
    return plans;
}

void runList(const PatchesArgs& args, const GlobalOptions& global) {
    Output output(global, args.json);
    nlohmann::json json = nlohmann::json::object();
    for (const auto& plan : branchPlans(loadRecipes(global), args.branch)) {
        auto& list = json[plan.branch] = nlohmann::json::array();
        if (!args.json) output.line(plan.branch + " (" + plan.version + "):");
        for (const auto& ref : plan.patches) {
            list.push_back({{"id", ref.id},
                            {"project", ref.project},
                            {"fuzz", ref.fuzz},
                            {"local", ref.local},
                            {"url", ref.url}});
            if (args.json) continue;
            output.line("  " + ref.id + "  " + ref.project + "  fuzz " + std::to_string(ref.fuzz) +
                        "  " + (ref.local ? "local" : "upstream"));
        }
        if (!args.json && plan.patches.empty()) output.line("  (no patches)");
    }
    if (args.json) output.json(json);
}

void runCheck(const PatchesArgs& args, const GlobalOptions& global) {
    auto store = openStore(global);
    Output output(global, args.json);
    nlohmann::json json = nlohmann::json::object();
    bool allClean = true;
    for (const auto& plan : branchPlans(loadRecipes(global), args.branch)) {
        const auto reports =
            update::checkSeries(plan, store, fetchOptions(global), output.progress());
        auto& list = json[plan.branch] = nlohmann::json::array();
        if (!args.json) output.line(plan.branch + " (" + plan.version + "):");
        for (const auto& report : reports) {
            const bool ok = report.status != patch::PatchStatus::Failed &&
                            report.status != patch::PatchStatus::AlreadyApplied;
            allClean = allClean && ok;
            list.push_back({{"id", report.id}, {"status", report.summary()}, {"ok", ok}});
            if (!args.json) output.line("  " + report.id + ": " + report.summary());
        }
    }
    output.finish();
    if (args.json) output.json(json);
    if (!allClean) throw PatchError("some patches do not apply cleanly to their pinned sources");
}

} // namespace

void registerPatches(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<PatchesArgs>();
    auto* command = app.add_subcommand("patches", "List or check the patch series of the branches");
    command->require_subcommand(1);
    auto* list = command->add_subcommand("list", "List each branch's patches in application order");
    auto* check = command->add_subcommand(
        "check",
        "Dry-run each branch's series against the pinned sources it patches (fetches only those)");
    for (auto* sub : {list, check}) {
        sub->add_option("branch", args->branch, "Branch, e.g. 4.19 (default: every branch)");
        sub->add_flag("--json", args->json, "Print JSON");
    }
    list->callback([args, &global] { runList(*args, global); });
    check->callback([args, &global] { runCheck(*args, global); });
}

} // namespace xenbuild::cli
