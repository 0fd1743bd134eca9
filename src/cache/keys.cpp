// Ed25519 through OpenSSL's EVP interface. The one file of the cache module that uses OpenSSL.

#include "xenbuild/cache/keys.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/hash.hpp"

#include <openssl/evp.h>

#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::cache {

namespace {

struct KeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct ContextDeleter {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using KeyHandle = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using ContextHandle = std::unique_ptr<EVP_MD_CTX, ContextDeleter>;

std::pair<std::string, std::string> splitKey(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) return {};
    return {text.substr(0, colon), text.substr(colon + 1)};
}

std::string trimmedKey(const std::string& text) {
    const auto end = text.find_last_not_of(" \t\r\n");
    const auto begin = text.find_first_not_of(" \t\r\n");
    return end == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

} // namespace

void checkKeyName(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 128;
    for (const char c : name)
        ok = ok && c != ':' && static_cast<unsigned char>(c) > ' ' && c != 0x7F;
    if (!ok) {
        throw UsageError("invalid key name " + quote(name) +
                         ": use letters, digits and punctuation other than ':', e.g. "
                         "cache.example.org-1");
    }
}

PublicKey PublicKey::parse(const std::string& text) {
    const auto [name, data] = splitKey(trimmedKey(text));
    const auto bytes = util::fromBase64(data);
    bool nameOk = !name.empty();
    for (const char c : name)
        nameOk = nameOk && static_cast<unsigned char>(c) > ' ';
    if (!nameOk || !bytes || bytes->size() != 32) {
        throw ParseError("invalid public key " + quote(text) +
                         ": expected NAME:BASE64 of an Ed25519 public key (32 bytes), as "
                         "`xenbuild cache keygen` writes to NAME.pub");
    }
    PublicKey key;
    key.name = name;
    std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
    return key;
}

std::string PublicKey::toString() const {
    return name + ":" + util::toBase64(bytes.data(), bytes.size());
}

bool PublicKey::verifies(const std::string& message, const std::string& signature) const {
    const auto [signer, data] = splitKey(signature);
    if (signer != name) return false;
    const auto sig = util::fromBase64(data);
    if (!sig || sig->size() != 64) return false;
    KeyHandle key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes.data(), bytes.size()));
    ContextHandle context(EVP_MD_CTX_new());
    if (!key || !context) return false;
    if (EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
        return false;
    }
    return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(sig->data()),
                            sig->size(), reinterpret_cast<const unsigned char*>(message.data()),
                            message.size()) == 1;
}

SecretKey SecretKey::generate(const std::string& name) {
    checkKeyName(name);
    EVP_PKEY* raw = nullptr;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
        EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
    if (!context || EVP_PKEY_keygen_init(context.get()) != 1 ||
        EVP_PKEY_keygen(context.get(), &raw) != 1) {
        throw Error("cannot generate an Ed25519 key (OpenSSL failed)");
    }
    const KeyHandle key(raw);
    SecretKey secret;
    secret.name = name;
    std::size_t length = 32;
    std::size_t publicLength = 32;
    if (EVP_PKEY_get_raw_private_key(key.get(), secret.bytes.data(), &length) != 1 ||
        EVP_PKEY_get_raw_public_key(key.get(), secret.bytes.data() + 32, &publicLength) != 1 ||
        length != 32 || publicLength != 32) {
        throw Error("cannot read the generated Ed25519 key (OpenSSL failed)");
    }
    return secret;
}

SecretKey SecretKey::parse(const std::string& text, const std::string& origin) {
    const auto [name, data] = splitKey(trimmedKey(text));
    const auto bytes = util::fromBase64(data);
    if (name.empty() || !bytes || bytes->size() != 64) {
        throw ParseError("invalid secret key in " + quote(origin) +
                         ": expected NAME:BASE64 of an Ed25519 secret key (64 bytes), as "
                         "`xenbuild cache keygen` writes to NAME.sec");
    }
    SecretKey key;
    key.name = name;
    std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
    return key;
}

SecretKey SecretKey::load(const fs::path& file) {
    return parse(util::readRegularFile(file, {.what = "secret key file", .maxBytes = 64 * 1024}),
                 file.string());
}

std::string SecretKey::toString() const {
    return name + ":" + util::toBase64(bytes.data(), bytes.size());
}

PublicKey SecretKey::publicKey() const {
    PublicKey key;
    key.name = name;
    std::copy(bytes.begin() + 32, bytes.end(), key.bytes.begin());
    return key;
}

std::string SecretKey::sign(const std::string& message) const {
    KeyHandle key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes.data(), 32));
    ContextHandle context(EVP_MD_CTX_new());
    std::array<unsigned char, 64> signature{};
    std::size_t length = signature.size();
    if (!key || !context ||
        EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
        EVP_DigestSign(context.get(), signature.data(), &length,
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1 ||
        length != signature.size()) {
        throw SignatureError("cannot sign with key " + quote(name) + " (OpenSSL failed)");
    }
    return name + ":" + util::toBase64(signature.data(), signature.size());
}

std::pair<fs::path, fs::path> writeKeyPair(const std::string& name, const fs::path& dir) {
    checkKeyName(name);
    const SecretKey secret = SecretKey::generate(name);
    const fs::path secretFile = dir / (name + ".sec");
    const fs::path publicFile = dir / (name + ".pub");
    for (const auto& file : {secretFile, publicFile}) {
        std::error_code ec;
        if (fs::exists(fs::symlink_status(file, ec))) {
            throw UsageError(quote(file.string()) +
                             " already exists; remove it or choose another key name");
        }
    }
    auto write = [](const fs::path& file, const std::string& text, mode_t mode) {
        const util::Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
        if (!fd.valid()) throwSystemError("cannot create", file.string());
        if (::fchmod(fd.get(), mode) != 0)
            throwSystemError("cannot set the mode of", file.string());
        util::writeAll(fd.get(), text, file);
        if (::fsync(fd.get()) != 0) throwSystemError("cannot write", file.string());
    };
    write(secretFile, secret.toString() + "\n", 0600);
    write(publicFile, secret.publicKey().toString() + "\n", 0644);
    return {secretFile, publicFile};
}

const PublicKey* trustedSigner(const std::vector<PublicKey>& keys,
                               const std::vector<std::string>& sigs,
                               const std::string& fingerprint) {
    for (const auto& key : keys) {
        for (const auto& sig : sigs) {
            if (key.verifies(fingerprint, sig)) return &key;
        }
    }
    return nullptr;
}

} // namespace xenbuild::cache
