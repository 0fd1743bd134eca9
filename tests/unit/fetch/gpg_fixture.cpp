#include "unit/fetch/gpg_fixture.hpp"
#include "support/files.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace xenbuild::testing {
namespace {

std::string fingerprintOf(const std::string& colons) {
    // The first "fpr" record after "pub" is the primary key's fingerprint.
    std::istringstream in(colons);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("fpr:", 0) == 0) {
            const auto end = line.rfind(':', line.size() - 2);
            return line.substr(end + 1, 40);
        }
    throw std::runtime_error("no fingerprint in gpg output: " + colons);
}

} // namespace

const GpgFixture& GpgFixture::instance() {
    static const GpgFixture fixture; // test support only: one key set per test run
    return fixture;
}

GpgFixture::GpgFixture() : home_(dir_.path() / "g") {
    std::filesystem::create_directory(home_);
    std::filesystem::permissions(home_, std::filesystem::perms::owner_all);
    pastSigner_ = dir_.path() / "gpg-2020";
    writeFile(pastSigner_, "#!/bin/sh\nexec /usr/bin/gpg --faked-system-time 20200101T120000 "
                           "\"$@\"\n");
    std::filesystem::permissions(pastSigner_, std::filesystem::perms::owner_all);

    signer = generate("Xen Test Signer <signer@example.org>", {}, "never");
    gpg({"--quick-add-key", signer.fingerprint, "ed25519", "sign", "never"});
    gpg({"--armor", "--output", signer.publicKey.string(), "--export", signer.fingerprint});
    other = generate("Other Signer <other@example.org>", {}, "never");
    const std::vector<std::string> past{"--faked-system-time", "20200101T000000"};
    expired = generate("Expired Signer <expired@example.org>", past, "1d");
    old = generate("Old Signer <old@example.org>", past, "never");
    revoked = generate("Revoked Signer <revoked@example.org>", {}, "never");
    // gpg stores a revocation certificate per new key; its armor line is escaped with ':'.
    std::string cert =
        xenbuild::testing::readFile(home_ / "openpgp-revocs.d" / (revoked.fingerprint + ".rev"));
    const auto armor = cert.find(":-----BEGIN PGP PUBLIC KEY BLOCK-----");
    cert = cert.substr(armor + 1);
    revocation = dir_.path() / "revoked.rev";
    writeFile(revocation, cert);
}

GpgFixture::~GpgFixture() {
    runProgram({"/usr/bin/gpgconf", "--homedir", home_.string(), "--kill", "all"}, env());
}

TestKey GpgFixture::generate(const std::string& name, const std::vector<std::string>& options,
                             const std::string& expiry) {
    std::vector<std::string> args = options;
    for (const char* arg : {"--quick-gen-key", name.c_str(), "ed25519", "sign", expiry.c_str()})
        args.emplace_back(arg);
    gpg(args);
    const std::string email = name.substr(name.find('<'));
    TestKey key{fingerprintOf(gpg({"--with-colons", "--list-keys", email})), {}};
    key.publicKey = dir_.path() / (key.fingerprint + ".asc");
    gpg({"--armor", "--output", key.publicKey.string(), "--export", key.fingerprint});
    return key;
}

std::vector<std::string> GpgFixture::env() const {
    return {"PATH=/usr/bin:/bin",
            "HOME=" + dir_.path().string(),
            "GNUPGHOME=" + home_.string(),
            "GIT_CONFIG_NOSYSTEM=1",
            "GIT_AUTHOR_NAME=Test",
            "GIT_AUTHOR_EMAIL=test@example.org",
            "GIT_COMMITTER_NAME=Test",
            "GIT_COMMITTER_EMAIL=test@example.org",
            "GIT_AUTHOR_DATE=2024-01-01T00:00:00Z",
            "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z",
            "TZ=UTC"};
}

std::string GpgFixture::gpg(std::vector<std::string> args) const {
    std::vector<std::string> argv{"/usr/bin/gpg",    "--batch",  "--quiet",      "--yes",
                                  "--pinentry-mode", "loopback", "--passphrase", ""};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = runProgram(argv, env());
    if (result.status != 0) throw std::runtime_error("gpg failed: " + result.err);
    return result.out;
}

std::string GpgFixture::git(const std::filesystem::path& repo,
                            std::vector<std::string> args) const {
    std::vector<std::string> argv{"/usr/bin/git", "-C", repo.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = runProgram(argv, env());
    if (result.status != 0) throw std::runtime_error("git failed: " + result.err);
    return result.out;
}

std::string GpgFixture::detachSign(const TestKey& key, const std::string& data,
                                   const std::vector<std::string>& extra) const {
    TempDir work;
    writeFile(work.path() / "data", data);
    std::vector<std::string> args{"--armor", "--local-user", key.fingerprint};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--output", (work.path() / "sig").string(), "--detach-sign",
                             (work.path() / "data").string()});
    gpg(args);
    return xenbuild::testing::readFile(work.path() / "sig");
}

std::string GpgFixture::clearSign(const TestKey& key, const std::string& text) const {
    TempDir work;
    writeFile(work.path() / "text", text);
    gpg({"--local-user", key.fingerprint, "--output", (work.path() / "signed").string(),
         "--clearsign", (work.path() / "text").string()});
    return xenbuild::testing::readFile(work.path() / "signed");
}

void makeRepo(const GpgFixture& gpg, const std::filesystem::path& repo) {
    gpg.git(repo, {"init", "-q", "-b", "main"});
    writeFile(repo / "README", "Xen-shaped test tree\n");
    gpg.git(repo, {"add", "README"});
    gpg.git(repo, {"commit", "-q", "-m", "Initial commit"});
}

} // namespace xenbuild::testing
