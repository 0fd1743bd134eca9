#pragma once
// BuildPlan: the immutable, fully pinned result of evaluating a recipe. Everything downstream
// (prefetching, building, reports) consumes plans and never re-reads recipes.
//
// Strings in a plan are fully interpolated except `${outputs.<name>}`, which stands for the
// install directory of an output and is only known when a build runs; the builder substitutes
// it. Keeping it symbolic is what lets the plan hash be independent of the store location.

#include "xenbuild/util/hash.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace xenbuild::recipe {

// How a source is staged: as a directory tree, or packed into a tarball (iPXE: ipxe.tar.gz).
enum class StageAs { Tree, Tarball };

// The two kinds of input a plan pins (and a prefetch or the store lists).
enum class InputRole { Source, Patch };

// A builder parameter's declared type. Path values are absolute paths.
enum class ParamType { Bool, String, Path };

// A builder parameter's value: a bool for ParamType::Bool, else a string.
using ParamValue = std::variant<bool, std::string>;

// Whether a branch still receives security fixes on the evaluation date.
enum class SecuritySupport { Supported, Unsupported };

// The spellings of the recipe language and the plan's JSON: "tarball", "patch", "path",
// "unsupported".
std::string_view toString(StageAs value);
std::string_view toString(InputRole value);
std::string_view toString(ParamType value);
std::string_view toString(SecuritySupport value);

// The reverse for the spellings the schema allows; nullopt for any other text.
std::optional<StageAs> parseStageAs(std::string_view text);
std::optional<ParamType> parseParamType(std::string_view text);

// Whether `value` is of `type` (a bool for Bool, a string for String and Path).
bool holdsType(const ParamValue& value, ParamType type);
// The text interpolation substitutes: "true", "false" or the string.
std::string paramText(const ParamValue& value);
// true or false, or the string: the value as the plan's JSON shows it.
nlohmann::json paramJson(const ParamValue& value);

// One source tree pinned by commit and NAR hash (format of nix-prefetch-git).
struct SourcePin {
    std::string name;        // "xen", "qemu", "seabios", "ovmf", "ipxe"
    std::string url;         // upstream URL as written in the recipe (mirrors apply later)
    std::string rev;         // the commit id (40 hex)
    std::string tag;         // tag the commit was taken from, informative; may be empty
    util::Hash hash;         // sha256 of the NAR of the checked-out tree without .git
    bool submodules = false; // check out submodules recursively before hashing
    std::string stageAt;     // where it goes in the Xen tree ("" for xen itself)
    StageAs stageAs = StageAs::Tree;
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

// The post-install checks, by kind; paths are "${outputs.<name>}/..." (already interpolated
// otherwise, like every string of a plan): a file at its install path inside an output, e.g.
// "${outputs.boot}/boot/xen.efi".
enum class CheckKind {
    Pe32Plus,
    PkgConfig,
    HypervisorVersion,
    Seabios,
    UefiFirmware,
    OptionRom,
    ProgramVersion,
    Elf
};

// "pe32plus": the file is a PE32+ x86-64 image (xen.efi).
struct Pe32PlusParams {
    std::string path;
};

// "pkg-config": every module resolves in the directory, with `prefix` (the prefix the build
// was configured with, e.g. /usr) as its prefix.
struct PkgConfigParams {
    std::string path;
    std::vector<std::string> modules;
    std::string prefix;
};

// "hypervisor-version": the hypervisor image carries this Xen version.
struct HypervisorVersionParams {
    std::string path;
    std::string version;
};

// "seabios": a SeaBIOS image (bios.bin) of one of `sizesKiB` whose version string is the
// revision the plan pins `source` at (its tag, else its commit) followed by `extraVersion`; with
// the source overridden, the version the build wrote into the staged tree's `.version`.
struct SeabiosParams {
    std::string path;
    std::string source;
    std::string extraVersion;
    std::vector<unsigned> sizesKiB;
};

// "uefi-firmware": a UEFI firmware image (OVMF.fd) of one of `sizesKiB` holding at least one
// firmware volume.
struct UefiFirmwareParams {
    std::string path;
    std::vector<unsigned> sizesKiB;
};

// "option-rom": PCI option ROM images back to back (Xen's ipxe.bin: one per NIC).
struct OptionRomParams {
    std::string path;
};

// "program-version": the ELF program, run in the sandbox with `args` and the output directories
// `libraryPath` as LD_LIBRARY_PATH, prints the version that the file `versionFile` of the staged
// tree of `source` holds.
struct ProgramVersionParams {
    std::string path;
    std::vector<std::string> args;
    std::string source;
    std::string versionFile;
    std::vector<std::string> libraryPath;
};

// "elf": the file is an ELF image of class `elfClass`, "ELF32" or "ELF64" (hvmloader: ELF32).
struct ElfParams {
    std::string path;
    std::string elfClass;
};

// In the order of CheckKind.
using CheckParams =
    std::variant<Pe32PlusParams, PkgConfigParams, HypervisorVersionParams, SeabiosParams,
                 UefiFirmwareParams, OptionRomParams, ProgramVersionParams, ElfParams>;

struct Check {
    CheckParams params;

