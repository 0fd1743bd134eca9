// xenbuild eval PKG.ATTR.PATH [--json]: one value of a package's build plan.

#include "cli/commands.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

namespace xenbuild::cli {

void registerEval(CLI::App& app, GlobalOptions& global) {
    struct Options {
        std::string path;
        bool json = false;
        EvalArgs eval;
    };
    auto options = std::make_shared<Options>();
    auto* command = app.add_subcommand(
        "eval", "Print one attribute of a package's plan, e.g. xen_4_19-slim.meta.description");
    command
        ->add_option("ATTR.PATH", options->path,
                     "Package name followed by a dotted path into its plan "
                     "(see 'xenbuild show PKG --json' for the shape)")
        ->required();
    command->add_flag("--json", options->json, "Print JSON (strings are printed raw otherwise)");
    addEvalOptions(*command, options->eval);
    command->callback([&global, options] {
        const auto overrides = overridesFrom(options->eval);
        const auto set = loadRecipes(global);
        const auto value =
            recipe::evalAttribute(set, options->path, overrides, evalOptionsFrom(options->eval));
        Output output(global, options->json);
        if (value.is_string() && !options->json) {
            output.line(value.get<std::string>());
        } else {
            output.line(value.is_structured() ? value.dump(2) : value.dump());
        }
    });
}

} // namespace xenbuild::cli
