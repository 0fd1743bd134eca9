// OpenPGP signing through gpgme (signing.hpp), in a private temporary keyring with its own
// gpg-agent (gpgme_support.hpp).

#include "xenbuild/fetch/signing.hpp"

#include "gpgme_support.hpp"
#include "xenbuild/util/error.hpp"

#include <vector>

namespace xenbuild::fetch {

namespace {

// Hands the key's passphrase to gpg-agent through gpgme's loopback pinentry.
gpgme_error_t passphraseCallback(void* hook, const char* /*uidHint*/, const char* /*info*/,
                                 int previousWasBad, int fd) {
    const auto* passphrase = static_cast<const std::string*>(hook);
    if (previousWasBad != 0 || passphrase->empty()) return gpg_error(GPG_ERR_BAD_PASSPHRASE);
    const std::string line = *passphrase + "\n";
    if (gpgme_io_writen(fd, line.data(), line.size()) != 0) return gpg_error(GPG_ERR_CANCELED);
    return GPG_ERR_NO_ERROR;
}

} // namespace

struct Signer::Impl {
    detail::TempHome home{true};
    std::string passphrase;
    std::string file; // for messages
    std::string fingerprint;
    std::string uid;

    detail::ContextPtr context() const {
        auto ctx = detail::newContext(home);
        gpgme_set_pinentry_mode(ctx.get(), GPGME_PINENTRY_MODE_LOOPBACK);
        gpgme_set_passphrase_cb(ctx.get(), passphraseCallback,
                                const_cast<std::string*>(&passphrase)); // only read
        return ctx;
    }

    // The one secret key of the keyring.
    detail::KeyPtr secretKey(gpgme_ctx_t ctx) const {
        if (auto err = gpgme_op_keylist_start(ctx, nullptr, 1))
            detail::throwGpgme("cannot list the keys of " + file, err);
        std::vector<detail::KeyPtr> keys;
        gpgme_key_t key = nullptr;
        while (gpgme_op_keylist_next(ctx, &key) == GPG_ERR_NO_ERROR)
            keys.emplace_back(key);
        gpgme_op_keylist_end(ctx);
        if (keys.empty())
            throw SignatureError(file + " holds no secret key: export the signing key with "
                                        "`gpg --armor --export-secret-keys FINGERPRINT`");
        if (keys.size() > 1)
            throw SignatureError(file + " holds " + std::to_string(keys.size()) +
                                 " secret keys; give a file with the one key to sign with");
        return std::move(keys.front());
    }

    static void requireUsable(gpgme_key_t key, const std::string& what) {
        if (key->revoked != 0) throw SignatureError(what + " has been REVOKED: it cannot sign");
        if (key->expired != 0) throw SignatureError(what + " has EXPIRED: it cannot sign");
        if (key->can_sign == 0) throw SignatureError(what + " has no usable signing (sub)key");
    }
};

Signer::Signer(const std::filesystem::path& keyFile, std::string passphrase)
    : impl_(std::make_unique<Impl>()) {
    detail::initGpgme();
    impl_->passphrase = std::move(passphrase);
    impl_->file = "key file " + quote(keyFile.string());
    auto ctx = impl_->context();
    detail::importKeyFile(ctx.get(), keyFile, impl_->file);
    const auto key = impl_->secretKey(ctx.get());
    impl_->fingerprint = key->fpr != nullptr ? key->fpr : "";
    impl_->uid = detail::uidOf(key.get());
    Impl::requireUsable(key.get(), "the key " + quote(impl_->fingerprint) + " of " + impl_->file);
}

Signer::~Signer() = default;

const std::string& Signer::fingerprint() const noexcept {
    return impl_->fingerprint;
}

const std::string& Signer::uid() const noexcept {
    return impl_->uid;
}

std::string Signer::signDetached(std::string_view data, bool armor, const std::string& what) const {
    auto ctx = impl_->context();
    gpgme_set_armor(ctx.get(), armor ? 1 : 0);
    gpgme_key_t raw = nullptr;
    if (auto err = gpgme_get_key(ctx.get(), impl_->fingerprint.c_str(), &raw, 1))
        detail::throwGpgme("cannot find the key " + quote(impl_->fingerprint), err);
    const detail::KeyPtr key(raw);
    if (auto err = gpgme_signers_add(ctx.get(), key.get()))
        detail::throwGpgme("cannot sign with the key " + quote(impl_->fingerprint), err);
    auto in = detail::memoryData(data, what);
    auto out = detail::outputData("the signature of " + what);
    if (auto err = gpgme_op_sign(ctx.get(), in.get(), out.get(), GPGME_SIG_MODE_DETACH)) {
        const bool passphraseProblem = gpgme_err_code(err) == GPG_ERR_BAD_PASSPHRASE ||
                                       gpgme_err_code(err) == GPG_ERR_NO_PASSPHRASE;
        detail::throwGpgme("cannot sign " + what + " with the key " + quote(impl_->fingerprint) +
                               (passphraseProblem ? " (its passphrase is missing or wrong)" : ""),
                           err);
    }
    gpgme_sign_result_t result = gpgme_op_sign_result(ctx.get());
    if (result == nullptr || result->signatures == nullptr || result->invalid_signers != nullptr)
        throw SignatureError("cannot sign " + what + " with the key " + quote(impl_->fingerprint) +
                             ": gpg made no signature");
    return detail::drain(out.get());
}

} // namespace xenbuild::fetch
