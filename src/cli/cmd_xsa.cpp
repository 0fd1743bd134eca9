// xenbuild xsa import ADVISORY [--branch X.Y ...] [--dry-run]
// Record a signed Xen Security Advisory in recipes/xen/patches.json.

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "cli/signing.hpp"
#include "xenbuild/update/advisory.hpp"
#include "xenbuild/update/xsa_import.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace xenbuild::cli {

namespace {

struct XsaImportArgs {
    std::filesystem::path advisory;
    std::vector<std::string> branches;
    bool dryRun = false;
    SigningOptions signing;
};

void runImport(const XsaImportArgs& args, const GlobalOptions& global) {
    const auto recipes = recipeLayout(global).recipes;
    const auto verifier = makeVerifier(args.signing, global);
    const auto advisory = update::readAdvisoryFile(args.advisory, verifier);
    const auto result = update::planXsaImport(advisory, recipes, args.branches);
    update::UpdatePlan plan;
    plan.files = result.files;
    Output output(global, false);
    if (args.dryRun) {
        output.text(plan.diff(recipes.parent_path()));
        return;
    }
    update::writeFileChanges(result.files);
    const char* outcome = result.added ? "added" : result.files.empty() ? "unchanged" : "updated";
    output.line(advisory.id() + ": " + advisory.title + " (" + outcome + ")");
    for (const auto& branch : result.branches)
        output.line("applies to " + branch);
}

} // namespace

void registerXsa(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<XsaImportArgs>();
    auto* cmd = app.add_subcommand("xsa", "Xen Security Advisories (maintainers)");
    cmd->require_subcommand(1);
    auto* import = cmd->add_subcommand(
        "import", "Verify a signed advisory and record its patch in recipes/xen/patches.json");
    import
        ->add_option("advisory", args->advisory, "The clear-signed advisory text (advisory-N.txt)")
        ->required();
    import->add_option("--branch", args->branches, "Apply it to branch X.Y only (repeatable)")
        ->type_name("X.Y");
    import->add_flag("--dry-run", args->dryRun, "Print the diff of the recipes; write nothing");
    addSigningOptions(*import, args->signing);
    import->callback([args, &global] { runImport(*args, global);
});
} // namespace xenbuild::cli

} // namespace xenbuild::cli
