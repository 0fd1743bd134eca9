// Fuzz target: the recipe set loader (RecipeSet::load) and the evaluation of every package it
// declares, from one file set.
//
// The input is a file set (fuzz_support.hpp): "==> recipes/xen/4.19.json <==" and the like,
// "patches/<branch>/<file>" for local patches, and "args" holding `--arg` overrides (K=V, one
// a line). RecipeSet only loads from a directory, so the files are written into this process's
// scratch directory first.
//
// Checked: bad recipes are an xenbuild::Error (never nlohmann's or the standard library's
// exceptions, which the CLI shows as "internal:"); a plan's canonical JSON is stable.

#include "fuzz/fuzz_support.hpp"
#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/util/date.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace xenbuild;

recipe::Overrides parseArgs(const std::string& text) {
    recipe::Overrides overrides;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        if (end > pos) overrides.insert(recipe::parseOverride(text.substr(pos, end - pos)));
        pos = end + 1;
    }
    return overrides;
}

void evaluateAll(const recipe::RecipeSet& set, const recipe::Overrides& overrides) {
    recipe::EvalOptions options;
    options.today = xenbuild::util::parseDate("2024-06-01");
    fuzz::expectOnlyErrors([&] { recipe::listPackages(set, options); });
    bool first = true;
    for (const auto& name : set.packageNames()) {
        fuzz::expectOnlyErrors([&] {
            const std::string json =
                recipe::evaluate(set, name, overrides, options).toJson().dump();
            if (std::exchange(first, false)) { // evaluation is pure: once is enough to check
                fuzz::check(recipe::evaluate(set, name, overrides, options).toJson().dump() == json,
                            "evaluating " + name + " twice gives two plans");
            }
        });
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto files = fuzz::splitFiles(fuzz::asText(data, size));
    if (files.empty() || files.size() > 24) return 0;
    const auto root = fuzz::scratch() / "recipe-set";
    fuzz::resetDir(root);
    std::string args;
    for (const auto& file : files) {
        if (file.name == "args") {
            args = file.content;
        } else if (fuzz::isPlainRelativePath(file.name, 4) &&
                   !std::filesystem::exists(root / file.name)) {
            std::error_code error; // a file where a directory is wanted, and the like
            std::filesystem::create_directories((root / file.name).parent_path(), error);
            if (!error) fuzz::writeFile(root / file.name, file.content);
        }
    }
    recipe::Overrides overrides;
    if (!fuzz::expectOnlyErrors([&] { overrides = parseArgs(args); })) return 0;
    recipe::RecipeSet set;
    if (!fuzz::expectOnlyErrors([&] { set = recipe::RecipeSet::load(root / "recipes"); })) return 0;
    evaluateAll(set, overrides);
    return 0;
}
