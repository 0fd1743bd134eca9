// xenbuild list [--json]: every package and alias with its version, variant, branch and
// security-support status.

#include "cli/commands.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "xenbuild/util/date.hpp"

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>

namespace xenbuild::cli {

namespace {

std::string supportText(const recipe::PackageSummary& row) {
    return row.securitySupport == recipe::SecuritySupport::Supported
               ? "supported until " + util::formatDate(row.securitySupportUntil)
               : "ended " + util::formatDate(row.securitySupportUntil);
}

void printTable(Output& output, const std::vector<recipe::PackageSummary>& rows) {
    std::vector<std::vector<std::string>> cells = {
        {"NAME", "VERSION", "VARIANT", "BRANCH", "LATEST", "SECURITY SUPPORT", "ALIAS OF"}};
    for (const auto& row : rows) {
        cells.push_back({row.name, row.version, row.variant, row.branch, row.latest ? "yes" : "",
                         supportText(row), row.aliasOf});
    }
    output.table(cells);
}

} // namespace

void registerList(CLI::App& app, GlobalOptions& global) {
    struct Options {
        bool json = false;
    };
    auto options = std::make_shared<Options>();
    auto* command = app.add_subcommand("list", "List the packages: name, version, variant, "
                                               "branch, latest, security-support status");
    command->add_flag("--json", options->json, "Print a JSON array instead of a table");
    command->callback([&global, options] {
        const auto set = loadRecipes(global);
        const auto rows = recipe::listPackages(set, evalOptionsFrom(EvalArgs{}));
        Output output(global, options->json);
        if (!output.json()) {
            printTable(output, rows);
            return;
        }
        nlohmann::json out = nlohmann::json::array();
        for (const auto& row : rows)
            out.push_back(row.toJson());
        output.json(out);
    });
}

} // namespace xenbuild::cli