    CheckKind kind() const { return static_cast<CheckKind>(params.index()); }
    nlohmann::json paramsJson() const; // {"path": ..., ...}: the params as the recipe wrote them
};

// "pe32plus", "pkg-config", "hypervisor-version", "seabios", "uefi-firmware", "option-rom",
// "program-version", "elf".
std::string_view toString(CheckKind kind);
std::optional<CheckKind> parseCheckKind(std::string_view text);

struct Meta {
    std::string description;
    std::string longDescription;
    std::string branch;
    std::string version;
    std::string homepage;
    std::vector<std::string> licenses;
    SecuritySupport securitySupport = SecuritySupport::Unsupported; // as of evaluation date
    std::chrono::year_month_day securitySupportUntil{};
    std::vector<int> xsas; // advisories the build is patched against, in order
};

struct BuildPlan {
    std::string name;                       // attribute name, e.g. "xen_4_19-slim"
    std::string pname;                      // "xen"
    std::string version;                    // "4.19.0"
    std::string branch;                     // "4.19"
    std::string variant;                    // "standard" or "slim"
    std::map<std::string, ParamValue> args; // builder parameters after defaults and overrides
    std::vector<SourcePin> sources;         // "xen" first
    std::vector<PatchRef> patches;          // in application order
    std::vector<std::string> configureFlags;
    std::vector<std::string> makeFlags;
    std::vector<std::string> makeTargets; // build and install into dist/install (DESTDIR)
    std::map<std::string, std::string> env;
    std::vector<std::string> outputs; // "out" first
    // Output -> the absolute install paths it takes from the install root (DESTDIR), e.g.
    // "dev" -> {"/usr/include", "/usr/lib/pkgconfig"}; each output keeps them at the same path
    // inside it. The first output ("out") takes everything no other output claims.
    std::map<std::string, std::vector<std::string>> outputPaths;
    std::vector<Check> checks;
    Meta meta;

    // Content hash over everything that affects the build (not meta texts or dates that do
    // not reach the build). Stable across runs, machines and recipe formatting.
    util::Hash hash;

    const SourcePin* source(const std::string& sourceName) const;
    // The components the package builds in-tree: every source but the first (the tree they are
    // staged into), in staging order; e.g. {"qemu", "seabios", "ovmf", "ipxe"}, none when slim.
    std::vector<std::string> inTree() const;
    // Canonical JSON, as `xenbuild show --json` prints it (with "inTree", derived).
    nlohmann::json toJson() const;

    // What the plan hash covers: pname, version, branch, sources (with staging), patches (with
    // fuzz), configure and make flags, environment, outputs (with their paths) and checks; not the
    // attribute name, variant, args (they act only through the above) or meta.
    nlohmann::json hashInput() const;
};

// sha256 of hashInput().dump() (compact, keys sorted: canonical JSON).
util::Hash computePlanHash(const BuildPlan& plan);

} // namespace xenbuild::recipe
