// `xenbuild log PKG`: print the full log of the package's newest build.

#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "xenbuild/builder/builder.hpp"
#include "xenbuild/util/error.hpp"

#include <CLI/CLI.hpp>

#include <fstream>

namespace xenbuild::cli {

namespace {

struct LogArgs {
    std::string package;
    EvalArgs eval;
    bool path = false;
};

void runLog(const LogArgs& args, const GlobalOptions& global) {
    const auto set = loadRecipes(global);
    const auto plan =
        recipe::evaluate(set, args.package, overridesFrom(args.eval), evalOptionsFrom(args.eval));
    const auto store = openStore(global);
    const auto log = builder::latestLogPath(store, plan.name);
    std::ifstream in(log);
    if (!in) {
        throw BuildError("no build log for " + quote(plan.name) + " in the store " +
                         quote(store.dir().string()) + "; build it with `xenbuild build " +
                         args.package + "`");
    }
    Output output(global, false);
    if (args.path) {
        output.line(std::filesystem::canonical(log).string());
        return;
    }
    output.copy(in);
}

} // namespace

void registerLog(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<LogArgs>();
    auto* command = app.add_subcommand("log", "Print the log of a package's newest build");
    command->add_option("package", args->package, "Package, e.g. xen_4_19-slim")->required();
    addEvalOptions(*command, args->eval);
    command->add_flag("--path", args->path, "Print the log file's path instead of its content");
    command->callback([args, &global] { runLog(*args, global); });
}

} // namespace xenbuild::cli
