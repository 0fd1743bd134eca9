// OpenPGP verification through gpgme, against a private temporary keyring (gpgme_support.hpp):
// importing public keys and verifying need neither gpg-agent nor dirmngr.

#include "xenbuild/fetch/signature.hpp"

#include "gpgme_support.hpp"
#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace xenbuild::fetch {
namespace {

using detail::ContextPtr;
using detail::DataPtr;
using detail::keyName;
using detail::KeyPtr;
using detail::memoryData;
using detail::throwGpgme;
using detail::uidOf;

std::string formatTime(unsigned long seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buffer{};
    std::strftime(buffer.data(), buffer.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buffer.data();
}

bool isHex(std::string_view text) {
    for (char c : text)
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
    return true;
}

// How many lines of `text` start with `marker`.
std::size_t countLineStarts(std::string_view text, std::string_view marker) {
    std::size_t count = 0;
    for (std::size_t pos = text.find(marker); pos != std::string_view::npos;
         pos = text.find(marker, pos + 1))
        if (pos == 0 || text[pos - 1] == '\n') ++count;
    return count;
}

bool isBlank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The algorithms a clear-signed message's "Hash:" armour headers declare (the header lines
// between the BEGIN line and the first empty line), as written: "SHA1", "SHA256".
std::vector<std::string> armourHashes(std::string_view message) {
    std::vector<std::string> hashes;
    std::size_t pos = message.find('\n');
    while (pos != std::string_view::npos && pos + 1 < message.size()) {
        const std::size_t end = std::min(message.find('\n', pos + 1), message.size());
        std::string_view line = message.substr(pos + 1, end - pos - 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (line.starts_with("Hash: ")) {
            line.remove_prefix(6);
            for (std::size_t from = 0; from <= line.size();) {
                const std::size_t comma = std::min(line.find(',', from), line.size());
                const auto name = line.substr(from, comma - from);
                const auto first = name.find_first_not_of(' ');
                if (first != std::string_view::npos)
                    hashes.emplace_back(name.substr(first, name.find_last_not_of(' ') + 1 - first));
                from = comma + 1;
            }
        }
        pos = end;
    }
    return hashes;
}

std::string joinHashes(const std::vector<std::string>& hashes) {
    std::string text;
    for (const auto& hash : hashes)
        text += (text.empty() ? "" : ",") + hash;
    return text;
}

} // namespace

std::string normaliseFingerprint(std::string_view fingerprint) {
    std::string result;
    for (char c : fingerprint)
        if (c != ' ') result += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (result.size() != 40 || !isHex(result))
        throw SignatureError("invalid key fingerprint " + quote(std::string(fingerprint)) +
                             ": expected 40 hex digits (a full OpenPGP v4 fingerprint)");
    return result;
}

struct SignatureVerifier::Impl {
    detail::TempHome home;
    std::string trusted;

    ContextPtr newContext() const;
    void importKeys(const std::filesystem::path& file) const;
    void requireTrustedKey(const std::vector<std::filesystem::path>& keyFiles) const;
    KeyPtr findKey(gpgme_ctx_t ctx, const char* fpr) const;
    std::string rejection(gpgme_ctx_t ctx, gpgme_signature_t sig, const std::string& what,
                          const std::vector<std::string>& declaredHashes) const;
    SignatureInfo accept(gpgme_ctx_t ctx, const std::string& what,
                         const std::vector<std::string>& declaredHashes = {}) const;
};

ContextPtr SignatureVerifier::Impl::newContext() const {
    return detail::newContext(home);
}

void SignatureVerifier::Impl::importKeys(const std::filesystem::path& file) const {
    auto ctx = newContext();
    detail::importKeyFile(ctx.get(), file, "key file " + quote(file.string()));
}

KeyPtr SignatureVerifier::Impl::findKey(gpgme_ctx_t ctx, const char* fpr) const {
    gpgme_key_t key = nullptr;
    if (fpr == nullptr || gpgme_get_key(ctx, fpr, &key, 0) != GPG_ERR_NO_ERROR) return nullptr;
    return KeyPtr(key);
}

void SignatureVerifier::Impl::requireTrustedKey(
    const std::vector<std::filesystem::path>& keyFiles) const {
    auto ctx = newContext();
    auto key = findKey(ctx.get(), trusted.c_str());
    if (key != nullptr && key->fpr != nullptr && trusted == key->fpr) return;
    std::string files;
    for (const auto& file : keyFiles)
        files += (files.empty() ? "" : ", ") + quote(file.string());
    if (key != nullptr)
        throw SignatureError("trusted fingerprint " + quote(trusted) + " is a subkey of " +
                             keyName(key->fpr) + "; trust the primary key's fingerprint");
    throw SignatureError("the trusted key " + quote(trusted) + " is not in the key file(s) " +
                         (files.empty() ? std::string("(none given)") : files) +
                         ": add its armored public key");
}

// Why `sig` is not acceptable, or "" when it is a good signature by the trusted key.
std::string
SignatureVerifier::Impl::rejection(gpgme_ctx_t ctx, gpgme_signature_t sig, const std::string& what,
                                   const std::vector<std::string>& declaredHashes) const {
    const auto status = gpgme_err_code(sig->status);
    auto key = findKey(ctx, sig->fpr);
    // gpg names a bad signature's key by its 64-bit id; name it by its fingerprint when known.
    const std::string signer =
        key != nullptr && status == GPG_ERR_BAD_SIGNATURE ? keyName(key->fpr) : keyName(sig->fpr);
    if (status == GPG_ERR_NO_PUBKEY || (sig->summary & GPGME_SIGSUM_KEY_MISSING) != 0)
        return what + " is signed by key " + signer + ", which is not in the keyring: only " +
               quote(trusted) + " is trusted";
    if (status == GPG_ERR_BAD_SIGNATURE || (sig->summary & GPGME_SIGSUM_RED) != 0)
        return what + " has a BAD signature from key " + signer +
               ": the signed content was modified after signing";
    if (key == nullptr || key->fpr == nullptr || trusted != key->fpr)
        return what + " is signed by key " + (key != nullptr ? keyName(key->fpr) : signer) +
               (key != nullptr ? " (" + uidOf(key.get()) + ")" : "") + ", not by the trusted key " +
               quote(trusted);
    if (status == GPG_ERR_CERT_REVOKED || (sig->summary & GPGME_SIGSUM_KEY_REVOKED) != 0)
        return what + " is signed by key " + signer +
               ", which has been REVOKED: its owner withdrew it; do not trust this signature";
    if (status == GPG_ERR_KEY_EXPIRED || (sig->summary & GPGME_SIGSUM_KEY_EXPIRED) != 0)
        return what + " is signed by key " + signer +
               ", which has EXPIRED: import the key's current version (with its extended "
               "expiry) into the key file";
    if (status == GPG_ERR_SIG_EXPIRED || (sig->summary & GPGME_SIGSUM_SIG_EXPIRED) != 0)
        return what + " has a signature made " + formatTime(sig->timestamp) + " that EXPIRED on " +
               formatTime(sig->exp_timestamp);
    if (const char* digest = gpgme_hash_algo_name(sig->hash_algo);
        status == GPG_ERR_GENERAL && digest != nullptr && !declaredHashes.empty() &&
        std::find(declaredHashes.begin(), declaredHashes.end(), digest) == declaredHashes.end())
        return what + " has the armour header 'Hash: " + joinHashes(declaredHashes) +
               "', but its signature uses " + digest +
               ": the header was changed after signing (gpg: signature digest conflict)";
    if (status != GPG_ERR_NO_ERROR)
        return what + ": the signature by key " + signer +
               " cannot be verified: " + gpgme_strerror(sig->status);
    return "";
}

SignatureInfo
SignatureVerifier::Impl::accept(gpgme_ctx_t ctx, const std::string& what,
                                const std::vector<std::string>& declaredHashes) const {
    gpgme_verify_result_t result = gpgme_op_verify_result(ctx);
    if (result == nullptr || result->signatures == nullptr)
        throw SignatureError(what + " is not signed: no OpenPGP signature found");
    std::string firstProblem;
    for (gpgme_signature_t sig = result->signatures; sig != nullptr; sig = sig->next) {
        std::string problem = rejection(ctx, sig, what, declaredHashes);
        if (problem.empty()) {
            auto key = findKey(ctx, sig->fpr);
            const char* digest = gpgme_hash_algo_name(sig->hash_algo);
            return SignatureInfo{.fingerprint = trusted,
                                 .signingFingerprint = sig->fpr,
                                 .uid = uidOf(key.get()),
                                 .time = std::chrono::sys_seconds(std::chrono::seconds(
                                     static_cast<std::int64_t>(sig->timestamp))),
                                 .digest = digest != nullptr ? digest : ""};
        }
        if (firstProblem.empty()) firstProblem = std::move(problem);
    }
    throw SignatureError(firstProblem);
}

SignatureVerifier::SignatureVerifier(const std::vector<std::filesystem::path>& keyFiles,
                                     std::string_view trustedFingerprint) {
    detail::initGpgme();
    std::string trusted = normaliseFingerprint(trustedFingerprint);
    impl_ = std::make_unique<Impl>();
    impl_->trusted = std::move(trusted);
    for (const auto& file : keyFiles)
        impl_->importKeys(file);
    impl_->requireTrustedKey(keyFiles);
}

SignatureVerifier::SignatureVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SignatureVerifier SignatureVerifier::trustingKeyFile(const std::filesystem::path& keyFile) {
    detail::initGpgme();
    auto impl = std::make_unique<Impl>();
    impl->importKeys(keyFile);
    auto ctx = impl->newContext();
    if (auto err = gpgme_op_keylist_start(ctx.get(), nullptr, 0))
        throwGpgme("cannot list the keys of " + quote(keyFile.string()), err);
    std::vector<std::string> fingerprints;
    gpgme_key_t key = nullptr;
    while (gpgme_op_keylist_next(ctx.get(), &key) == GPG_ERR_NO_ERROR) {
        const KeyPtr owned(key);
        if (owned->fpr != nullptr) fingerprints.emplace_back(owned->fpr);
    }
    gpgme_op_keylist_end(ctx.get());
    if (fingerprints.size() != 1)
        throw SignatureError("key file " + quote(keyFile.string()) + " holds " +
                             std::to_string(fingerprints.size()) +
                             " public keys; give a file with the one key to trust");
    impl->trusted = normaliseFingerprint(fingerprints.front());
    return SignatureVerifier(std::move(impl));
}

SignatureVerifier xenProjectVerifier(const std::filesystem::path& dataDir) {
    return SignatureVerifier({dataDir / kXenSigningKeyFile}, kXenSigningKeyFingerprint);
}

SignatureVerifier::~SignatureVerifier() = default;
SignatureVerifier::SignatureVerifier(SignatureVerifier&&) noexcept = default;
SignatureVerifier& SignatureVerifier::operator=(SignatureVerifier&&) noexcept = default;

const std::string& SignatureVerifier::trustedFingerprint() const noexcept {
    return impl_->trusted;
}

const std::filesystem::path& SignatureVerifier::keyringDirectory() const noexcept {
    return impl_->home.path();
}

SignatureInfo SignatureVerifier::verifyDetached(std::string_view data, std::string_view signature,
                                                const std::string& what) const {
    if (isBlank(signature)) throw SignatureError(what + " is not signed: the signature is empty");
    auto ctx = impl_->newContext();
    auto sigData = memoryData(signature, "the signature of " + what);
    auto signedData = memoryData(data, what);
    if (auto err = gpgme_op_verify(ctx.get(), sigData.get(), signedData.get(), nullptr)) {
        if (gpgme_err_code(err) == GPG_ERR_NO_DATA)
            throw SignatureError(what + " is not signed: its signature holds no OpenPGP data");
        throwGpgme("cannot verify the signature of " + what, err);
    }
    return impl_->accept(ctx.get(), what);
}

VerifiedText SignatureVerifier::verifyClearsigned(std::string_view message,
                                                  const std::string& what) const {
    static constexpr std::string_view begin = "-----BEGIN PGP SIGNED MESSAGE-----";
    static constexpr std::string_view end = "-----END PGP SIGNATURE-----";
    const auto start = message.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos || message.substr(start, begin.size()) != begin)
        throw SignatureError(what + " is not signed: it does not start with " +
                             quote(std::string(begin)));
    if (countLineStarts(message, begin) != 1)
        throw SignatureError(what +
                             " holds more than one clear-signed block; expected exactly one");
    const auto last = message.rfind(end);
    if (last == std::string_view::npos || countLineStarts(message, "-----BEGIN PGP SIGNATURE") == 0)
        throw SignatureError(what + " is not signed: its signature block is missing (stripped "
                                    "or truncated)");
    if (!isBlank(message.substr(last + end.size())))
        throw SignatureError(what + " has unsigned text after its signature block");
    auto ctx = impl_->newContext();
    auto sigData = memoryData(message, what);
    DataPtr plain = detail::outputData(what);
    if (auto err = gpgme_op_verify(ctx.get(), sigData.get(), nullptr, plain.get())) {
        if (gpgme_err_code(err) == GPG_ERR_NO_DATA)
            throw SignatureError(what + " is not signed: no valid OpenPGP signature found");
        throwGpgme("cannot verify the signature of " + what, err);
    }
    SignatureInfo info = impl_->accept(ctx.get(), what, armourHashes(message.substr(start)));
    return VerifiedText{detail::drain(plain.get()), std::move(info)};
}

} // namespace xenbuild::fetch
