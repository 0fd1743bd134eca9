// Package names: <pname>_<branch with '_' for '.'><variant suffix>, plus the aliases.

#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/suggest.hpp"

#include <algorithm>

namespace xenbuild::recipe {

namespace {

std::string composeName(const std::string& pname, const std::string& branch,
                        const std::string& suffix) {
    std::string underscored = branch;
    std::replace(underscored.begin(), underscored.end(), '.', '_');
    return pname + "_" + underscored + suffix;
}

// Variants in a fixed order: the one without suffix first, then by name.
std::vector<const Variant*> orderedVariants(const std::map<std::string, Variant>& variants) {
    std::vector<const Variant*> out;
    out.reserve(variants.size());
    for (const auto& [name, variant] : variants)
        out.push_back(&variant);
    std::stable_sort(out.begin(), out.end(), [](const Variant* a, const Variant* b) {
        return std::pair(!a->suffix.empty(), a->suffix) < std::pair(!b->suffix.empty(), b->suffix);
    });
    return out;
}

} // namespace

std::vector<std::string> RecipeSet::packageNames() const {
    std::vector<std::string> names;
    for (const Variant* variant : orderedVariants(variants_)) {
        for (const auto& [branch, unused] : branches_) {
            names.push_back(composeName(pname_, branch, variant->suffix));
        }
    }
    for (const auto& [alias, unused] : aliases_)
        names.push_back(alias);
    return names;
}

std::string RecipeSet::packageName(const std::string& branch, const std::string& variant) const {
    return composeName(pname_, branch, variants_.at(variant).suffix);
}

const Variant& RecipeSet::primaryVariant() const {
    return *orderedVariants(variants_).at(0);
}

PackageRef RecipeSet::resolve(const std::string& name) const {
    if (const auto alias = aliases_.find(name); alias != aliases_.end()) {
        const Variant& variant = variants_.at(alias->second);
        return PackageRef{.name = name,
                          .target = composeName(pname_, latest_, variant.suffix),
                          .branch = latest_,
                          .variant = variant.name};
    }
    for (const auto& [variantName, variant] : variants_) {
        for (const auto& [branch, unused] : branches_) {
            if (composeName(pname_, branch, variant.suffix) == name) {
                return PackageRef{
                    .name = name, .target = name, .branch = branch, .variant = variantName};
            }
        }
    }
    throw EvalError("unknown package " + quote(name) + util::didYouMean(name, packageNames()) +
                    " ('xenbuild list' shows every package)");
}

} // namespace xenbuild::recipe
