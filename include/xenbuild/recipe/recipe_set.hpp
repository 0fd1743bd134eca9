#pragma once
// The recipe set: every file under recipes/xen/ parsed, schema-checked and cross-checked, plus
// the local patches under patches/<branch>/. Loading reads files; evaluation (evaluate.hpp)
// never touches the disk again.

#include "xenbuild/recipe/json.hpp"
#include "xenbuild/recipe/layout.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::recipe {

struct Parameter {
    std::string name;
    std::string type;            // "bool", "string" or "path"
    nlohmann::json defaultValue; // null when the value comes from the host profile
    std::string hostProfileKey;  // "qemu", "seabios", "ovmf", "ipxe" or empty
    std::string description;
};

// One pinned source as written in a branch file.
struct SourceEntry {
    std::string url;
    std::string rev;
    std::string tag;  // may be empty
    std::string hash; // SRI
    bool submodules = false;
};

struct SupportDates {
    std::string initialRelease;       // YYYY-MM-DD
    std::string supportedUntil;       // YYYY-MM-DD
    std::string securitySupportUntil; // YYYY-MM-DD
};

// recipes/xen/<branch>.json, the machine-written part (see branch_file.hpp for the writer).
struct BranchFile {
    std::string branch;  // "4.19"
    std::string version; // "4.19.0"
    bool latest = false;
    std::vector<std::pair<std::string, SourceEntry>> sources; // canonical order, xen first
    std::vector<std::string> patches;                         // upstream patch ids, in order
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
    std::map<std::string, std::string> notApplicable; // branch -> reason
    bool local = false;
};

struct Variant {
    std::string name; // "standard", "slim"
    std::string suffix;
    std::string description;
    std::string longDescription;
    nlohmann::json args; // object: parameter -> value
};

struct HostProfile {
    std::string name;
    std::map<std::string, std::string> paths; // qemu, seabios, ovmf, ipxe
};

// What a package name stands for.
struct PackageRef {
    std::string name;    // as asked, e.g. "xen-slim"
    std::string target;  // the concrete package, e.g. "xen_4_19-slim"
    std::string branch;  // "4.19"
    std::string variant; // "slim"
};

class RecipeSet {
  public:
    // Loads <layout.recipes>/xen/*.json and the local patches of <layout.patches>. Throws
    // ParseError (file:line:column) or EvalError.
    static RecipeSet load(const RecipeLayout& layout);
    // The same for RecipeLayout::beside(recipesDir), local patches from `patchesDir` if given.
    static RecipeSet load(const std::filesystem::path& recipesDir,
                          std::filesystem::path patchesDir = {});

    const std::string& pname() const { return pname_; }
    const JsonDocument& builder() const { return builder_; }
    const std::vector<Parameter>& parameters() const { return parameters_; }
    const Parameter* parameter(const std::string& name) const;
    const std::map<std::string, BranchFile>& branches() const { return branches_; }
    const JsonDocument& branchDocument(const std::string& branch) const;
    const std::map<std::string, PatchInfo>& patches() const { return patches_; }
    const JsonDocument& patchesDocument() const { return patchesDoc_; }
    const std::vector<PatchInfo>& localPatches(const std::string& branch) const;
    const std::map<std::string, Variant>& variants() const { return variants_; }
    const JsonDocument& variantsDocument() const { return variantsDoc_; }
    const HostProfile& hostProfile() const { return hostProfile_; }

    // Concrete package names (xen_4_16 ... xen_4_19-slim) followed by the aliases.
    std::vector<std::string> packageNames() const;
    // Throws EvalError naming the closest package names when `name` is unknown.
    PackageRef resolve(const std::string& name) const;
    // The alias -> variant map; aliases resolve to the branch marked latest.
    const std::map<std::string, std::string>& aliases() const { return aliases_; }
    const std::string& latestBranch() const { return latest_; }

  private:
    std::string pname_;
    JsonDocument builder_;
    std::vector<Parameter> parameters_;
    std::map<std::string, BranchFile> branches_;
    std::map<std::string, JsonDocument> branchDocs_;
    std::map<std::string, PatchInfo> patches_;
    JsonDocument patchesDoc_;
    std::map<std::string, std::vector<PatchInfo>> localPatches_;
    std::vector<PatchInfo> noLocalPatches_;
    std::map<std::string, Variant> variants_;
    std::map<std::string, std::string> aliases_;
    JsonDocument variantsDoc_;
    HostProfile hostProfile_;
    std::string latest_;

    friend struct RecipeSetLoader;
};

// Reads a host profile file (kind "host-profile"), schema-checked.
HostProfile loadHostProfile(const std::filesystem::path& path);

} // namespace xenbuild::recipe
