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

struct RecipeDocuments {
    JsonDocument builder;
    std::map<std::string, JsonDocument> branches;
    JsonDocument patches;
    JsonDocument variants;
};

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

// Where the loader reads from: the disk, or files held in memory (RecipeFiles). Both list
// directories in sorted order and refuse the same things with the same messages.
class FileSource {
  public:
    virtual ~FileSource() = default;
    // Whether `dir` is a directory; false when nothing is there.
    virtual bool isDirectory(const fs::path& dir, const std::string& what) const = 0;
    // The entries of a directory (as dir / name), sorted.
    virtual std::vector<fs::path> entries(const fs::path& dir) const = 0;
    // A file's text; `limits` as util::readRegularFile takes them.
    virtual std::string read(const fs::path& path, const util::ReadLimits& limits) const = 0;

  protected:
    FileSource() = default;
    FileSource(const FileSource&) = default;
    FileSource& operator=(const FileSource&) = default;
};

class DiskFiles final : public FileSource {
  public:
    bool isDirectory(const fs::path& dir, const std::string& what) const override {
        return recipe::isDirectory(dir, what);
    }
    std::vector<fs::path> entries(const fs::path& dir) const override { return sortedEntries(dir); }
    std::string read(const fs::path& path, const util::ReadLimits& limits) const override {
        return util::readRegularFile(path, limits);
    }
};

// Files by their lexically normal paths; directories are the paths' prefixes.
class MemoryFiles final : public FileSource {
  public:
    explicit MemoryFiles(const RecipeFiles& files) {
        for (const auto& [path, text] : files)
            files_.emplace(path.lexically_normal(), &text);
    }
    bool isDirectory(const fs::path& dir, const std::string&) const override {
        return !entries(dir).empty();
    }
    std::vector<fs::path> entries(const fs::path& dir) const override {
        const fs::path base = dir.lexically_normal();
        std::vector<fs::path> out;
        for (const auto& [path, text] : files_) {
            const fs::path rest = path.lexically_relative(base);
            if (rest.empty() || *rest.begin() == ".." || *rest.begin() == ".") continue;
            const fs::path entry = dir / *rest.begin();
            if (out.empty() || out.back() != entry) out.push_back(entry);
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }
    std::string read(const fs::path& path, const util::ReadLimits& limits) const override {
        const auto it = files_.find(path.lexically_normal());
        if (it == files_.end()) {
            const bool dir = isDirectory(path, limits.what);
            throw SystemError(
                (dir ? "" : "cannot read ") + limits.what + " " + quote(path.string()) +
                (dir ? " is a directory, not a file" : ": No such file or directory"));
        }
        if (it->second->size() > limits.maxBytes) {
            throw SystemError(limits.what + " " + quote(path.string()) +
                              " is larger than the limit of " + util::formatSize(limits.maxBytes));
        }
        return *it->second;
    }

  private:
    std::map<fs::path, const std::string*> files_;
};

// The package directory: the only subdirectory of `recipesDir` (hidden ones aside).
fs::path packageDirectory(const FileSource& files, const fs::path& recipesDir) {
    if (!files.isDirectory(recipesDir, "recipe directory")) {
        throw EvalError("no recipes in " + quote(recipesDir.string()) +
                        ": not a directory (point " + mention(Setting::RecipeDirectory) +
                        " at the recipes/ directory)");
    }
    std::vector<fs::path> packages;
    for (const auto& path : files.entries(recipesDir)) {
        const auto name = path.filename().string();
        if (!name.empty() && name[0] != '.' && files.isDirectory(path, "recipe directory")) {
            packages.push_back(path);
        }
    }
    if (packages.empty()) {
        throw EvalError("no recipes in " + quote(recipesDir.string()) +
                        ": it has no package directory (recipes/<pname>/ holding builder.json "
                        "and the other recipe files; point " +
                        mention(Setting::RecipeDirectory) + " at the recipes/ directory)");
    }
    if (packages.size() > 1) {
        std::string names;
        for (const auto& path : packages)
            names += (names.empty() ? "" : ", ") + quote(path.filename().string());
        throw EvalError("recipe directory " + quote(recipesDir.string()) +
                        " holds several package directories (" + names +
                        "); it must hold exactly one");
    }
    return packages.front();
}

// "4.19" -> {"4", "19"} with leading zeros dropped, for comparing by length, then text.
std::vector<std::string> numericParts(const std::string& name) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = name.find('.', begin);
        std::string part = name.substr(begin, end - begin);
        part.erase(0, std::min(part.find_first_not_of('0'), part.size()));
        parts.push_back(part);
        if (end == std::string::npos) return parts;
        begin = end + 1;
    }
}

