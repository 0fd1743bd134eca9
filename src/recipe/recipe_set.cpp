#include "xenbuild/recipe/recipe_set.hpp"

#include "validate.hpp"
#include "xenbuild/recipe/branch_file.hpp"
#include "xenbuild/recipe/schema.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/hash.hpp"
#include "xenbuild/util/suggest.hpp"

#include <algorithm>
#include <regex>

namespace xenbuild::recipe {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> sortedEntries(const fs::path& dir) {
    std::vector<fs::path> entries;
    std::error_code error;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
        entries.push_back(it->path());
    }
    if (error) {
        throw SystemError("cannot list " + quote(dir.string()) + ": " +
                          util::describeFileError(dir, error));
    }
    std::sort(entries.begin(), entries.end());
    return entries;
}

// Whether `dir` is a directory; false when nothing is there. Throws SystemError when it cannot
// be told (a symbolic-link loop, no permission), naming the path that loops.
bool isDirectory(const fs::path& dir, const std::string& what) {
    std::error_code error;
    const auto status = fs::status(dir, error);
    if (error && error != std::errc::no_such_file_or_directory &&
        error != std::errc::not_a_directory) {
        throw SystemError("cannot use " + what + " " + quote(dir.string()) + ": " +
                          util::describeFileError(dir, error));
    }
    return fs::is_directory(status);
}

std::string stem(const fs::path& path) {
    return path.stem().string();
}

const char* const localPatchSpec =
    "expected NNNN-project-description-branch.patch, e.g. 0001-xen-fix-build-4.19.patch "
    "(NNNN: four digits giving the order; project: the tree it applies to; branch: the directory "
    "it is in)";

} // namespace

struct RecipeSetLoader {
    RecipeSet& set;
    Schema schema = loadRecipeSchema();
    bool haveBuilder = false, haveVariants = false, havePatches = false, haveHost = false;

    void loadFile(const fs::path& path) {
        JsonDocument doc = loadJsonFile(path);
        schema.validate(doc);
        const auto kind = doc.value.at("kind").get<std::string>();
        if (kind == "builder") {
            loadBuilder(std::move(doc));
        } else if (kind == "branch") {
            loadBranch(path, std::move(doc));
        } else if (kind == "patches") {
            loadPatches(std::move(doc));
        } else if (kind == "variants") {
            loadVariants(std::move(doc));
        } else {
            once(haveHost, doc, "host profile");
            set.hostProfile_.name = doc.value.at("name").get<std::string>();
            set.hostProfile_.paths =
                doc.value.at("paths").get<std::map<std::string, std::string>>();
        }
    }

    static void once(bool& seen, const JsonDocument& doc, const std::string& what) {
        if (seen) {
            throw ParseError(doc.describeAt("/kind", "a second " + what +
                                                         " file; the recipe "
                                                         "directory must hold exactly one"));
        }
        seen = true;
    }

    void loadBuilder(JsonDocument doc) {
        once(haveBuilder, doc, "builder");
        detail::checkBuilder(doc);
        set.pname_ = doc.value.at("pname").get<std::string>();
        for (const auto& [name, spec] : doc.value.at("parameters").items()) {
            set.parameters_.push_back(parseParameter(doc, name, spec));
        }
        set.builder_ = std::move(doc);
    }

    static Parameter parseParameter(const JsonDocument& doc, const std::string& name,
                                    const nlohmann::json& spec) {
        Parameter p{name, spec.at("type").get<std::string>(),
                    spec.contains("default") ? spec.at("default") : nlohmann::json(),
                    spec.value("hostProfile", std::string{}),
                    spec.at("description").get<std::string>()};
        const std::string pointer = appendPointer("/parameters", name);
        if (p.hostProfileKey.empty() == p.defaultValue.is_null()) {
            throw ParseError(doc.describeAt(pointer, "parameter " + quote(name) +
                                                         " needs exactly one of 'default' and "
                                                         "'hostProfile'"));
        }
        const bool wantBool = p.type == "bool";
        if (!p.defaultValue.is_null() && p.defaultValue.is_boolean() != wantBool) {
            throw ParseError(doc.describeAt(
                pointer + "/default", "default of " + p.type + " parameter " + quote(name) +
                                          " must be " + (wantBool ? "true or false" : "a string")));
        }
        return p;
    }

    void loadBranch(const fs::path& path, JsonDocument doc) {
        BranchFile branch = parseBranchFile(doc);
        if (stem(path) != branch.branch) {
            throw ParseError(doc.describeAt(
                "/branch", "branch " + quote(branch.branch) + " must live in " + branch.branch +
                               ".json, not " + path.filename().string()));
        }
        set.branchDocs_.emplace(branch.branch, std::move(doc));
        set.branches_.emplace(branch.branch, std::move(branch));
    }

