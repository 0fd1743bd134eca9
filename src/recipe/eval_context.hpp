#pragma once
// Internal to evaluation: conditions, `${...}` interpolation and the release-date variables.

#include "xenbuild/recipe/json.hpp"
#include "xenbuild/recipe/plan.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace xenbuild::recipe::detail {

// What conditions and interpolations of one evaluation see. Errors point into `doc`.
struct EvalContext {
    const JsonDocument& doc;
    std::map<std::string, ParamValue> args;  // parameter -> typed value
    std::map<std::string, std::string> vars; // interpolation variables other than outputs
    std::vector<std::string> outputs;

    // "withEFI", "!withInternalQEMU", "a && !b", "a || b && !c" ('&&' binds tighter): every
    // term names a bool parameter.
    bool condition(const std::string& text, const std::string& pointer) const;
    // One term of a condition, "name" or "!name".
    bool term(std::string name, const std::string& pointer) const;
    std::string interpolate(const std::string& text, const std::string& pointer) const;
    // What one string or {"if", "value", "else"} item at `at` contributes, interpolated.
    std::vector<std::string> itemStrings(const nlohmann::json& item, const std::string& at) const;
    // A list of strings and {"if", "value", "else"} items, flattened and interpolated.
    std::vector<std::string> stringItems(const nlohmann::json& items,
                                         const std::string& pointer) const;
    // The string at `pointer` of `doc`, interpolated; ParseError there (or at the closest
    // value) when there is no string.
    std::string stringAt(const std::string& pointer) const;
    // The list of strings at `pointer` of `doc`, each interpolated; ParseError likewise.
    std::vector<std::string> stringsAt(const std::string& pointer) const;
};

// release.date, release.epoch, release.time, release.buildDate, release.smbiosDate,
// release.vgabiosDate for a day (midnight UTC).
std::map<std::string, std::string> releaseVariables(const std::chrono::year_month_day& date);

} // namespace xenbuild::recipe::detail
