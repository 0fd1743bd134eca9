#include "cli/signing.hpp"
#include "xenbuild/util/build_paths.hpp"

#include "xenbuild/util/error.hpp"

#include <CLI/CLI.hpp>

namespace fs = std::filesystem;

namespace xenbuild::cli {

void addSigningOptions(CLI::App& command, SigningOptions& options) {
    command.add_option("--keyring", options.keyrings, "Public key file to trust instead (repeat)")
        ->group("");
    command.add_option("--trust", options.trust, "Fingerprint the signatures must come from")
        ->group("");
}

fetch::SignatureVerifier makeVerifier(const SigningOptions& options, const GlobalOptions& global) {
    if (options.keyrings.empty() != options.trust.empty()) {
        throw UsageError("--keyring and --trust go together: the key files to import and the "
                         "fingerprint to require");
    }
    if (!options.keyrings.empty()) return fetch::SignatureVerifier(options.keyrings, options.trust);
    // The data directory holding keys/ (kXenSigningKeyFile is relative to it).
    const fs::path dataDir = recipeLayout(global).keys.parent_path();
    if (fs::exists(dataDir / fetch::kXenSigningKeyFile)) return fetch::xenProjectVerifier(dataDir);
    return fetch::xenProjectVerifier(::xenbuild::util::sourceDir());
}

} // namespace xenbuild::cli