    void loadPatches(JsonDocument doc) {
        once(havePatches, doc, "patches");
        for (const auto& [id, spec] : doc.value.at("patches").items()) {
            PatchInfo p;
            p.id = id;
            p.project = spec.at("project").get<std::string>();
            p.url = spec.at("url").get<std::string>();
            p.sha256 = spec.at("sha256").get<std::string>();
            p.title = spec.at("title").get<std::string>();
            p.description = spec.value("description", std::string{});
            p.cves = spec.value("cves", std::vector<std::string>{});
            const std::string pointer = appendPointer("/patches", id);
            if (spec.contains("xsa")) {
                p.xsa = static_cast<int>(
                    detail::boundedInteger(doc, pointer + "/xsa", 1, detail::kMaxXsa));
            }
            const auto fuzz = spec.value("fuzz", nlohmann::json::object());
            for (const auto& [branch, unused] : fuzz.items()) {
                p.fuzz[branch] = static_cast<unsigned>(detail::boundedInteger(
                    doc, appendPointer(pointer + "/fuzz", branch), 0, detail::kMaxFuzz));
            }
            p.notApplicable = spec.value("notApplicable", std::map<std::string, std::string>{});
            set.patches_.emplace(id, std::move(p));
        }
        set.patchesDoc_ = std::move(doc);
    }

    void loadVariants(JsonDocument doc) {
        once(haveVariants, doc, "variants");
        for (const auto& [name, spec] : doc.value.at("variants").items()) {
            set.variants_.emplace(name, Variant{name, spec.at("suffix").get<std::string>(),
                                                spec.at("description").get<std::string>(),
                                                spec.at("longDescription").get<std::string>(),
                                                spec.at("args")});
        }
        set.aliases_ = doc.value.at("aliases").get<std::map<std::string, std::string>>();
        set.variantsDoc_ = std::move(doc);
    }

    void requireAll(const fs::path& dir) const {
        const std::pair<bool, const char*> required[] = {{haveBuilder, "builder"},
                                                         {haveVariants, "variants"},
                                                         {havePatches, "patches"},
                                                         {haveHost, "host-profile"}};
        for (const auto& [have, kind] : required) {
            if (!have) {
                throw EvalError("recipe directory " + quote(dir.string()) +
                                " has no file of kind " + quote(kind));
            }
        }
        if (set.branches_.empty()) {
            throw EvalError("recipe directory " + quote(dir.string()) + " has no branch file");
        }
    }

    void checkVariants() const {
        const auto& doc = set.variantsDoc_;
        for (const auto& [name, variant] : set.variants_) {
            for (const auto& [param, value] : variant.args.items()) {
                const std::string pointer = "/variants/" + name + "/args/" + param;
                const Parameter* p = set.parameter(param);
                if (p == nullptr) {
                    throw ParseError(
                        doc.describeAt(pointer, "unknown parameter " + quote(param) +
                                                    util::didYouMean(param, parameterNames())));
                }
                if (value.is_boolean() != (p->type == "bool")) {
                    throw ParseError(doc.describeAt(pointer, "parameter " + quote(param) +
                                                                 " is of type " + p->type));
                }
            }
        }
        for (const auto& [alias, variant] : set.aliases_) {
            if (set.variants_.count(variant) == 0) {
                throw ParseError(doc.describeAt(appendPointer("/aliases", alias),
                                                "alias " + quote(alias) +
                                                    " names unknown variant " + quote(variant)));
            }
        }
    }

    std::vector<std::string> parameterNames() const {
        std::vector<std::string> names;
        for (const auto& p : set.parameters_)
            names.push_back(p.name);
        return names;
    }

    void checkBranches() {
        std::vector<std::string> ids;
        for (const auto& [id, unused] : set.patches_)
            ids.push_back(id);
        for (const auto& [name, branch] : set.branches_) {
            const auto& doc = set.branchDocs_.at(name);
            if (branch.latest) {
                if (!set.latest_.empty()) {
                    throw ParseError(doc.describeAt("/latest", "branches " + set.latest_ + " and " +
                                                                   name +
                                                                   " are both marked latest"));
                }
                set.latest_ = name;
            }
            for (std::size_t i = 0; i < branch.patches.size(); ++i) {
                checkPatchUse(doc, "/patches/" + std::to_string(i), branch.patches[i], name, ids);
            }
        }
        if (set.latest_.empty()) throw EvalError("no branch file is marked \"latest\": true");
    }

    void checkPatchUse(const JsonDocument& doc, const std::string& pointer, const std::string& id,
                       const std::string& branch, const std::vector<std::string>& ids) const {
        const auto it = set.patches_.find(id);
        if (it == set.patches_.end()) {
            throw ParseError(doc.describeAt(pointer, "unknown patch " + quote(id) +
                                                         util::didYouMean(id, ids) +
                                                         " (patches are declared in "
                                                         "patches.json)"));
        }
        if (const auto na = it->second.notApplicable.find(branch);
            na != it->second.notApplicable.end()) {
            throw ParseError(doc.describeAt(pointer, "patch " + quote(id) +
                                                         " is marked not applicable to " + branch +
                                                         ": " + na->second));
        }
    }

