#include "xenbuild/update/xsa_import.hpp"

#include "xenbuild/recipe/branch_file.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace fs = std::filesystem;
using OrderedJson = nlohmann::ordered_json;

namespace xenbuild::update {

namespace {

struct PatchesText {
    std::string header; // everything before the first '{'
    OrderedJson body;
};

PatchesText parsePatches(const std::string& text, const std::string& path) {
    const auto brace = text.find('{');
    if (brace == std::string::npos) throw ParseError(path + ": no JSON object");
    PatchesText out{text.substr(0, brace), {}};
    try {
        out.body = OrderedJson::parse(text.substr(brace), nullptr, true, true);
    } catch (const nlohmann::json::exception& error) {
        throw ParseError(path + ": " + error.what());
    }
    if (!out.body.is_object() || !out.body.contains("patches") ||
        !out.body["patches"].is_object()) {
        throw ParseError(path + ": no \"patches\" object");
    }
    return out;
}

std::string readRecipeFile(const fs::path& path) {
    return util::readRegularFile(path, {"recipe file", recipe::kMaxRecipeBytes});
}

std::string render(const PatchesText& patches) {
    return patches.header + patches.body.dump(2) + "\n";
}

int xsaNumber(const std::string& id) {
    if (id.rfind("XSA-", 0) != 0) return -1;
    try {
        return std::stoi(id.substr(4));
    } catch (const std::exception&) {
        return -1;
    }
}

// The entry for `advisory`, keeping the keys of `old` that the advisory does not provide.
OrderedJson entryFor(const Advisory& advisory, const AdvisoryPatch& patch, const OrderedJson& old) {
    OrderedJson entry = {{"project", "xen"},
                         {"xsa", advisory.number},
                         {"url", xsaPatchUrl(advisory.number)},
                         {"sha256", patch.sha256.hex()},
                         {"title", advisory.title},
                         {"description", advisory.description},
                         {"cves", advisory.cves}};
    if (old.is_object()) {
        for (const auto& [key, value] : old.items()) {
            if (!entry.contains(key)) entry[key] = value;
        }
    }
    return entry;
}

// Inserts or replaces `id` keeping the file's order (see the header).
OrderedJson withEntry(const OrderedJson& patches, const std::string& id, const OrderedJson& entry) {
    OrderedJson out = OrderedJson::object();
    const int number = xsaNumber(id);
    bool placed = patches.contains(id);
    std::string lastXsa;
    for (const auto& [key, value] : patches.items()) {
        if (xsaNumber(key) >= 0) lastXsa = key;
    }
    for (const auto& [key, value] : patches.items()) {
        if (!placed && xsaNumber(key) > number) {
            out[id] = entry;
            placed = true;
        }
        out[key] = key == id ? entry : value;
        if (!placed && key == lastXsa) {
            out[id] = entry;
            placed = true;
        }
    }
    if (!placed) out[id] = entry;
    return out;
}

const AdvisoryPatch& publishedPatch(const Advisory& advisory) {
    const std::string name = "xsa" + std::to_string(advisory.number) + ".patch";
    for (const auto& patch : advisory.patches) {
        if (patch.file == name) return patch;
    }
    throw ParseError(advisory.id() + " does not publish " + quote(name) + " (it lists " +
                     std::to_string(advisory.patches.size()) +
                     " other patch file(s)); advisories with per-branch or multi-file patches "
                     "must be added to patches.json by hand");
}

} // namespace

std::string xsaPatchUrl(int number) {
    return "https://xenbits.xenproject.org/xsa/xsa" + std::to_string(number) + ".patch";
}

std::string canonicalPatchesJson(const std::string& text, const std::string& path) {
    return render(parsePatches(text, path));
}

XsaImportResult planXsaImport(const Advisory& advisory, const fs::path& recipesDir,
                              const std::vector<std::string>& branches) {
    const auto set = recipe::RecipeSet::load(recipesDir);
    const fs::path patchesPath = recipesDir / "xen" / "patches.json";
    const std::string oldText = readRecipeFile(patchesPath);
    auto patches = parsePatches(oldText, patchesPath.string());
    XsaImportResult result;
    result.id = advisory.id();
    const auto& published = publishedPatch(advisory);
    auto& list = patches.body["patches"];
    result.added = !list.contains(result.id);
    const OrderedJson old = result.added ? OrderedJson() : list[result.id];
    list = withEntry(list, result.id, entryFor(advisory, published, old));
    const std::string newText = render(patches);
    if (newText != oldText) result.files.push_back({patchesPath, oldText, newText});
    for (const auto& name : branches) {
        const auto found = set.branches().find(name);
        if (found == set.branches().end()) {
            throw UsageError(mention(Setting::ExtraBranch) + " " + quote(name) +
                             ": no such branch in " + quote(recipesDir.string()));
        }
        if (old.is_object() && old.contains("notApplicable") &&
            old["notApplicable"].contains(name)) {
            throw UsageError(result.id + " is marked not applicable to " + name + ": " +
                             old["notApplicable"][name].get<std::string>());
        }
        auto branch = found->second;
        if (std::find(branch.patches.begin(), branch.patches.end(), result.id) !=
            branch.patches.end()) {
            continue;
        }
        branch.patches.push_back(result.id);
        const fs::path path = recipesDir / "xen" / (name + ".json");
        result.files.push_back({path, readRecipeFile(path), recipe::renderBranchJson(branch)});
        result.branches.push_back(name);
    }
    return result;
}

} // namespace xenbuild::update
