#include "unit/fetch/gpg_fixture.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace xenbuild::test {
namespace {

std::vector<char*> cStrings(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (auto& s : strings)
        result.push_back(s.data());
    result.push_back(nullptr);
    return result;
}

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

CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env) {
    TempDir capture;
    const std::string outPath = (capture.path() / "out").string();
    const std::string errPath = (capture.path() / "err").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT, 0600);
    std::vector<std::string> args = argv;
    std::vector<std::string> envs = env;
    auto cArgs = cStrings(args);
    auto cEnv = cStrings(envs);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, cArgs[0], &actions, nullptr, cArgs.data(), cEnv.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, readText(outPath), readText(errPath)};
}

std::string readText(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void writeText(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

const GpgFixture& GpgFixture::instance() {
    static const GpgFixture fixture; // test support only: one key set per test run
    return fixture;
}

GpgFixture::GpgFixture() : home_(dir_.path() / "g") {
    std::filesystem::create_directory(home_);
    std::filesystem::permissions(home_, std::filesystem::perms::owner_all);
    pastSigner_ = dir_.path() / "gpg-2020";
    writeText(pastSigner_, "#!/bin/sh\nexec /usr/bin/gpg --faked-system-time 20200101T120000 "
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
    std::string cert = readText(home_ / "openpgp-revocs.d" / (revoked.fingerprint + ".rev"));
    const auto armor = cert.find(":-----BEGIN PGP PUBLIC KEY BLOCK-----");
    cert = cert.substr(armor + 1);
    revocation = dir_.path() / "revoked.rev";
    writeText(revocation, cert);
}

GpgFixture::~GpgFixture() {
    runCommand({"/usr/bin/gpgconf", "--homedir", home_.string(), "--kill", "all"}, env());
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
    auto result = runCommand(argv, env());
    if (result.status != 0) throw std::runtime_error("gpg failed: " + result.err);
    return result.out;
}

std::string GpgFixture::git(const std::filesystem::path& repo,
                            std::vector<std::string> args) const {
    std::vector<std::string> argv{"/usr/bin/git", "-C", repo.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = runCommand(argv, env());
    if (result.status != 0) throw std::runtime_error("git failed: " + result.err);
    return result.out;
}

std::string GpgFixture::detachSign(const TestKey& key, const std::string& data,
                                   const std::vector<std::string>& extra) const {
    TempDir work;
    writeText(work.path() / "data", data);
    std::vector<std::string> args{"--armor", "--local-user", key.fingerprint};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--output", (work.path() / "sig").string(), "--detach-sign",
                             (work.path() / "data").string()});
    gpg(args);
    return readText(work.path() / "sig");
}

std::string GpgFixture::clearSign(const TestKey& key, const std::string& text) const {
    TempDir work;
    writeText(work.path() / "text", text);
    gpg({"--local-user", key.fingerprint, "--output", (work.path() / "signed").string(),
         "--clearsign", (work.path() / "text").string()});
    return readText(work.path() / "signed");
}

void makeRepo(const GpgFixture& gpg, const std::filesystem::path& repo) {
    gpg.git(repo, {"init", "-q", "-b", "main"});
    writeText(repo / "README", "Xen-shaped test tree\n");
    gpg.git(repo, {"add", "README"});
    gpg.git(repo, {"commit", "-q", "-m", "Initial commit"});
}

} // namespace xenbuild::test
