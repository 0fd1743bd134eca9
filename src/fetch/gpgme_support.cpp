// gpgme handles, buffers and the private temporary keyring (gpgme_support.hpp).

#include "gpgme_support.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

namespace xenbuild::fetch::detail {

namespace {

std::filesystem::path shortTempBase() {
    // gpg refuses homedirs whose socket paths would be too long, so only a short TMPDIR is used.
    const char* tmp = std::getenv("TMPDIR");
    if (tmp != nullptr && tmp[0] == '/' && std::string_view(tmp).size() <= 48) return tmp;
    return "/tmp";
}

// Runs `gpgconf --homedir DIR --kill all` when gpg may have left a daemon for DIR: always with
// `force`, else when DIR holds a socket.
void stopDaemons(const std::filesystem::path& home, bool force) noexcept {
    std::error_code ec;
    bool hasSocket = force;
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

} // namespace

void initGpgme() {
    static std::once_flag once;
    std::call_once(once, [] { gpgme_check_version(nullptr); });
}

void throwGpgme(const std::string& what, gpgme_error_t err) {
    throw SignatureError(what + ": " + gpgme_strerror(err));
}

TempHome::TempHome(bool withAgent) : dir_("xb-", shortTempBase()), withAgent_(withAgent) {
    std::ofstream conf(dir_ / "gpg.conf");
    conf << (withAgent ? "" : "no-autostart\n") << "no-auto-key-retrieve\nno-auto-check-trustdb\n";
    if (!conf) throwSystemError("cannot write", (dir_ / "gpg.conf").string());
    if (withAgent) {
        // The passphrase of a key comes from the caller (loopback), never from a pinentry.
        std::ofstream agent(dir_ / "gpg-agent.conf");
        agent << "allow-loopback-pinentry\n";
        if (!agent) throwSystemError("cannot write", (dir_ / "gpg-agent.conf").string());
    }
}

TempHome::~TempHome() {
    stopDaemons(dir_.path(), withAgent_);
    removeWhenSettled(dir_.path());
}

ContextPtr newContext(const TempHome& home) {
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

DataPtr memoryData(std::string_view bytes, const std::string& what) {
    gpgme_data_t data = nullptr;
    if (auto err = gpgme_data_new_from_mem(&data, bytes.data(), bytes.size(), 0))
        throwGpgme("cannot buffer " + what, err);
    return DataPtr(data);
}

DataPtr outputData(const std::string& what) {
    gpgme_data_t data = nullptr;
    if (auto err = gpgme_data_new(&data)) throwGpgme("cannot buffer " + what, err);
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

void importKeyFile(gpgme_ctx_t ctx, const std::filesystem::path& file, const std::string& what) {
    const std::string armored =
        util::readRegularFile(file, {.what = "key file", .maxBytes = 16 * util::kMiB});
    auto data = memoryData(armored, what);
    if (auto err = gpgme_op_import(ctx, data.get())) throwGpgme("cannot import " + what, err);
    gpgme_import_result_t result = gpgme_op_import_result(ctx);
    if (result == nullptr || (result->considered == 0 && result->new_revocations == 0))
        throw SignatureError("cannot import " + what +
                             ": it holds no OpenPGP public key or revocation certificate");
    const bool changedNothing = result->imported == 0 && result->unchanged == 0 &&
                                result->new_revocations == 0 && result->new_signatures == 0 &&
                                result->new_sub_keys == 0 && result->new_user_ids == 0 &&
                                result->secret_imported == 0;
    if (changedNothing)
        throw SignatureError("nothing could be imported from " + what +
                             " (list a revocation certificate after the key it revokes)");
    for (auto status = result->imports; status != nullptr; status = status->next)
        if (status->result != GPG_ERR_NO_ERROR)
            throwGpgme("cannot import key " + keyName(status->fpr) + " from " + what,
                       status->result);
}

std::string keyName(const char* fpr) {
    return quote(fpr != nullptr ? fpr : "(unknown)");
}

std::string uidOf(gpgme_key_t key) {
    return key->uids != nullptr && key->uids->uid != nullptr ? key->uids->uid : "";
}

} // namespace xenbuild::fetch::detail
