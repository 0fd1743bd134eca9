#include "xenbuild/update/xsa_import.hpp"

#include "xenbuild/recipe/json.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

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
    if (!out.body.is_object() || !out.body.contains("patches") || !out.body["patches"].is_array()) {
        throw ParseError(path + ": no \"patches\" list");
    }
    return out;
}

// The entry of `id` in the list, or nullptr.
OrderedJson* findEntry(OrderedJson& list, const std::string& id) {
    for (auto& entry : list) {
        if (entry.is_object() && entry.value("id", std::string{}) == id) return &entry;
    }
    return nullptr;
}

std::string readRecipeFile(const fs::path& path) {
    return util::readRegularFile(path,
                                 {.what = "recipe file", .maxBytes = recipe::kMaxRecipeBytes});
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

// The entry for `advisory` (applying to `project`, the tree), keeping the keys of `old` that
// the advisory does not provide.
OrderedJson entryFor(const Advisory& advisory, const AdvisoryPatch& patch,
                     const std::string& project, const OrderedJson& old) {
    OrderedJson entry = {{"id", advisory.id()},
                         {"project", project},
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

// Replaces `id`'s entry in place, or inserts it before the first XSA with a higher number,
// else after the last XSA, else at the end (see the header): the list is the application order.
void putEntry(OrderedJson& patches, const std::string& id, const OrderedJson& entry) {
    if (OrderedJson* old = findEntry(patches, id)) {
        *old = entry;
        return;
    }
    const int number = xsaNumber(id);
    std::size_t at = patches.size();
    std::optional<std::size_t> afterLastXsa;
    for (std::size_t i = 0; i < patches.size(); ++i) {
        const int other = xsaNumber(patches[i].value("id", std::string{}));
        if (other > number) {
            at = i;
            afterLastXsa.reset();
            break;
        }
        if (other >= 0) afterLastXsa = i + 1;
    }
    if (afterLastXsa) at = *afterLastXsa;
    patches.insert(patches.begin() + static_cast<std::ptrdiff_t>(at), entry);
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
    const fs::path patchesPath = set.directory() / "patches.json";
    const std::string oldText = readRecipeFile(patchesPath);
    auto patches = parsePatches(oldText, patchesPath.string());
    XsaImportResult result;
    result.id = advisory.id();
    const auto& published = publishedPatch(advisory);
    auto& list = patches.body["patches"];
    const OrderedJson* found = findEntry(list, result.id);
    result.added = found == nullptr;
    const OrderedJson old = result.added ? OrderedJson() : *found;
    OrderedJson entry = entryFor(advisory, published, set.treeSource().name, old);
    for (const auto& name : branches) {
        if (set.branches().count(name) == 0) {
            throw UsageError(mention(Setting::AdvisoryBranch) + " " + quote(name) +
                             ": no such branch in " + quote(set.directory().string()));
        }
        if (old.is_object() && old.contains("notApplicable") &&
            old["notApplicable"].contains(name)) {
            throw UsageError(result.id + " is marked not applicable to " + name + ": " +
                             old["notApplicable"][name].get<std::string>());
        }
    }
    // Only for the branches asked: every other one is marked not applicable.
    std::string only;
    for (const auto& name : branches)
        only += (only.empty() ? "" : ", ") + name;
    for (const auto& [name, unused] : set.branches()) {
        if (branches.empty() ||
            std::find(branches.begin(), branches.end(), name) != branches.end()) {
            continue;
        }
        auto& marks = entry["notApplicable"];
        if (!marks.contains(name)) marks[name] = "imported for " + only + " only";
    }
    putEntry(list, result.id, entry);
    const std::string newText = render(patches);
    if (newText != oldText) {
        result.files.push_back({.path = patchesPath, .oldText = oldText, .newText = newText});
    }
    for (const auto& [name, unused] : set.branches()) {
        if (!entry.contains("notApplicable") || !entry["notApplicable"].contains(name)) {
            result.branches.push_back(name);
        }
    }
    return result;
}

std::string withNotApplicable(const std::string& text, const std::string& path,
                              const std::vector<NotApplicableMark>& marks) {
    auto patches = parsePatches(text, path);
    for (const auto& mark : marks) {
        OrderedJson* entry = findEntry(patches.body["patches"], mark.id);
        if (entry == nullptr) throw ParseError(path + ": no patch " + quote(mark.id));
        (*entry)["notApplicable"][mark.branch] = mark.reason;
    }
    return render(patches);
}

} // namespace xenbuild::update