const char* const localPatchSpec =
    "expected NNNN-project-description-branch.patch, e.g. 0001-xen-fix-build-4.19.patch "
    "(NNNN: four digits giving the order; project: the tree it applies to; branch: the directory "
    "it is in)";

// The enum value the string at `pointer` spells; ParseError there for any other value.
template <typename Parse>
auto spelled(const JsonDocument& doc, const std::string& pointer, Parse parse,
             const char* expected) {
    const auto& value = doc.value.at(nlohmann::json::json_pointer(pointer));
    const auto parsed = value.is_string() ? parse(value.get<std::string>()) : std::nullopt;
    if (!parsed) {
        throw ParseError(doc.describeAt(
            pointer, "expected " + std::string(expected) + ", got " +
                         quoteShort(value.is_string() ? value.get<std::string>() : value.dump())));
    }
    return *parsed;
}

// A bool or a string; nullopt for any other JSON value.
std::optional<ParamValue> paramValue(const nlohmann::json& value) {
    if (value.is_boolean()) return value.get<bool>();
    if (value.is_string()) return value.get<std::string>();
    return std::nullopt;
}

} // namespace

struct RecipeSetLoader {
    RecipeSet& set;
    const FileSource& files;
    Schema schema = loadRecipeSchema();
    bool haveBuilder = false, haveVariants = false, havePatches = false, haveHost = false;

    static RecipeSet load(const RecipeLayout& layout, const FileSource& files);

    void loadFile(const fs::path& path) {
        JsonDocument doc = parseJson(
            files.read(path, {.what = "recipe file", .maxBytes = kMaxRecipeBytes}), path.string());
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
        const auto directory = set.directory_.filename().string();
        if (set.pname_ != directory) {
            throw ParseError(doc.describeAt(
                "/pname", "the builder of package " + quote(set.pname_) + " must live in " +
                              quote(set.pname_) + "/, not in " + quote(directory) + "/"));
        }
        for (const auto& [name, spec] : doc.value.at("parameters").items()) {
            set.parameters_.push_back(parseParameter(doc, name, spec));
        }
        const auto& sources = doc.value.at("sources");
        for (std::size_t i = 0; i < sources.size(); ++i) {
            const auto& use = sources[i];
            const auto pointer = "/sources/" + std::to_string(i) + "/stageAs";
            set.sources_.push_back(
                SourceSpec{.name = use.at("name").get<std::string>(),
                           .condition = use.value("if", std::string{}),
                           .url = use.at("url").get<std::string>(),
                           .submodules = use.value("submodules", false),
                           .stageAt = use.at("stageAt").get<std::string>(),
                           .stageAs = spelled(doc, pointer, parseStageAs, "tree or tarball")});
        }
        set.documents_->builder = std::move(doc);
    }

