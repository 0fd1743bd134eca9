#include "xenbuild/util/hash.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"

#include <openssl/evp.h>

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <vector>

namespace xenbuild::util {

namespace {

constexpr std::string_view nix32Alphabet = "0123456789abcdfghijklmnpqrsvwxyz";
constexpr std::string_view base64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::optional<Hash> parseHex(std::string_view text) {
    if (text.size() != Hash::size * 2) return std::nullopt;
    Hash hash;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < Hash::size; ++i) {
        const int high = nibble(text[2 * i]);
        const int low = nibble(text[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        hash.bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return hash;
}

// Nix's base32 is little-endian over 5-bit groups, printed most significant group first.
std::optional<Hash> parseNix32(std::string_view text) {
    constexpr std::size_t length = (Hash::size * 8 - 1) / 5 + 1;
    if (text.size() != length) return std::nullopt;
    Hash hash;
    for (std::size_t n = 0; n < length; ++n) {
        const auto digit = nix32Alphabet.find(text[length - n - 1]);
        if (digit == std::string_view::npos) return std::nullopt;
        const std::size_t bit = n * 5;
        const std::size_t i = bit / 8;
        const std::size_t j = bit % 8;
        hash.bytes[i] = static_cast<std::uint8_t>(hash.bytes[i] | (digit << j));
        const auto carry = static_cast<std::uint8_t>(digit >> (8 - j));
        if (i < Hash::size - 1) {
            hash.bytes[i + 1] = static_cast<std::uint8_t>(hash.bytes[i + 1] | carry);
        } else if (carry != 0) {
            return std::nullopt;
        }
    }
    return hash;
}

std::optional<Hash> parseBase64(std::string_view text) {
    if (text.size() != 44 || text[43] != '=') return std::nullopt;
    const auto out = fromBase64(text);
    if (!out || out->size() != Hash::size) return std::nullopt;
    Hash hash;
    std::copy(out->begin(), out->end(), hash.bytes.begin());
    return hash;
}

std::optional<Hash> parseBare(std::string_view text) {
    if (auto hash = parseHex(text)) return hash;
    if (auto hash = parseNix32(text)) return hash;
    return parseBase64(text);
}

} // namespace

std::optional<std::string> fromBase64(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text.substr(0, text.size() - padding)) {
        const auto value = base64Alphabet.find(c);
        if (value == std::string_view::npos || c == '=') return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    if ((buffer & ((1U << bits) - 1)) != 0) return std::nullopt; // bits past the data are 0
    return out;
}

std::string toHex(const std::uint8_t* data, std::size_t length) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(length * 2);
    for (std::size_t i = 0; i < length; ++i) {
        text.push_back(digits[data[i] >> 4]);
        text.push_back(digits[data[i] & 0xf]);
    }
    return text;
}

std::string toNix32(const std::uint8_t* data, std::size_t length) {
    if (length == 0) return {};
    const std::size_t chars = (length * 8 - 1) / 5 + 1;
    std::string text;
    text.reserve(chars);
    for (std::size_t n = chars; n-- > 0;) {
        const std::size_t bit = n * 5;
        const std::size_t i = bit / 8;
        const std::size_t j = bit % 8;
        unsigned value = static_cast<unsigned>(data[i]) >> j;
        if (i + 1 < length) value |= static_cast<unsigned>(data[i + 1]) << (8 - j);
        text.push_back(nix32Alphabet[value & 0x1f]);
    }
    return text;
}

std::string toBase64(const std::uint8_t* data, std::size_t length) {
    std::string text;
    text.reserve((length + 2) / 3 * 4);
    for (std::size_t i = 0; i < length; i += 3) {
        std::uint32_t group = static_cast<std::uint32_t>(data[i]) << 16;
        if (i + 1 < length) group |= static_cast<std::uint32_t>(data[i + 1]) << 8;
        if (i + 2 < length) group |= data[i + 2];
        text.push_back(base64Alphabet[(group >> 18) & 0x3f]);
        text.push_back(base64Alphabet[(group >> 12) & 0x3f]);
        text.push_back(i + 1 < length ? base64Alphabet[(group >> 6) & 0x3f] : '=');
        text.push_back(i + 2 < length ? base64Alphabet[group & 0x3f] : '=');
    }
    return text;
}

std::string Hash::hex() const {
    return toHex(bytes.data(), bytes.size());
}
std::string Hash::nix32() const {
    return toNix32(bytes.data(), bytes.size());
}
std::string Hash::base64() const {
    return toBase64(bytes.data(), bytes.size());
}
std::string Hash::sri() const {
    return "sha256-" + base64();
}

Hash Hash::parse(std::string_view text) {
    std::optional<Hash> hash;
    if (text.starts_with("sha256-")) {
        hash = parseBase64(text.substr(7));
    } else if (text.starts_with("sha256:")) {
        hash = parseBare(text.substr(7));
    } else {
        hash = parseBare(text);
    }
    if (!hash) {
        throw ParseError("invalid sha256 hash " + quote(std::string(text)) +
                         ": expected SRI (sha256-<base64>), 64 hex digits or 52 Nix base32 "
                         "characters");
    }
    return *hash;
}

struct Sha256::Impl {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    ~Impl() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
    if (impl_->context == nullptr ||
        EVP_DigestInit_ex(impl_->context, EVP_sha256(), nullptr) != 1) {
        throw Error("OpenSSL: cannot initialise SHA-256");
    }
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t length) {
    EVP_DigestUpdate(impl_->context, data, length);
}

Hash Sha256::finish() {
    Hash hash;
    unsigned int length = 0;
    EVP_DigestFinal_ex(impl_->context, hash.bytes.data(), &length);
    return hash;
}

Hash sha256(std::string_view data) {
    Sha256 hasher;
    hasher.update(data);
    return hasher.finish();
}

Hash sha256File(const std::filesystem::path& path) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throwSystemError("cannot open", path.string());
    Sha256 hasher;
    readChunks(fd.get(), path, [&](std::string_view chunk) { hasher.update(chunk); });
    return hasher.finish();
}

} // namespace xenbuild::util
