// Queries over plans: `xenbuild eval PKG.attr.path` and the rows of `xenbuild list`.

#include "meta.hpp"
#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/suggest.hpp"

namespace xenbuild::recipe {

namespace {

std::vector<std::string> splitPath(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = path.find('.', begin);
        parts.push_back(path.substr(begin, end - begin));
        if (end == std::string::npos) return parts;
        begin = end + 1;
    }
}

std::optional<std::size_t> parseIndex(const std::string& text) {
    if (text.empty() || text.size() > 9) return std::nullopt;
    std::size_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    return value;
}

// Selects one member of an array by index or by its "id".
const nlohmann::json* selectElement(const nlohmann::json& array, const std::string& key,
                                    std::vector<std::string>& candidates) {
    if (const auto index = parseIndex(key)) return *index < array.size() ? &array[*index] : nullptr;
    for (const auto& element : array) {
        if (!element.is_object() || !element.contains("id")) continue;
        if (element["id"] == key) return &element;
        candidates.push_back(element["id"].get<std::string>());
    }
    return nullptr;
}

const nlohmann::json* selectMember(const nlohmann::json& value, const std::string& key,
                                   std::vector<std::string>& candidates) {
    if (value.is_array()) return selectElement(value, key, candidates);
    if (!value.is_object()) return nullptr;
    if (const auto it = value.find(key); it != value.end()) return &*it;
    for (const auto& [name, unused] : value.items())
        candidates.push_back(name);
    return nullptr;
}

} // namespace

nlohmann::json evalAttribute(const RecipeSet& set, const std::string& path,
                             const Overrides& overrides, const EvalOptions& options) {
    const auto parts = splitPath(path);
    const nlohmann::json root = evaluate(set, parts[0], overrides, options).toJson();
    const nlohmann::json* current = &root;
    std::string walked = parts[0];
    for (std::size_t i = 1; i < parts.size(); ++i) {
        std::vector<std::string> candidates;
        const nlohmann::json* next = selectMember(*current, parts[i], candidates);
        if (next == nullptr) {
            std::string message = "attribute " + quote(parts[i]) + " not found in " + quote(walked);
            if (!current->is_structured()) {
                message += ", which is a " + std::string(current->type_name()) + ", not an object";
            } else if (current->is_array() && candidates.empty()) {
                message += ", a list of " + std::to_string(current->size()) + " elements";
            } else {
                message += util::didYouMean(parts[i], candidates);
            }
            throw EvalError(message);
        }
        current = next;
        walked += "." + parts[i];
    }
    return *current;
}

nlohmann::json PackageSummary::toJson() const {
    nlohmann::json out = {{"name", name},
                          {"version", version},
                          {"variant", variant},
                          {"branch", branch},
                          {"latest", latest},
                          {"securitySupport", toString(securitySupport)},
                          {"securitySupportUntil", util::formatDate(securitySupportUntil)}};
    if (!aliasOf.empty()) out["aliasOf"] = aliasOf;
    return out;
}

std::vector<PackageSummary> listPackages(const RecipeSet& set, const EvalOptions& options) {
    const auto today = options.today.value_or(util::currentDate());
    std::vector<PackageSummary> rows;
    for (const auto& name : set.packageNames()) {
        const PackageRef ref = set.resolve(name);
        const BranchFile& branch = set.branches().at(ref.branch);
        rows.push_back(
            PackageSummary{.name = name,
                           .aliasOf = ref.target == name ? std::string{} : ref.target,
                           .version = branch.version,
                           .variant = ref.variant,
                           .branch = branch.branch,
                           .latest = branch.branch == set.latestBranch(),
                           .securitySupport = detail::securitySupportStatus(branch.support, today),
                           .securitySupportUntil = branch.support.securitySupportUntil});
    }
    return rows;
}

} // namespace xenbuild::recipe
