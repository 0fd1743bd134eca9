#pragma once
// What signature.cpp (verifying) and signing.cpp (signing) share of gpgme: handles, the private
// temporary keyring directory, buffers. Private to the fetch module, which owns gpgme.
//
// The keyring lives in a fresh 0700 directory under a short temp path (gpg's socket paths are
// limited to about 108 bytes) and is handed to gpg through gpgme_ctx_set_engine_info, so the
// process environment and the user's ~/.gnupg are never touched. Verifying needs no daemon: its
// gpg.conf forbids starting gpg-agent or dirmngr. Signing needs gpg-agent (it holds secret
// keys); it is stopped with `gpgconf --homedir DIR --kill all` before the directory goes.

#include "xenbuild/util/temp_dir.hpp"

#include <gpgme.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace xenbuild::fetch::detail {

// Library initialisation only; holds no option of any kind.
void initGpgme();

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

// Throws SignatureError "<what>: <gpgme's message>".
[[noreturn]] void throwGpgme(const std::string& what, gpgme_error_t err);

// The private keyring directory: a util::TempDir (0700), removed with everything in it once gpg
// has let go of it. `withAgent`: gpg may start gpg-agent (signing); it is always stopped.
class TempHome {
  public:
    explicit TempHome(bool withAgent = false);
    ~TempHome();
    TempHome(const TempHome&) = delete;
    TempHome& operator=(const TempHome&) = delete;
    const std::filesystem::path& path() const noexcept { return dir_.path(); }

  private:
    util::TempDir dir_;
    bool withAgent_;
};

// An OpenPGP context on the keyring in `home`, offline.
ContextPtr newContext(const TempHome& home);

// A gpgme buffer over `bytes` (not copied: they must outlive it); `what` names them in errors.
DataPtr memoryData(std::string_view bytes, const std::string& what);
// An empty gpgme buffer for output.
DataPtr outputData(const std::string& what);
// Everything a gpgme buffer holds.
std::string drain(gpgme_data_t data);

// Imports an armored or binary key file into `ctx`'s keyring; `what` names it in errors. Throws
// SignatureError when it holds nothing importable or a key cannot be imported.
void importKeyFile(gpgme_ctx_t ctx, const std::filesystem::path& file, const std::string& what);

// 'FINGERPRINT' for messages ("'(unknown)'" for none).
std::string keyName(const char* fpr);
// The key's primary user id, "" when it has none.
std::string uidOf(gpgme_key_t key);

} // namespace xenbuild::fetch::detail
