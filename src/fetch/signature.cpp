// OpenPGP verification through gpgme, against a private temporary keyring.
//
// The keyring lives in a fresh 0700 directory under a short temp path (gpg's socket paths are
// limited to about 108 bytes) and is handed to gpg through gpgme_ctx_set_engine_info, so the
// process environment and the user's ~/.gnupg are never touched. Its gpg.conf forbids starting
// gpg-agent or dirmngr: importing public keys and verifying need neither. Should a daemon run
// anyway, it is stopped with `gpgconf --homedir DIR --kill all` before the directory goes.

#include "xenbuild/fetch/signature.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/temp_dir.hpp"

#include <fcntl.h>
#include <gpgme.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace xenbuild::fetch {
namespace {

// Library initialisation only; holds no option of any kind.
void initGpgme() {
    static std::once_flag once;
    std::call_once(once, [] { gpgme_check_version(nullptr); });
}

struct ContextDeleter {
    void operator()(gpgme_ctx_t ctx) const noexcept { gpgme_release(ctx); }
};
struct DataDeleter {
    void operator()(gpgme_data_t data) const noexcept { gpgme_data_release(data); }
};
struct KeyDeleter {
    void operator()(gpgme_key_t key) const noexcept { gpgme_key_unref(key); }
};
using ContextPtr = std::unique_ptr<gpgme_context, ContextDeleter>;
using DataPtr = std::unique_ptr<gpgme_data, DataDeleter>;
using KeyPtr = std::unique_ptr<_gpgme_key, KeyDeleter>;

[[noreturn]] void throwGpgme(const std::string& what, gpgme_error_t err) {
    throw SignatureError(what + ": " + gpgme_strerror(err));
}

std::string formatTime(unsigned long seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buffer{};
    std::strftime(buffer.data(), buffer.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buffer.data();
}

std::filesystem::path shortTempBase() {
    // gpg refuses homedirs whose socket paths would be too long, so only a short TMPDIR is used.
    const char* tmp = std::getenv("TMPDIR");
    if (tmp != nullptr && tmp[0] == '/' && std::string_view(tmp).size() <= 48) return tmp;
    return "/tmp";
}

// Runs `gpgconf --homedir DIR --kill all` when gpg left a daemon socket in DIR.
void stopDaemons(const std::filesystem::path& home) noexcept {
    std::error_code ec;
    bool hasSocket = false;
    for (const auto& entry : std::filesystem::directory_iterator(home, ec))
        hasSocket = hasSocket || entry.is_socket(ec);
    const char* gpgconf = gpgme_get_dirinfo("gpgconf-name");
    if (!hasSocket || gpgconf == nullptr) return;
    const std::string homeText = home.string();
    std::array<const char*, 6> argv{gpgconf,  "--homedir", homeText.c_str(),
                                    "--kill", "all",       nullptr};
    std::array<const char*, 2> envp{"PATH=/usr/bin:/bin", nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    // posix_spawn's argv/envp are char* const[] for C compatibility; they are not modified.
    if (posix_spawn(&pid, gpgconf, &actions, nullptr, const_cast<char* const*>(argv.data()),
                    const_cast<char* const*>(envp.data())) == 0) {
        int status = 0;
        waitpid(pid, &status, 0);
    }
    posix_spawn_file_actions_destroy(&actions);
}

// gpgme double-forks gpg, so a gpg process may still be finishing (closing its trustdb, dropping
// lock files) after gpgme has returned its result. Removal is retried until the directory is
// gone, for at most about a second.
void removeWhenSettled(const std::filesystem::path& dir) noexcept {
    for (int attempt = 0; attempt < 50; ++attempt) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        if (!std::filesystem::exists(dir, ec)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// The private keyring directory: a util::TempDir (0700), removed with everything in it once
// gpg has let go of it.
class TempHome {
  public:
    TempHome() {
        std::ofstream conf(dir_ / "gpg.conf");
        conf << "no-autostart\nno-auto-key-retrieve\nno-auto-check-trustdb\n";
        if (!conf) throwSystemError("cannot write", (dir_ / "gpg.conf").string());
    }
    ~TempHome() {
        stopDaemons(dir_.path());
        removeWhenSettled(dir_.path());
    }
    TempHome(const TempHome&) = delete;
    TempHome& operator=(const TempHome&) = delete;
    const std::filesystem::path& path() const noexcept { return dir_.path(); }

  private:
    util::TempDir dir_{"xb-", shortTempBase()};
};

DataPtr memoryData(std::string_view bytes, const std::string& what) {
    gpgme_data_t data = nullptr;
    if (auto err = gpgme_data_new_from_mem(&data, bytes.data(), bytes.size(), 0))
        throwGpgme("cannot buffer " + what, err);
    return DataPtr(data);
}

std::string drain(gpgme_data_t data) {
    gpgme_data_seek(data, 0, SEEK_SET);
    std::string text;
    std::array<char, 8192> buffer{};
    for (;;) {
        const auto n = gpgme_data_read(data, buffer.data(), buffer.size());
        if (n <= 0) break;
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return text;
}

bool isHex(std::string_view text) {
    for (char c : text)
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
    return true;
}

std::string keyName(const char* fpr) {
    return quote(fpr != nullptr ? fpr : "(unknown)");
}

std::string uidOf(gpgme_key_t key) {
    return key->uids != nullptr && key->uids->uid != nullptr ? key->uids->uid : "";
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
    TempHome home;
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
    gpgme_ctx_t raw = nullptr;
    if (auto err = gpgme_new(&raw)) throwGpgme("cannot create a gpgme context", err);
    ContextPtr ctx(raw);
    const std::string dir = home.path().string();
    if (auto err = gpgme_set_protocol(raw, GPGME_PROTOCOL_OpenPGP))
        throwGpgme("gpgme has no OpenPGP engine (is gpg installed?)", err);
    if (auto err = gpgme_ctx_set_engine_info(raw, GPGME_PROTOCOL_OpenPGP, nullptr, dir.c_str()))
        throwGpgme("cannot use keyring directory " + quote(dir), err);
    gpgme_set_offline(raw, 1);
    return ctx;
}

void SignatureVerifier::Impl::importKeys(const std::filesystem::path& file) const {
    const std::string what = "key file " + quote(file.string());
    const std::string armored =
        util::readRegularFile(file, {.what = "key file", .maxBytes = 16 * util::kMiB});
    auto ctx = newContext();
    auto data = memoryData(armored, what);
    if (auto err = gpgme_op_import(ctx.get(), data.get())) throwGpgme("cannot import " + what, err);
    gpgme_import_result_t result = gpgme_op_import_result(ctx.get());
    if (result == nullptr || (result->considered == 0 && result->new_revocations == 0))
        throw SignatureError("cannot import " + what +
                             ": it holds no OpenPGP public key or revocation certificate");
    const bool changedNothing = result->imported == 0 && result->unchanged == 0 &&
                                result->new_revocations == 0 && result->new_signatures == 0 &&
                                result->new_sub_keys == 0 && result->new_user_ids == 0;
    if (changedNothing)
        throw SignatureError("nothing could be imported from " + what +
                             " (list a revocation certificate after the key it revokes)");
    for (auto status = result->imports; status != nullptr; status = status->next)
        if (status->result != GPG_ERR_NO_ERROR)
            throwGpgme("cannot import key " + keyName(status->fpr) + " from " + what,
                       status->result);
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
    initGpgme();
    std::string trusted = normaliseFingerprint(trustedFingerprint);
    impl_ = std::make_unique<Impl>();
    impl_->trusted = std::move(trusted);
    for (const auto& file : keyFiles)
        impl_->importKeys(file);
    impl_->requireTrustedKey(keyFiles);
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
    gpgme_data_t plainRaw = nullptr;
    if (auto err = gpgme_data_new(&plainRaw)) throwGpgme("cannot buffer " + what, err);
    DataPtr plain(plainRaw);
    if (auto err = gpgme_op_verify(ctx.get(), sigData.get(), nullptr, plain.get())) {
        if (gpgme_err_code(err) == GPG_ERR_NO_DATA)
            throw SignatureError(what + " is not signed: no valid OpenPGP signature found");
        throwGpgme("cannot verify the signature of " + what, err);
    }
    SignatureInfo info = impl_->accept(ctx.get(), what, armourHashes(message.substr(start)));
    return VerifiedText{drain(plain.get()), std::move(info)};
}

} // namespace xenbuild::fetch
