#pragma once
// Evaluation: package name + overrides -> BuildPlan. Pure: reads nothing but the already loaded
// RecipeSet, fetches nothing, touches no store.

#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/recipe/recipe_set.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::recipe {

// Parameter overrides as typed on the command line (`--arg withEFI=false`): the value text is
// converted according to the parameter's declared type.
using Overrides = std::map<std::string, std::string>;

struct EvalOptions {
    // "Today" for the security-support status; nullopt: the current UTC date.
    std::optional<std::chrono::year_month_day> today;
    // Replaces the recipe set's host profile (slim builds' host paths) when set.
    std::optional<HostProfile> hostProfile;
};

// Splits "K=V" into an override; throws UsageError when there is no '=' or no key.
std::pair<std::string, std::string> parseOverride(const std::string& text);

// Evaluates one package (or alias). Throws EvalError for unknown names, parameters and type
// errors (with file:line:column where the cause is in a recipe file).
BuildPlan evaluate(const RecipeSet& set, const std::string& name, const Overrides& overrides = {},
                   const EvalOptions& options = {});

// One row of `xenbuild list`.
struct PackageSummary {
    std::string name;
    std::string aliasOf; // empty unless `name` is an alias
    std::string version;
    std::string variant;
    std::string branch;
    bool latest = false;
    SecuritySupport securitySupport = SecuritySupport::Unsupported;
    std::chrono::year_month_day securitySupportUntil{};
    nlohmann::json toJson() const;
};

std::vector<PackageSummary> listPackages(const RecipeSet& set, const EvalOptions& options = {});

// `xenbuild eval`: "PKG.attr.path" -> the value in the plan's JSON (BuildPlan::toJson()).
// Array elements are selected by index or, for objects with an "id", by id
// ("xen.patches.XSA-460.url"). Throws EvalError naming the closest attributes.
nlohmann::json evalAttribute(const RecipeSet& set, const std::string& path,
                             const Overrides& overrides = {}, const EvalOptions& options = {});

} // namespace xenbuild::recipe
