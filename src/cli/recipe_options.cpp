#include "cli/recipe_options.hpp"

#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>

namespace xenbuild::cli {

void addEvalOptions(CLI::App& command, EvalArgs& eval) {
    command
        .add_option("--arg", eval.args,
                    "Override a builder parameter, e.g. --arg withEFI=false (repeatable)")
        ->type_name("NAME=VALUE");
    command
        .add_option("--host-profile", eval.hostProfile,
                    "Host profile file giving the host's QEMU, SeaBIOS, OVMF and iPXE paths for "
                    "slim builds (default: recipes/xen/host-profile.json)")
        ->type_name("FILE");
}

recipe::RecipeSet loadRecipes(const GlobalOptions& global) {
    return recipe::RecipeSet::load(recipeLayout(global));
}

recipe::Overrides overridesFrom(const EvalArgs& eval) {
    recipe::Overrides overrides;
    for (const auto& text : eval.args) {
        auto [name, value] = recipe::parseOverride(text);
        overrides[name] = value;
    }
    return overrides;
}

recipe::EvalOptions evalOptionsFrom(const EvalArgs& eval) {
    recipe::EvalOptions options;
    if (const char* today = std::getenv("XENBUILD_TODAY"); today != nullptr && *today != '\0') {
        options.today = util::parseDate(today);
        if (!options.today) {
            throw UsageError("XENBUILD_TODAY=" + quote(today) +
                             ": expected a date YYYY-MM-DD, e.g. 2026-11-21");
        }
    }
    if (!eval.hostProfile.empty()) options.hostProfile = recipe::loadHostProfile(eval.hostProfile);
    return options;
}

} // namespace xenbuild::cli
