#pragma once
// Test support for signature tests: running gpg and git with a clean environment, and a set of
// ed25519 test keys generated once per test binary run under a short private GNUPGHOME.

#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace xenbuild::testing {

struct TestKey {
    std::string fingerprint;         // primary key
    std::filesystem::path publicKey; // armored export
};

class GpgFixture {
  public:
    // Generated on first use, removed (agent stopped) when the test binary exits.
    static const GpgFixture& instance();

    TestKey signer;  // primary [SC] plus a signing subkey (signatures use the subkey)
    TestKey other;   // a second, unrelated key
    TestKey expired; // created 2020-01-01, expired 2020-01-02: sign with `pastSigner()`
    TestKey old;     // created 2020-01-01, never expires: for signatures that expire
    TestKey revoked; // valid until `revocation` is imported next to it
    std::filesystem::path revocation; // armored revocation certificate for `revoked`

    // Environment for gpg and git: clean PATH, HOME, GNUPGHOME, git identity, no system config.
    std::vector<std::string> env() const;
    // A gpg wrapper that signs as of 2020-01-01 12:00 UTC (for git's gpg.program).
    std::filesystem::path pastSigner() const { return pastSigner_; }

    // gpg --armor --detach-sign with `key`; extra options go before the file.
    std::string detachSign(const TestKey& key, const std::string& data,
                           const std::vector<std::string>& extra = {}) const;
    std::string clearSign(const TestKey& key, const std::string& text) const;

    // Runs gpg/git with env(); throws std::runtime_error with stderr when it fails.
    std::string gpg(std::vector<std::string> args) const;
    std::string git(const std::filesystem::path& repo, std::vector<std::string> args) const;

    ~GpgFixture();
    GpgFixture(const GpgFixture&) = delete;
    GpgFixture& operator=(const GpgFixture&) = delete;

  private:
    GpgFixture();
    TestKey generate(const std::string& name, const std::vector<std::string>& options,
                     const std::string& expiry);

    TempDir dir_;
    std::filesystem::path home_;
    std::filesystem::path pastSigner_;
};

// A git repository with one commit, for tag tests.
void makeRepo(const GpgFixture& gpg, const std::filesystem::path& repo);

} // namespace xenbuild::testing
