#include "cli/context.hpp"

namespace xenbuild::cli {

std::string_view optionName(Setting setting) {
    switch (setting) {
    case Setting::RecipeDirectory:
        return "--recipes or $XENBUILD_RECIPES";
    case Setting::StoreDirectory:
        return "--store";
    case Setting::Offline:
        return "--offline";
    case Setting::Mirror:
        return "--mirror";
    case Setting::FetchLimit:
        return "--fetch-limit";
    case Setting::NoSandbox:
        return "--sandbox=off";
    case Setting::BuildArgument:
        return "--arg";
    case Setting::SourceOverride:
        return "--override-source";
    case Setting::ExcludedPatch:
        return "--exclude-patch";
    case Setting::NewBranch:
        return "--add-branch";
    case Setting::AdvisoryBranch:
        return "--branch";
    case Setting::Dom0Kernel:
        return "--dom0-kernel";
    case Setting::Dom0Modules:
        return "--dom0-modules";
    case Setting::Prune:
        return "--prune";
    case Setting::DropApplied:
        return "--drop-applied";
    case Setting::BaseRevision:
        return "--changed-since";
    }
    return conceptName(setting);
}

recipe::RecipeLayout recipeLayout(const GlobalOptions& options) {
    return recipe::RecipeLayout::locate(options.recipesDir);
}

} // namespace xenbuild::cli
