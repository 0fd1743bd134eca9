#pragma once
// SHA-256 digests and their three printed forms: hex, Nix base32 and SRI ("sha256-<base64>").
// Hashing goes through OpenSSL's libcrypto, hidden behind Sha256 so no OpenSSL type leaks here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace xenbuild::util {

struct Hash {
    static constexpr std::size_t size = 32;
    std::array<std::uint8_t, size> bytes{};

    std::string hex() const;
    std::string nix32() const;
    std::string base64() const;
    std::string sri() const; // "sha256-" + base64

    // Accepts SRI ("sha256-…"), "sha256:<hex|nix32|base64>", bare hex (64), bare Nix base32
    // (52) or bare base64 (44). Throws ParseError naming the text when none fits.
    static Hash parse(std::string_view text);

    friend bool operator==(const Hash&, const Hash&) = default;
    friend auto operator<=>(const Hash&, const Hash&) = default;
};

// Incremental SHA-256.
class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(const void* data, std::size_t length);
    void update(std::string_view data) { update(data.data(), data.size()); }
    Hash finish(); // the hasher cannot be used afterwards

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

Hash sha256(std::string_view data);
// Flat hash of a file's bytes (how published patches are pinned).
Hash sha256File(const std::filesystem::path& path);

// Low-level encodings, exposed for tests and for other digest sizes.
std::string toHex(const std::uint8_t* data, std::size_t length);
std::string toNix32(const std::uint8_t* data, std::size_t length);
std::string toBase64(const std::uint8_t* data, std::size_t length);
// The bytes of padded standard base64 (RFC 4648 section 4); nullopt for anything else.
std::optional<std::string> fromBase64(std::string_view text);

} // namespace xenbuild::util