    void loadLocalPatches(const fs::path& patchesDir) {
        for (const auto& [branch, unused] : set.branches_) {
            const fs::path dir = patchesDir / branch;
            if (!isDirectory(dir, "local patch directory")) continue;
            for (const auto& path : sortedEntries(dir)) {
                const auto file = path.filename().string();
                if (file.empty() || file[0] == '.' || file.rfind("README", 0) == 0) continue;
                set.localPatches_[branch].push_back(localPatch(path, branch));
            }
        }
    }

    std::vector<std::string> sourceNames() const {
        std::vector<std::string> names;
        for (const auto& use : set.builder_.value.at("sources")) {
            names.push_back(use.at("name").get<std::string>());
        }
        return names;
    }

    void checkPatchProjects() const {
        const auto names = sourceNames();
        for (const auto& [id, patch] : set.patches_) {
            if (std::find(names.begin(), names.end(), patch.project) == names.end()) {
                throw ParseError(set.patchesDoc_.describeAt(
                    "/patches/" + id + "/project",
                    "patch " + quote(id) + " applies to unknown project " + quote(patch.project) +
                        util::didYouMean(patch.project, names)));
            }
        }
    }

    PatchInfo localPatch(const fs::path& path, const std::string& branch) const {
        const std::regex pattern(
            "^[0-9]{4}-([a-z0-9]+)-[A-Za-z0-9._-]+-([0-9]+\\.[0-9]+)\\.patch$");
        const auto file = path.filename().string();
        std::smatch match;
        if (!std::regex_match(file, match, pattern) || match[2] != branch) {
            throw ParseError("local patch " + quote(path.string()) +
                             " is misnamed: " + localPatchSpec);
        }
        const auto names = sourceNames();
        if (std::find(names.begin(), names.end(), match[1].str()) == names.end()) {
            std::string known;
            for (const auto& name : names)
                known += (known.empty() ? "" : ", ") + name;
            throw ParseError("local patch " + quote(path.string()) + " is misnamed: project " +
                             quote(match[1].str()) + " is not one of " + known + "; " +
                             localPatchSpec);
        }
        PatchInfo p;
        p.id = file;
        p.project = match[1];
        p.url = "file://" + fs::absolute(path).lexically_normal().string();
        p.sha256 =
            util::sha256(util::readRegularFile(path, {"local patch", util::kMaxPatchBytes, false}))
                .hex();
        p.title = file;
        p.local = true;
        return p;
    }
};

const Parameter* RecipeSet::parameter(const std::string& name) const {
    for (const auto& p : parameters_) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

const JsonDocument& RecipeSet::branchDocument(const std::string& branch) const {
    return branchDocs_.at(branch);
}

const std::vector<PatchInfo>& RecipeSet::localPatches(const std::string& branch) const {
    const auto it = localPatches_.find(branch);
    return it == localPatches_.end() ? noLocalPatches_ : it->second;
}

RecipeSet RecipeSet::load(const fs::path& recipesDir, fs::path patchesDir) {
    auto layout = RecipeLayout::beside(recipesDir);
    if (!patchesDir.empty()) layout.patches = std::move(patchesDir);
    return load(layout);
}

RecipeSet RecipeSet::load(const RecipeLayout& layout) {
    const fs::path& recipesDir = layout.recipes;
    const fs::path dir = recipesDir / "xen";
    if (!isDirectory(dir, "recipe directory")) {
        throw EvalError("no recipes in " + quote(recipesDir.string()) + ": " + quote(dir.string()) +
                        " is not a directory (point " + mention(Setting::RecipeDirectory) +
                        " at the recipes/ directory)");
    }
    RecipeSet set;
    RecipeSetLoader loader{set};
    for (const auto& path : sortedEntries(dir)) {
        if (path.extension() == ".json") loader.loadFile(path);
    }
    loader.requireAll(dir);
    loader.checkVariants();
    loader.checkBranches();
    loader.checkPatchProjects();
    loader.loadLocalPatches(layout.patches);
    return set;
}

HostProfile loadHostProfile(const fs::path& path) {
    const JsonDocument doc = loadJsonFile(path);
    loadRecipeSchema().validate(doc);
    if (doc.value.at("kind") != "host-profile") {
        throw ParseError(doc.describeAt("/kind", "expected a file of kind \"host-profile\""));
    }
    return HostProfile{doc.value.at("name").get<std::string>(),
                       doc.value.at("paths").get<std::map<std::string, std::string>>()};
}

} // namespace xenbuild::recipe
