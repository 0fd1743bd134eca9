#pragma once
// Options shared by the commands that evaluate recipes (list, eval, show): --arg, --host-profile
// and the evaluation date ($XENBUILD_TODAY, for reproducible output in tests and reports).

#include "cli/context.hpp"
#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/recipe/recipe_set.hpp"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xenbuild::cli {

struct EvalArgs {
    std::vector<std::string> args; // K=V
    std::string hostProfile;       // path, empty: the recipe set's
};

// Adds --arg and --host-profile to a subcommand.
void addEvalOptions(CLI::App& command, EvalArgs& eval);

recipe::RecipeSet loadRecipes(const GlobalOptions& global);
// Parses --arg values (UsageError for bad syntax) and builds the evaluation options.
recipe::Overrides overridesFrom(const EvalArgs& eval);
// today from $XENBUILD_TODAY (YYYY-MM-DD) when set; the host profile from --host-profile.
recipe::EvalOptions evalOptionsFrom(const EvalArgs& eval);

} // namespace xenbuild::cli
