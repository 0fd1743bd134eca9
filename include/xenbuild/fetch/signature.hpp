#pragma once
// OpenPGP signature verification against one pinned trust anchor.
//
// A SignatureVerifier owns a private, temporary keyring (a 0700 directory under a short temp
// path, never the user's ~/.gnupg) holding only the armored public keys it was given. A
// signature is accepted only when it is cryptographically good, made by the trusted primary key
// or one of its subkeys, and neither key nor signature is expired or revoked. Every other
// outcome is a SignatureError whose text says what was wrong and which key was involved.
// Verification never needs gpg-agent or the network. gpgme is hidden in signature.cpp.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::fetch {

// The Xen Project code-signing key (signs RELEASE-* tags in xen.git and every Xen Security
// Advisory) and where the project ships it, relative to the project's data directory (the
// source tree, or share/xenbuild once installed).
inline constexpr std::string_view kXenSigningKeyFingerprint =
    "23E3222C145F4475FA8060A783FE14C957E82BD9";
inline constexpr std::string_view kXenSigningKeyFile = "keys/xen.org-code-signing.asc";

// Who made an accepted signature.
struct SignatureInfo {
    std::string fingerprint;        // primary key fingerprint (upper-case hex): the trusted one
    std::string signingFingerprint; // the key that actually signed (primary or a subkey)
    std::string uid;                // the primary user id of the signer, e.g. "Name <mail>"
    std::chrono::sys_seconds time;  // when the signature was made
    std::string digest;             // its hash algorithm as gpgme names it: "SHA256", "SHA1"
};

// The signed text of a clear-signed message, as gpg reconstructs it (dash-escaping removed);
// text outside the signed block is never part of it.
struct VerifiedText {
    std::string text;
    SignatureInfo signature;
};

class SignatureVerifier {
  public:
    // Imports every armored public key file (keys, revocation certificates) into a fresh
    // temporary keyring. Throws SignatureError when a file cannot be read or imported, or when
    // no imported key has `trustedFingerprint` (40 hex digits, spaces and case ignored).
    SignatureVerifier(const std::vector<std::filesystem::path>& keyFiles,
                      std::string_view trustedFingerprint);
    // Trusts the one primary key that `keyFile` (an armored public key) holds: for what that
    // key signs, whoever it is (`xenbuild bundle verify --key`). Throws SignatureError when the
    // file cannot be read or imported, or holds no key or more than one.
    static SignatureVerifier trustingKeyFile(const std::filesystem::path& keyFile);
    ~SignatureVerifier(); // removes the keyring (and stops any gpg daemon started for it)
    SignatureVerifier(const SignatureVerifier&) = delete;
    SignatureVerifier& operator=(const SignatureVerifier&) = delete;
    SignatureVerifier(SignatureVerifier&&) noexcept;
    SignatureVerifier& operator=(SignatureVerifier&&) noexcept;

    const std::string& trustedFingerprint() const noexcept;
    // The private keyring directory (for diagnostics); removed by the destructor.
    const std::filesystem::path& keyringDirectory() const noexcept;

    // Verifies an armored (or binary) detached signature over `data`. `what` names the signed
    // thing in error messages ("tag 'RELEASE-4.19.0'", a file path).
    SignatureInfo verifyDetached(std::string_view data, std::string_view signature,
                                 const std::string& what) const;

    // Verifies a clear-signed message ("-----BEGIN PGP SIGNED MESSAGE-----" ... signature) and
    // returns the signed text. Text before the BEGIN line or after the signature is refused.
    VerifiedText verifyClearsigned(std::string_view message, const std::string& what) const;

  private:
    struct Impl;
    explicit SignatureVerifier(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The verifier for everything the Xen Project signs: `dataDir / kXenSigningKeyFile`, trusting
// kXenSigningKeyFingerprint. `dataDir` is the source tree or the installed share/xenbuild.
SignatureVerifier xenProjectVerifier(const std::filesystem::path& dataDir);

// Normalises a fingerprint as written by people or tools ("23E3 222C ...", lower case) to
// 40 upper-case hex digits. Throws SignatureError when it is not a v4 fingerprint.
std::string normaliseFingerprint(std::string_view fingerprint);

} // namespace xenbuild::fetch
