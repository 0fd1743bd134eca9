#pragma once
// The recipe set: every file of the package directory (recipes/<pname>/, e.g. recipes/xen/)
// parsed, schema-checked and cross-checked, plus the local patches under patches/<branch>/.
// Loading reads files; evaluation (evaluate.hpp) never touches the disk again.

#include "xenbuild/recipe/layout.hpp"
#include "xenbuild/recipe/plan.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::recipe {

struct JsonDocument; // json.hpp
struct RecipeDocuments;

struct Parameter {
    std::string name;
    ParamType type = ParamType::String;
    std::optional<ParamValue> defaultValue; // nullopt when the value comes from the host profile
    std::string hostProfileKey;             // a key of the host profile's paths ("qemu"), or empty
    std::string description;
};

// One source of the builder (builder.json "sources"), in staging order. The first is the tree
// the others are staged into (stageAt "", stageAs "tree", never conditional).
struct SourceSpec {
    std::string name;      // "xen", "qemu"
    std::string condition; // "withInternalQEMU"; empty: always staged
    std::string url;       // where every branch's pin of it is fetched from
    bool submodules = false;
    std::string stageAt; // where it goes in the tree ("" for the tree itself)
    StageAs stageAs = StageAs::Tree;
};

// One pinned source as written in a branch file: what changes per release.
struct SourceEntry {
    std::string rev;
    std::string tag;  // may be empty
    std::string hash; // SRI
};

struct SupportDates {
    std::chrono::year_month_day initialRelease{};
    std::chrono::year_month_day supportedUntil{};
    std::chrono::year_month_day securitySupportUntil{};
};

// recipes/<pname>/<branch>.json, machine-written (see branch_file.hpp for the writer).
struct BranchFile {
    std::string branch;                                       // "4.19"
    std::string version;                                      // "4.19.0"
    std::vector<std::pair<std::string, SourceEntry>> sources; // the builder's order once loaded
    SupportDates support;
};

struct PatchInfo {
    std::string id; // "XSA-460", "QUBES-1100", or a local patch's file name
    std::string project;
    std::string url;
    std::string sha256; // hex
    std::string title;
    std::string description;
    std::vector<std::string> cves;
    std::optional<int> xsa;
    std::map<std::string, unsigned> fuzz;             // branch -> allowance
    std::map<std::string, std::string> notApplicable; // branch -> reason (applies everywhere else)
    bool local = false;

    bool appliesTo(const std::string& branch) const { return notApplicable.count(branch) == 0; }
};

struct Variant {
    std::string name; // "standard", "slim"
    std::string suffix;
    std::string description;
    std::string longDescription;
    std::map<std::string, ParamValue> args; // parameter -> value
};

struct HostProfile {
    std::string name;
    std::map<std::string, std::string> paths; // by the keys the parameters name ("qemu")
};

// What a package name stands for.
struct PackageRef {
    std::string name;    // as asked, e.g. "xen-slim"
    std::string target;  // the concrete package, e.g. "xen_4_19-slim"
    std::string branch;  // "4.19"
    std::string variant; // "slim"
};

// Recipe files held in memory, each by the path it would have on disk
// (<layout.recipes>/xen/builder.json, <layout.patches>/4.19/0001-xen-fix-4.19.patch); the
// directories are the paths' prefixes. For a revision of the recipes read from git.
using RecipeFiles = std::map<std::filesystem::path, std::string>;

class RecipeSet {
  public:
    RecipeSet();

    // Loads the package directory of <layout.recipes> (its only subdirectory, named after the
    // builder's pname: recipes/xen/*.json) and the local patches of <layout.patches>. Throws
    // ParseError (file:line:column) or EvalError.
    static RecipeSet load(const RecipeLayout& layout);
    // The same for RecipeLayout::beside(recipesDir), local patches from `patchesDir` if given.
    static RecipeSet load(const std::filesystem::path& recipesDir,
                          std::filesystem::path patchesDir = {});
    // The same from `files` instead of the disk: the same checks and messages, and the same
    // plans (local patches' file:// URLs name their paths under layout.patches).
    static RecipeSet load(const RecipeLayout& layout, const RecipeFiles& files);

    // The package directory the files were read from (<recipesDir>/<pname>).
    const std::filesystem::path& directory() const { return directory_; }
    const std::string& pname() const { return pname_; }
    const JsonDocument& builder() const;
    const std::vector<Parameter>& parameters() const { return parameters_; }
    const Parameter* parameter(const std::string& name) const;
    // The builder's sources in staging order; the first is the tree.
    const std::vector<SourceSpec>& sources() const { return sources_; }
    const SourceSpec& treeSource() const { return sources_.front(); }
    const SourceSpec* source(const std::string& name) const;
    const std::map<std::string, BranchFile>& branches() const { return branches_; }
    const JsonDocument& branchDocument(const std::string& branch) const;
    const std::map<std::string, PatchInfo>& patches() const { return patches_; }
    // Upstream patches in application order (the order of patches.json).
    const std::vector<std::string>& patchOrder() const { return patchOrder_; }
    // The upstream patches that apply to `branch` (all but those notApplicable to it), in order.
    std::vector<const PatchInfo*> patchesFor(const std::string& branch) const;
    const JsonDocument& patchesDocument() const;
    const std::vector<PatchInfo>& localPatches(const std::string& branch) const;
    const std::map<std::string, Variant>& variants() const { return variants_; }
    const JsonDocument& variantsDocument() const;
    const HostProfile& hostProfile() const { return hostProfile_; }

    // Concrete package names (xen_4_16 ... xen_4_19-slim) followed by the aliases.
    std::vector<std::string> packageNames() const;
    // <pname>_<branch with '_' for '.'><the variant's suffix>, e.g. xen_4_19-slim.
    std::string packageName(const std::string& branch, const std::string& variant) const;
    // The variant without suffix (else the first by suffix): the package named after the
    // branch alone, xen_4_19.
    const Variant& primaryVariant() const;
    // Throws EvalError naming the closest package names when `name` is unknown.
    PackageRef resolve(const std::string& name) const;
    // The alias -> variant map; aliases resolve to the latest branch.
    const std::map<std::string, std::string>& aliases() const { return aliases_; }
    // The highest branch, comparing numerically (4.19 after 4.9).
    const std::string& latestBranch() const { return latest_; }

  private:
    std::filesystem::path directory_;
    std::string pname_;
    std::vector<Parameter> parameters_;
    std::vector<SourceSpec> sources_;
    std::map<std::string, BranchFile> branches_;
    std::map<std::string, PatchInfo> patches_;
    std::vector<std::string> patchOrder_;
    std::map<std::string, std::vector<PatchInfo>> localPatches_;
    std::vector<PatchInfo> noLocalPatches_;
    std::map<std::string, Variant> variants_;
    std::map<std::string, std::string> aliases_;
    HostProfile hostProfile_;
    std::string latest_;
    // The parsed files, shared by copies (a loaded set never changes): held apart so that this
    // header needs no JSON library (json.hpp).
    std::shared_ptr<RecipeDocuments> documents_;

    friend struct RecipeSetLoader;
};

// Reads a host profile file (kind "host-profile"), schema-checked.
HostProfile loadHostProfile(const std::filesystem::path& path);

// Branch names ("4.19") in numeric order: 4.9 before 4.19. Any length of digits compares right.
bool branchNameLess(const std::string& a, const std::string& b);

} // namespace xenbuild::recipe