    static Parameter parseParameter(const JsonDocument& doc, const std::string& name,
                                    const nlohmann::json& spec) {
        const std::string pointer = appendPointer("/parameters", name);
        Parameter p{.name = name,
                    .type = spelled(doc, pointer + "/type", parseParamType, "bool, string or path"),
                    .defaultValue = std::nullopt,
                    .hostProfileKey = spec.value("hostProfile", std::string{}),
                    .description = spec.at("description").get<std::string>()};
        if (p.hostProfileKey.empty() != spec.contains("default")) {
            throw ParseError(doc.describeAt(pointer, "parameter " + quote(name) +
                                                         " needs exactly one of 'default' and "
                                                         "'hostProfile'"));
        }
        if (spec.contains("default")) {
            p.defaultValue = paramValue(spec.at("default"));
            if (!p.defaultValue || !holdsType(*p.defaultValue, p.type)) {
                const bool wantBool = p.type == ParamType::Bool;
                throw ParseError(doc.describeAt(pointer + "/default",
                                                "default of " + std::string(toString(p.type)) +
                                                    " parameter " + quote(name) + " must be " +
                                                    (wantBool ? "true or false" : "a string")));
            }
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
        set.documents_->branches.emplace(branch.branch, std::move(doc));
        set.branches_.emplace(branch.branch, std::move(branch));
    }

    void loadPatches(JsonDocument doc) {
        once(havePatches, doc, "patches");
        const auto& list = doc.value.at("patches");
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& spec = list[i];
            const std::string pointer = "/patches/" + std::to_string(i);
            PatchInfo p;
            p.id = spec.at("id").get<std::string>();
            const std::string id = p.id;
            if (set.patches_.count(id) != 0) {
                throw ParseError(
                    doc.describeAt(pointer + "/id", "patch " + quote(id) + " is listed twice"));
            }
            p.project = spec.at("project").get<std::string>();
            p.url = spec.at("url").get<std::string>();
            p.sha256 = spec.at("sha256").get<std::string>();
            p.title = spec.at("title").get<std::string>();
            p.description = spec.value("description", std::string{});
            p.cves = spec.value("cves", std::vector<std::string>{});
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
            set.patchOrder_.push_back(id);
        }
        set.documents_->patches = std::move(doc);
    }

