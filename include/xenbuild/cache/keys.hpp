#pragma once
// Ed25519 signing keys in Nix's form, "<name>:<base64>" (docs/cache.md): a secret key is the
// 64-byte seed-and-public-key pair, a public key its 32 bytes, a signature 64 bytes. Signing
// goes through OpenSSL's EVP interface, hidden here.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::cache {

struct PublicKey {
    std::string name;
    std::array<std::uint8_t, 32> bytes{};

    // Throws ParseError naming the text ("NAME:BASE64 of 32 bytes").
    static PublicKey parse(const std::string& text);
    std::string toString() const;
    // True when `signature` ("<name>:<base64>") is this key's valid signature of `message`.
    bool verifies(const std::string& message, const std::string& signature) const;
};

struct SecretKey {
    std::string name;
    std::array<std::uint8_t, 64> bytes{}; // seed (32) then public key (32), as Nix stores it

    static SecretKey generate(const std::string& name);
    // Throws ParseError naming `origin` (a file) for anything but "NAME:BASE64 of 64 bytes".
    static SecretKey parse(const std::string& text, const std::string& origin);
    // Reads a key file; SystemError when it cannot be read.
    static SecretKey load(const std::filesystem::path& file);
    std::string toString() const;
    PublicKey publicKey() const;
    // "<name>:<base64 signature>".
    std::string sign(const std::string& message) const;
};

// Writes NAME.sec (mode 0600) and NAME.pub (0644) into `dir`, refusing to overwrite either
// (UsageError naming the file). Returns the two paths.
std::pair<std::filesystem::path, std::filesystem::path>
writeKeyPair(const std::string& name, const std::filesystem::path& dir);

// Key names are what Nix allows: non-empty, no ':' or whitespace. UsageError otherwise.
void checkKeyName(const std::string& name);

// The first of `keys` that verifies one of `sigs` over `fingerprint`, or nullptr.
const PublicKey* trustedSigner(const std::vector<PublicKey>& keys,
                               const std::vector<std::string>& sigs,
                               const std::string& fingerprint);

} // namespace xenbuild::cache
