// fetch::Signer: detached signatures with a secret key from a file, checked by
// SignatureVerifier; SignatureVerifier::trustingKeyFile.

#include "xenbuild/fetch/signing.hpp"

#include "support/temp_dir.hpp"
#include "unit/fetch/gpg_fixture.hpp"
#include "unit/fetch/secret_keys.hpp"
#include "xenbuild/fetch/signature.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using xenbuild::SignatureError;
using xenbuild::fetch::SignatureVerifier;
using xenbuild::fetch::Signer;
using xenbuild::testing::GpgFixture;

TEST_CASE("fetch::Signer signs what SignatureVerifier accepts for the key's public half",
          "[fetch][signature][signing]") {
    const auto& gpg = GpgFixture::instance();
    xenbuild::testing::TempDir dir;
    const auto secret = xenbuild::testing::exportSecretKey(gpg.signer, dir.path());
    const Signer signer(secret);
    CHECK(signer.fingerprint() == gpg.signer.fingerprint);
    CHECK(signer.uid() == "Xen Test Signer <signer@example.org>");

    const auto verifier = SignatureVerifier::trustingKeyFile(gpg.signer.publicKey);
    CHECK(verifier.trustedFingerprint() == gpg.signer.fingerprint);
    const std::string data = "the data\n";
    const std::string armored = signer.signDetached(data, true, "the data");
    CHECK_THAT(armored, StartsWith("-----BEGIN PGP SIGNATURE-----"));
    const auto info = verifier.verifyDetached(data, armored, "the data");
    CHECK(info.fingerprint == gpg.signer.fingerprint);
    const std::string binary = signer.signDetached(data, false, "the data");
    CHECK(binary.find("BEGIN PGP") == std::string::npos);
    CHECK(verifier.verifyDetached(data, binary, "the data").fingerprint == gpg.signer.fingerprint);
    CHECK_THROWS_WITH(verifier.verifyDetached("other data\n", binary, "the data"),
                      Contains("the data has a BAD signature from key"));

    SECTION("another key's signature names that key") {
        const auto other = SignatureVerifier::trustingKeyFile(gpg.other.publicKey);
        CHECK_THROWS_WITH(other.verifyDetached(data, armored, "the data"),
                          Contains("which is not in the keyring: only '" + gpg.other.fingerprint +
                                   "' is trusted"));
    }
}

TEST_CASE("fetch::Signer refuses key files it cannot sign with", "[fetch][signature][signing]") {
    const auto& gpg = GpgFixture::instance();
    xenbuild::testing::TempDir dir;
    SECTION("a public key") {
        CHECK_THROWS_MATCHES(Signer(gpg.signer.publicKey), SignatureError,
                             Catch::Message("key file '" + gpg.signer.publicKey.string() +
                                            "' holds no secret key: export the signing key with "
                                            "`gpg --armor --export-secret-keys FINGERPRINT`"));
    }
    SECTION("two secret keys") {
        const auto both = dir.path() / "both.asc";
        xenbuild::testing::writeFile(both,
                                     gpg.gpg({"--armor", "--export-secret-keys",
                                              gpg.signer.fingerprint, gpg.other.fingerprint}));
        CHECK_THROWS_MATCHES(Signer(both), SignatureError,
                             Catch::Message("key file '" + both.string() +
                                            "' holds 2 secret keys; give a file with the one key "
                                            "to sign with"));
    }
    SECTION("an expired key") {
        const auto secret = xenbuild::testing::exportSecretKey(gpg.expired, dir.path());
        CHECK_THROWS_WITH(Signer(secret), Contains("has EXPIRED: it cannot sign"));
    }
    SECTION("no key file") {
        CHECK_THROWS_AS(Signer(dir.path() / "missing.asc"), xenbuild::Error);
    }
}

TEST_CASE("fetch::SignatureVerifier::trustingKeyFile wants exactly one key",
          "[fetch][signature][signing]") {
    const auto& gpg = GpgFixture::instance();
    xenbuild::testing::TempDir dir;
    const auto both = dir.path() / "both.asc";
    xenbuild::testing::writeFile(both, xenbuild::testing::readFile(gpg.signer.publicKey) +
                                           xenbuild::testing::readFile(gpg.other.publicKey));
    CHECK_THROWS_MATCHES(SignatureVerifier::trustingKeyFile(both), SignatureError,
                         Catch::Message("key file '" + both.string() +
                                        "' holds 2 public keys; give a file with the one key to "
                                        "trust"));
}

TEST_CASE("fetch::Signer signs with a passphrase-protected key given its passphrase",
          "[fetch][signature][signing]") {
    xenbuild::testing::TempDir dir;
    const auto home = dir.path() / "g";
    std::filesystem::create_directory(home);
    std::filesystem::permissions(home, std::filesystem::perms::owner_all);
    const std::vector<std::string> env{"PATH=/usr/bin:/bin", "HOME=" + dir.path().string(),
                                       "GNUPGHOME=" + home.string()};
    auto gpg = [&](std::vector<std::string> args) {
        std::vector<std::string> argv{"/usr/bin/gpg", "--batch",         "--quiet",
                                      "--yes",        "--pinentry-mode", "loopback",
                                      "--passphrase", "secret words"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto result = xenbuild::testing::runProgram(argv, env);
        REQUIRE(result.status == 0);
        return result.out;
    };
    gpg({"--quick-gen-key", "Protected <protected@example.org>", "ed25519", "sign", "never"});
    const auto key = dir.path() / "protected.sec.asc";
    xenbuild::testing::writeFile(key,
                                 gpg({"--armor", "--export-secret-keys", "protected@example.org"}));
    const auto pub = dir.path() / "protected.asc";
    xenbuild::testing::writeFile(pub, gpg({"--armor", "--export", "protected@example.org"}));
    xenbuild::testing::runProgram({"/usr/bin/gpgconf", "--kill", "all"}, env);

    const Signer signer(key, "secret words");
    const auto signature = signer.signDetached("data", true, "the data");
    CHECK(SignatureVerifier::trustingKeyFile(pub)
              .verifyDetached("data", signature, "the data")
              .fingerprint == signer.fingerprint());
    for (const std::string wrong : {"", "wrong words"}) {
        const Signer without(key, wrong);
        CHECK_THROWS_WITH(without.signDetached("data", true, "the data"),
                          Contains("cannot sign the data with the key '" + signer.fingerprint() +
                                   "' (its passphrase is missing or wrong)"));
    }
}