    void loadVariants(JsonDocument doc) {
        once(haveVariants, doc, "variants");
        for (const auto& [name, spec] : doc.value.at("variants").items()) {
            std::map<std::string, ParamValue> args;
            for (const auto& [param, value] : spec.at("args").items()) {
                const auto typed = paramValue(value);
                if (!typed) {
                    throw ParseError(doc.describeAt(
                        appendPointer(appendPointer("/variants", name) + "/args", param),
                        "the value of parameter " + quote(param) +
                            " must be true, false or a string"));
                }
                args.emplace(param, *typed);
            }
            set.variants_.emplace(
                name, Variant{.name = name,
                              .suffix = spec.at("suffix").get<std::string>(),
                              .description = spec.at("description").get<std::string>(),
                              .longDescription = spec.at("longDescription").get<std::string>(),
                              .args = std::move(args)});
        }
        set.aliases_ = doc.value.at("aliases").get<std::map<std::string, std::string>>();
        set.documents_->variants = std::move(doc);
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
        const auto& doc = set.documents_->variants;
        if (set.variants_.empty()) {
            throw ParseError(doc.describeAt("/variants", "declare at least one variant (the one "
                                                         "with suffix \"\" names the package "
                                                         "after its branch alone)"));
        }
        for (const auto& [name, variant] : set.variants_) {
            for (const auto& [param, value] : variant.args) {
                const std::string pointer = "/variants/" + name + "/args/" + param;
                const Parameter* p = set.parameter(param);
                if (p == nullptr) {
                    throw ParseError(
                        doc.describeAt(pointer, "unknown parameter " + quote(param) +
                                                    util::didYouMean(param, parameterNames())));
                }
                if (!holdsType(value, p->type)) {
                    throw ParseError(doc.describeAt(pointer, "parameter " + quote(param) +
                                                                 " is of type " +
                                                                 std::string(toString(p->type))));
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

    // Every pin names a builder source; pins are put in the builder's order. The latest branch
    // is the highest.
    void checkBranches() {
        for (auto& [name, branch] : set.branches_) {
            const auto& doc = set.documents_->branches.at(name);
            for (const auto& [source, unused] : branch.sources) {
                if (set.source(source) == nullptr) {
                    throw ParseError(doc.describeAt(
                        appendPointer("/sources", source),
                        "branch " + name + " pins source " + quote(source) +
                            ", which the builder does not declare" +
                            util::didYouMean(source, sourceNames()) + " (sources are declared in " +
                            set.documents_->builder.path + ")"));
                }
            }
            std::stable_sort(branch.sources.begin(), branch.sources.end(),
                             [this](const auto& a, const auto& b) {
                                 return sourceIndex(a.first) < sourceIndex(b.first);
                             });
            if (set.latest_.empty() || branchNameLess(set.latest_, name)) set.latest_ = name;
        }
    }

    std::size_t sourceIndex(const std::string& name) const {
        for (std::size_t i = 0; i < set.sources_.size(); ++i) {
            if (set.sources_[i].name == name) return i;
        }
        return set.sources_.size();
    }

    // Parameters taking their default from the host profile name one of its paths.
    void checkHostProfileKeys() const {
        for (const auto& p : set.parameters_) {
            if (p.hostProfileKey.empty() || set.hostProfile_.paths.count(p.hostProfileKey) != 0) {
                continue;
            }
            throw ParseError(set.documents_->builder.describeAt(
                appendPointer("/parameters", p.name) + "/hostProfile",
                "parameter " + quote(p.name) + " takes its default from the host profile's path " +
                    quote(p.hostProfileKey) + ", which host profile " +
                    quote(set.hostProfile_.name) + " does not have"));
        }
    }

    void loadLocalPatches(const fs::path& patchesDir) {
        for (const auto& [branch, unused] : set.branches_) {
            const fs::path dir = patchesDir / branch;
            if (!files.isDirectory(dir, "local patch directory")) continue;
            for (const auto& path : files.entries(dir)) {
                const auto file = path.filename().string();
                if (file.empty() || file[0] == '.' || file.rfind("README", 0) == 0) continue;
                set.localPatches_[branch].push_back(localPatch(path, branch));
            }
        }
    }

    std::vector<std::string> sourceNames() const {
        std::vector<std::string> names;
        for (const auto& source : set.sources_)
            names.push_back(source.name);
        return names;
    }

    void checkPatchProjects() const {
        const auto names = sourceNames();
        for (std::size_t i = 0; i < set.patchOrder_.size(); ++i) {
            const auto& id = set.patchOrder_[i];
            const auto& patch = set.patches_.at(id);
            if (std::find(names.begin(), names.end(), patch.project) == names.end()) {
                throw ParseError(set.documents_->patches.describeAt(
                    "/patches/" + std::to_string(i) + "/project",
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
        p.sha256 = util::sha256(files.read(path, {.what = "local patch",
                                                  .maxBytes = util::kMaxPatchBytes,
                                                  .followSymlinks = false}))
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

const SourceSpec* RecipeSet::source(const std::string& name) const {
    for (const auto& s : sources_) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

std::vector<const PatchInfo*> RecipeSet::patchesFor(const std::string& branch) const {
    std::vector<const PatchInfo*> out;
    for (const auto& id : patchOrder_) {
        const PatchInfo& patch = patches_.at(id);
        if (patch.appliesTo(branch)) out.push_back(&patch);
    }
    return out;
}

RecipeSet::RecipeSet() : documents_(std::make_shared<RecipeDocuments>()) {}

const JsonDocument& RecipeSet::builder() const {
    return documents_->builder;
}

const JsonDocument& RecipeSet::branchDocument(const std::string& branch) const {
    return documents_->branches.at(branch);
}

const JsonDocument& RecipeSet::patchesDocument() const {
    return documents_->patches;
}

const JsonDocument& RecipeSet::variantsDocument() const {
    return documents_->variants;
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
    return RecipeSetLoader::load(layout, DiskFiles{});
}

RecipeSet RecipeSet::load(const RecipeLayout& layout, const RecipeFiles& files) {
    return RecipeSetLoader::load(layout, MemoryFiles{files});
}

RecipeSet RecipeSetLoader::load(const RecipeLayout& layout, const FileSource& files) {
    const fs::path dir = packageDirectory(files, layout.recipes);
    RecipeSet set;
    set.directory_ = dir;
    RecipeSetLoader loader{set, files};
    for (const auto& path : files.entries(dir)) {
        if (path.extension() == ".json") loader.loadFile(path);
    }
    loader.requireAll(dir);
    loader.checkHostProfileKeys();
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
    return HostProfile{.name = doc.value.at("name").get<std::string>(),
                       .paths = doc.value.at("paths").get<std::map<std::string, std::string>>()};
}

bool branchNameLess(const std::string& a, const std::string& b) {
    const auto left = numericParts(a);
    const auto right = numericParts(b);
    return std::lexicographical_compare(left.begin(), left.end(), right.begin(), right.end(),
                                        [](const std::string& x, const std::string& y) {
                                            return std::pair(x.size(), std::string_view(x)) <
                                                   std::pair(y.size(), std::string_view(y));
                                        });
}

} // namespace xenbuild::recipe
