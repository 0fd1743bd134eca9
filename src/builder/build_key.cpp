#include "xenbuild/builder/build_key.hpp"

#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"

#include <charconv>

namespace fs = std::filesystem;

namespace xenbuild::builder {

namespace {

// The inputs after the toolchain, in the text both keys hash.
std::string inputsText(const KeyInputs& inputs) {
    std::string text;
    for (const auto& [name, hash] : inputs.sourceOverrides)
        text += "override " + name + "=" + hash.sri() + "\n";
    if (inputs.skipInapplicablePatches) text += "skip-inapplicable-patches\n";
    for (const auto& id : inputs.excludedPatches)
        text += "exclude-patch " + id + "\n";
    return text;
}

} // namespace

KeyInputs keyInputs(const BuildOptions& options) {
    KeyInputs inputs;
    for (const auto& [name, dir] : options.sourceOverrides) {
        if (!fs::is_directory(dir)) {
            throw UsageError(mention(Setting::SourceOverride) + " " + name + "=" +
                             quote(dir.string()) + ": not a directory");
        }
        inputs.sourceOverrides[name] = store::narHash(dir);
    }
    inputs.skipInapplicablePatches = options.skipInapplicablePatches;
    inputs.excludedPatches = options.excludedPatches;
    return inputs;
}

std::string buildKey(const recipe::BuildPlan& plan, const util::Hash& toolchain,
                     const KeyInputs& inputs) {
    util::Sha256 hasher;
    // v3: staged files all get one time (stage.cpp), so what make regenerates no longer
    // depends on the clock; outputs of v2 builds may differ from a v3 build of the same plan.
    hasher.update("xenbuild-build-v3\nplan=" + plan.hash.sri() + "\ntoolchain=" + toolchain.sri() +
                  "\n");
    hasher.update(inputsText(inputs));
    return hasher.finish().nix32();
}

std::string planKey(const recipe::BuildPlan& plan, const KeyInputs& inputs) {
    util::Sha256 hasher;
    hasher.update("xenbuild-plan-v2\nplan=" + plan.hash.sri() + "\n");
    hasher.update(inputsText(inputs));
    return hasher.finish().nix32();
}

recipe::BuildPlan effectivePlan(const recipe::BuildPlan& plan,
                                const std::vector<std::string>& excludedPatches) {
    recipe::BuildPlan effective = plan;
    for (const auto& id : excludedPatches) {
        if (id == "all") {
            std::erase_if(effective.patches, [](const recipe::PatchRef& p) { return !p.local; });
            continue;
        }
        const auto before = effective.patches.size();
        std::erase_if(effective.patches, [&](const recipe::PatchRef& p) { return p.id == id; });
        if (effective.patches.size() == before) {
            std::string known;
            for (const auto& p : plan.patches)
                known += (known.empty() ? "" : ", ") + p.id;
            throw UsageError(
                mention(Setting::ExcludedPatch) + " " + quote(id) + ": " + quote(plan.name) +
                " has no such patch (its patches: " + (known.empty() ? "none" : known) + ")");
        }
    }
    return effective;
}

std::int64_t sourceDateEpoch(const recipe::BuildPlan& plan) {
    const auto found = plan.env.find("SOURCE_DATE_EPOCH");
    if (found == plan.env.end()) return 0;
    const std::string& text = found->second;
    std::int64_t seconds = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc{} || end != text.data() + text.size()) {
        throw BuildError("the plan's SOURCE_DATE_EPOCH " + quote(text) +
                         " is not a number of seconds");
    }
    return seconds;
}

std::string outputName(const recipe::BuildPlan& plan, const std::string& output) {
    const std::string base = plan.pname + "-" + plan.version;
    return output == "out" ? base : base + "-" + output;
}

} // namespace xenbuild::builder
