#pragma once
// Checking a bundle (`xenbuild bundle verify DIR [--key FILE]`): its signatures against a key,
// every digest of SHA256SUMS, that no file is missing or extra, and that the SBOM and the
// provenance name the archives with the digests they have. Every problem is reported, each
// naming the file and what is wrong (expected and actual digests, the key that signed).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::bundle {

enum class SignatureState {
    Unsigned,   // no SHA256SUMS.asc and no envelope signature
    NotChecked, // signed, but no key was given
    Verified,   // every signature is good and made by the given key
    Bad,        // a signature is missing, bad or by another key (see problems)
};

struct VerifyReport {
    std::vector<std::string> problems; // empty: the bundle is intact
    std::vector<std::string> archives; // the archives checked
    SignatureState signature = SignatureState::Unsigned;
    std::string signer; // the fingerprint the signatures name (when signed)

    bool ok() const { return problems.empty(); }
};

// Checks the bundle in `dir`; `keyFile`: an armored public key every signature must be made by
// (an unsigned bundle is then a problem). Throws only when `dir` is not a directory
// (SystemError) or the key file cannot be read (SignatureError); everything wrong with the
// bundle itself is a problem in the report.
VerifyReport verifyBundle(const std::filesystem::path& dir,
                          const std::optional<std::filesystem::path>& keyFile);

} // namespace xenbuild::bundle
