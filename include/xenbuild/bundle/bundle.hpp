#pragma once
// Release bundles of a finished build (docs/bundle.md): what a CI pipeline publishes.
//
//   <pname>-<version>-<output>.tar.zst   one reproducible archive per output
//   <pname>-<version>.spdx.json          SPDX 2.3 SBOM (sbom.hpp)
//   <pname>-<version>.intoto.jsonl       SLSA v1.0 provenance in a DSSE envelope (provenance.hpp)
//   SHA256SUMS                           `sha256sum -c` over every file above
//   SHA256SUMS.asc                       its detached OpenPGP signature (signed bundles)
//
// Everything but the signatures is a function of the build: two bundles of one build are
// byte-identical when unsigned (signatures carry the time they were made). The library never
// prints: progress goes to an observer, results are return values, failures are exceptions.

#include "xenbuild/builder/options.hpp"
#include "xenbuild/builder/result.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/util/hash.hpp"
#include "xenbuild/util/progress.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::recipe {
class RecipeSet;
}
namespace xenbuild::store {
class Store;
}

namespace xenbuild::bundle {

// What the recipes say of a patch's advisory (not part of the plan: it does not change a build).
struct Advisory {
    std::string title;
    std::vector<std::string> cves; // "CVE-2024-31145", in the recipe's order
};

// A finished build and what a bundle says about it.
struct BuildInfo {
    recipe::BuildPlan plan;                        // as requested: its JSON matches its hash
    builder::BuildResult result;                   // the build record (outputs, toolchain, times)
    std::vector<recipe::PatchRef> appliedSeries;   // the plan's patches minus the excluded ones
    std::vector<recipe::PatchRef> excludedPatches; // left out on request (--exclude-patch)
    std::map<std::string, util::Hash> overrideHashes; // source -> NAR hash of its local directory
    std::map<std::string, Advisory> advisories;       // patch id -> advisory, when it has one
};

// What `recipes` say of the advisories of `plan`'s patches (those with an XSA number or CVEs).
std::map<std::string, Advisory> advisoriesOf(const recipe::RecipeSet& recipes,
                                             const recipe::BuildPlan& plan);

// The newest finished build of `plan` in `store` built with the key inputs of `options`
// (source overrides, patch exclusions), with `advisories` for its patches; nullopt when there is
// none. Throws BuildError when its record predates bundles (no toolchain or times) or an output
// is no longer in the store; StoreError for a corrupt output.
std::optional<BuildInfo> findBuild(const store::Store& store, const recipe::BuildPlan& plan,
                                   const builder::BuildOptions& options,
                                   std::map<std::string, Advisory> advisories = {});

// The default SLSA builder id: names xenbuild run outside any CI system.
inline constexpr const char* kDefaultBuilderId = "urn:xenbuild:builder:local";

struct BundleOptions {
    std::filesystem::path signKey; // an armored OpenPGP secret key; empty: unsigned
    std::string signPassphrase;    // its passphrase, if it has one
    std::string builderId = kDefaultBuilderId;
};

struct BundleFile {
    std::string name; // file name inside the bundle directory
    std::string role; // "archive", "sbom", "provenance", "checksums", "signature"
    util::Hash sha256;
    std::uint64_t size = 0;
    std::string output; // archives: the output they hold ("out", "boot", ...)
};

struct Bundle {
    std::filesystem::path dir;
    std::vector<BundleFile> files; // in the order they are listed above
    std::string signer;            // the signing key's fingerprint; empty when unsigned
};

// The names of a bundle's files for `plan`.
std::string archiveName(const recipe::BuildPlan& plan, const std::string& output);
std::string sbomName(const recipe::BuildPlan& plan);
std::string provenanceName(const recipe::BuildPlan& plan);
inline constexpr const char* kSumsName = "SHA256SUMS";
inline constexpr const char* kSumsSignatureName = "SHA256SUMS.asc";

// Writes the bundle of `build` into `dir`, which must not exist or be empty: everything is
// written into a temporary directory beside it, renamed into place at the end (nothing is left
// behind on failure). Throws UsageError when `dir` holds files, SignatureError when the key
// cannot sign, BuildError/SystemError/ArchiveError naming the file that could not be written.
Bundle writeBundle(const BuildInfo& build, const std::filesystem::path& dir,
                   const BundleOptions& options, util::ProgressObserver& observer);

} // namespace xenbuild::bundle
