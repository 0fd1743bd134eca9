#pragma once
// BuildPlan: the immutable, fully pinned result of evaluating a recipe. Everything downstream
// (prefetching, building, reports) consumes plans and never re-reads recipes.
//
// Strings in a plan are fully interpolated except `${outputs.<name>}`, which stands for the
// install directory of an output and is only known when a build runs; the builder substitutes
// it. Keeping it symbolic is what lets the plan hash be independent of the store location.

#include "xenbuild/util/hash.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::recipe {

// One source tree pinned by commit and NAR hash (format of nix-prefetch-git).
struct SourcePin {
    std::string name;        // "xen", "qemu", "seabios", "ovmf", "ipxe"
    std::string url;         // upstream URL as written in the recipe (mirrors apply later)
    std::string rev;         // the commit id (40 hex)
    std::string tag;         // tag the commit was taken from, informative; may be empty
    util::Hash hash;         // sha256 of the NAR of the checked-out tree without .git
    bool submodules = false; // check out submodules recursively before hashing
    std::string stageAt;     // where it goes in the Xen tree ("" for xen itself)
    std::string stageAs;     // "tree" (a directory) or "tarball" (iPXE: ipxe.tar.gz)
};

// One patch file, applied in plan order.
struct PatchRef {
    std::string id;         // "XSA-460", "QUBES-1100", or a local patch's file name
    std::string project;    // the tree it applies to: xen, qemu, seabios, ovmf, ipxe
    std::string url;        // where it is fetched from; local patches: file:// URL
    util::Hash sha256;      // flat sha256 of the file as published
    unsigned fuzz = 0;      // context lines that may be ignored (recipe's explicit allowance)
    bool local = false;     // from patches/<branch>/ rather than upstream
    std::optional<int> xsa; // the advisory number for XSA patches
};

// A post-install check; `kind` selects the checker, `params` are its arguments.
struct Check {
    std::string kind;      // e.g. "pe32plus", "pkg-config", "hypervisor-version"
    nlohmann::json params; // checker-specific, already interpolated
};

struct Meta {
    std::string description;
    std::string longDescription;
    std::string branch;
    std::string version;
    std::string homepage;
    std::vector<std::string> licenses;
    std::string securitySupport; // "supported" or "unsupported" (as of evaluation date)
    std::string securitySupportUntil;
    std::vector<int> xsas; // advisories the build is patched against, in order
};

struct BuildPlan {
    std::string name;               // attribute name, e.g. "xen_4_19-slim"
    std::string pname;              // "xen"
    std::string version;            // "4.19.0"
    std::string branch;             // "4.19"
    std::string variant;            // "standard" or "slim"
    nlohmann::json args;            // the builder parameters after defaults and overrides (object)
    std::vector<SourcePin> sources; // "xen" first
    std::vector<PatchRef> patches;  // in application order
    std::vector<std::string> configureFlags;
    std::vector<std::string> makeFlags;
    std::vector<std::string> makeTargets; // build and install into dist/install (DESTDIR)
    std::map<std::string, std::string> env;
    std::vector<std::string> outputs; // "out" first
    std::vector<Check> checks;
    Meta meta;

    // Content hash over everything that affects the build (not meta texts or dates that do
    // not reach the build). Stable across runs, machines and recipe formatting.
    util::Hash hash;

    const SourcePin* source(const std::string& sourceName) const;
    nlohmann::json toJson() const; // canonical JSON, as `xenbuild show --json` prints it

    // What the plan hash covers: pname, version, branch, sources (with staging), patches (with
    // fuzz), configure and make flags, environment, outputs and checks; not the attribute name,
    // variant, args (they act only through the above) or meta.
    nlohmann::json hashInput() const;
};

// sha256 of hashInput().dump() (compact, keys sorted: canonical JSON).
util::Hash computePlanHash(const BuildPlan& plan);

} // namespace xenbuild::recipe
