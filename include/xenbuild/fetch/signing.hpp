#pragma once
// OpenPGP signing with one secret key read from a file (what `xenbuild bundle --sign-key` does).
//
// A Signer owns a private, temporary keyring (like SignatureVerifier's: a 0700 directory under a
// short temp path, never the user's ~/.gnupg) holding only the key it was given, and the
// gpg-agent that holds its secret part, stopped when the Signer goes. Signatures are made by the
// key's signing-capable (sub)key, over SHA-256 or stronger. gpgme is hidden in signing.cpp.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace xenbuild::fetch {

class Signer {
  public:
    // Imports the armored (or binary) secret key in `keyFile`, protected by `passphrase` if it
    // is. Throws SignatureError when the file cannot be read or imported, holds no secret key or
    // more than one, or the key cannot sign (expired, revoked, no signing subkey).
    explicit Signer(const std::filesystem::path& keyFile, std::string passphrase = {});
    ~Signer(); // removes the keyring and stops its gpg-agent
    Signer(const Signer&) = delete;
    Signer& operator=(const Signer&) = delete;

    // The primary key's fingerprint (40 upper-case hex digits) and user id.
    const std::string& fingerprint() const noexcept;
    const std::string& uid() const noexcept;

    // A detached signature over `data`: ASCII-armored text with `armor`, else binary. `what`
    // names the data in errors. Throws SignatureError.
    std::string signDetached(std::string_view data, bool armor, const std::string& what) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace xenbuild::fetch
