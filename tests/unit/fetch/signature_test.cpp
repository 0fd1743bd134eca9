#include "support/test_paths.hpp"
#include "xenbuild/fetch/signature.hpp"

#include "unit/fetch/gpg_fixture.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

#include <thread>

using Catch::Matchers::Contains;
using xenbuild::SignatureError;
using xenbuild::fetch::kXenSigningKeyFingerprint;
using xenbuild::fetch::SignatureVerifier;
using xenbuild::testing::GpgFixture;

namespace {

const std::filesystem::path kXenKey =
    std::filesystem::path(::xenbuild::testing::sourceDir()) / xenbuild::fetch::kXenSigningKeyFile;
const std::filesystem::path kAdvisory =
    std::filesystem::path(::xenbuild::testing::testDataDir()) / "xsa-458-advisory.txt";

const std::string kData = "object 0123\ntype commit\ntag RELEASE-4.19.0\n\nXen 4.19.0\n";

SignatureVerifier trusting(const xenbuild::testing::TestKey& key,
                           std::vector<std::filesystem::path> extraFiles = {}) {
    extraFiles.insert(extraFiles.begin(), key.publicKey);
    return SignatureVerifier(extraFiles, key.fingerprint);
}

std::string replaceOnce(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
}

} // namespace

TEST_CASE("fetch::SignatureVerifier verifies the real XSA-458 advisory with the shipped key",
          "[fetch][signature]") {
    const SignatureVerifier verifier({kXenKey}, kXenSigningKeyFingerprint);
    const auto verified =
        verifier.verifyClearsigned(xenbuild::testing::readFile(kAdvisory), "XSA-458 advisory");
    CHECK(verified.signature.fingerprint == "23E3222C145F4475FA8060A783FE14C957E82BD9");
    CHECK(verified.signature.signingFingerprint == "23E3222C145F4475FA8060A783FE14C957E82BD9");
    CHECK(verified.signature.uid == "Xen.org Xen tree code signing (signatures on the xen "
                                    "hypervisor and tools) <pgp@xen.org>");
    CHECK(verified.signature.time.time_since_epoch().count() == 1721131178);
    CHECK(verified.text.rfind("            Xen Security Advisory CVE-2024-31143 / XSA-458\n", 0) ==
          0);
    CHECK_THAT(verified.text, !Contains("BEGIN PGP") && !Contains("Hash: SHA256"));
}

TEST_CASE("fetch::SignatureVerifier requires the trusted key among the key files",
          "[fetch][signature]") {
    const auto& keys = GpgFixture::instance();
    REQUIRE_THROWS_WITH(SignatureVerifier({kXenKey}, keys.signer.fingerprint),
                        "the trusted key '" + keys.signer.fingerprint +
                            "' is not in the key file(s) '" + kXenKey.string() +
                            "': add its armored public key");
    REQUIRE_THROWS_WITH(SignatureVerifier({kXenKey}, "23E3 222C"),
                        "invalid key fingerprint '23E3 222C': expected 40 hex digits (a full "
                        "OpenPGP v4 fingerprint)");
    REQUIRE_THROWS_AS(SignatureVerifier({kAdvisory}, kXenSigningKeyFingerprint), SignatureError);
    REQUIRE_THROWS_AS(SignatureVerifier({"/nonexistent/key.asc"}, kXenSigningKeyFingerprint),
                      xenbuild::SystemError);
}

TEST_CASE("fetch::SignatureVerifier accepts fingerprints written with spaces and lower case",
          "[fetch][signature]") {
    const SignatureVerifier verifier({kXenKey},
                                     "23e3 222c 145f 4475 fa80  60a7 83fe 14c9 57e8 2bd9");
    CHECK(verifier.trustedFingerprint() == "23E3222C145F4475FA8060A783FE14C957E82BD9");
}

TEST_CASE("fetch::SignatureVerifier::verifyDetached accepts the trusted key's subkey",
          "[fetch][signature]") {
    const auto& keys = GpgFixture::instance();
    const auto verifier = trusting(keys.signer);
    const auto info = verifier.verifyDetached(kData, keys.detachSign(keys.signer, kData), "data");
    CHECK(info.fingerprint == keys.signer.fingerprint);
    // The signer key has a signing subkey, which gpg prefers: the subkey made the signature.
    CHECK(info.signingFingerprint != keys.signer.fingerprint);
    CHECK(info.signingFingerprint.size() == 40);
    CHECK(info.uid == "Xen Test Signer <signer@example.org>");
}

TEST_CASE("fetch::SignatureVerifier::verifyDetached refuses what it cannot trust",
          "[fetch][signature]") {
    const auto& keys = GpgFixture::instance();
    const std::string trusted = "'" + keys.signer.fingerprint + "'";

    SECTION("unsigned data") {
        REQUIRE_THROWS_WITH(trusting(keys.signer).verifyDetached(kData, "", "data"),
                            "data is not signed: the signature is empty");
        REQUIRE_THROWS_WITH(trusting(keys.signer).verifyDetached(kData, "not a signature", "data"),
                            "data is not signed: its signature holds no OpenPGP data");
    }
    SECTION("tampered data") {
        const auto sig = keys.detachSign(keys.signer, kData);
        const auto tampered = replaceOnce(kData, "4.19.0", "4.19.9");
        REQUIRE_THROWS_WITH(trusting(keys.signer).verifyDetached(tampered, sig, "data"),
                            Contains("data has a BAD signature from key '") &&
                                Contains("': the signed content was modified after signing"));
    }
    SECTION("another key that is not in the keyring") {
        const auto sig = keys.detachSign(keys.other, kData);
        REQUIRE_THROWS_WITH(trusting(keys.signer).verifyDetached(kData, sig, "data"),
                            "data is signed by key '" + keys.other.fingerprint +
                                "', which is not in the keyring: only " + trusted + " is trusted");
    }
    SECTION("another key that is in the keyring") {
        const auto sig = keys.detachSign(keys.other, kData);
        const auto verifier = trusting(keys.signer, {keys.other.publicKey});
        REQUIRE_THROWS_WITH(verifier.verifyDetached(kData, sig, "data"),
                            "data is signed by key '" + keys.other.fingerprint +
                                "' (Other Signer <other@example.org>), not by the trusted key " +
                                trusted);
    }
    SECTION("expired key") {
        const auto sig =
            keys.detachSign(keys.expired, kData, {"--faked-system-time", "20200101T120000"});
        REQUIRE_THROWS_WITH(trusting(keys.expired).verifyDetached(kData, sig, "data"),
                            Contains("data is signed by key '" + keys.expired.fingerprint +
                                     "', which has EXPIRED"));
    }
    SECTION("revoked key") {
        const auto sig = keys.detachSign(keys.revoked, kData);
        REQUIRE_NOTHROW(trusting(keys.revoked).verifyDetached(kData, sig, "data"));
        REQUIRE_THROWS_WITH(
            trusting(keys.revoked, {keys.revocation}).verifyDetached(kData, sig, "data"),
            Contains("data is signed by key '" + keys.revoked.fingerprint +
                     "', which has been REVOKED"));
    }
    SECTION("revocation certificate listed before its key") {
        REQUIRE_THROWS_WITH(
            SignatureVerifier({keys.revocation, keys.revoked.publicKey}, keys.revoked.fingerprint),
            "nothing could be imported from key file '" + keys.revocation.string() +
                "' (list a revocation certificate after the key it revokes)");
    }
    SECTION("expired signature") {
        const auto sig = keys.detachSign(
            keys.old, kData,
            {"--faked-system-time", "20200101T120000", "--default-sig-expire", "1d"});
        REQUIRE_THROWS_WITH(trusting(keys.old).verifyDetached(kData, sig, "data"),
                            Contains("data has a signature made 2020-01-01 12:00:") &&
                                Contains("that EXPIRED on 2020-01-02 12:00:"));
    }
}

TEST_CASE("fetch::SignatureVerifier::verifyClearsigned refuses altered messages",
          "[fetch][signature]") {
    const SignatureVerifier verifier({kXenKey}, kXenSigningKeyFingerprint);
    const std::string advisory = xenbuild::testing::readFile(kAdvisory);

    SECTION("one word changed") {
        const auto tampered = replaceOnce(advisory, "Jan Beulich", "Jan Beulick");
        REQUIRE_THROWS_WITH(verifier.verifyClearsigned(tampered, "advisory"),
                            "advisory has a BAD signature from key "
                            "'23E3222C145F4475FA8060A783FE14C957E82BD9': the signed content was "
                            "modified after signing");
    }
    SECTION("signature stripped") {
        const auto stripped = advisory.substr(0, advisory.find("-----BEGIN PGP SIGNATURE-----"));
        REQUIRE_THROWS_WITH(verifier.verifyClearsigned(stripped, "advisory"),
                            "advisory is not signed: its signature block is missing (stripped or "
                            "truncated)");
    }
    SECTION("plain text") {
        REQUIRE_THROWS_WITH(verifier.verifyClearsigned("XSA-458\n", "advisory"),
                            "advisory is not signed: it does not start with '-----BEGIN PGP "
                            "SIGNED MESSAGE-----'");
    }
    SECTION("unsigned text around the signed block") {
        REQUIRE_THROWS_AS(verifier.verifyClearsigned("Forged preamble\n" + advisory, "advisory"),
                          SignatureError);
        REQUIRE_THROWS_WITH(
            verifier.verifyClearsigned(advisory + "Forged postscript\n", "advisory"),
            "advisory has unsigned text after its signature block");
        REQUIRE_THROWS_WITH(
            verifier.verifyClearsigned(advisory + advisory, "advisory"),
            "advisory holds more than one clear-signed block; expected exactly one");
    }
}

TEST_CASE("fetch::SignatureVerifier keeps a private keyring and needs no gpg-agent",
          "[fetch][signature]") {
    // The keyring is private and temporary: gone once the verifier is.
    std::filesystem::path home;
    {
        const SignatureVerifier verifier({kXenKey}, kXenSigningKeyFingerprint);
        home = verifier.keyringDirectory();
        CHECK(home.string().size() < 40);
        CHECK(std::filesystem::exists(home / "pubring.kbx"));
        // Verifying needs no daemon: no gpg-agent or dirmngr socket appears in the keyring.
        verifier.verifyClearsigned(xenbuild::testing::readFile(kAdvisory), "advisory");
        for (const auto& entry : std::filesystem::directory_iterator(home))
            CHECK_FALSE(entry.is_socket());
        REQUIRE(!home.empty());
        CHECK((std::filesystem::status(home).permissions() & std::filesystem::perms::all) ==
              std::filesystem::perms::owner_all);
    }
    CHECK_FALSE(std::filesystem::exists(home));
}

TEST_CASE("fetch::SignatureVerifier serves several threads at once", "[fetch][signature]") {
    const SignatureVerifier verifier({kXenKey}, kXenSigningKeyFingerprint);
    const std::string advisory = xenbuild::testing::readFile(kAdvisory);
    std::vector<std::string> results(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < results.size(); ++i)
        threads.emplace_back([&, i] {
            try {
                results[i] = verifier.verifyClearsigned(advisory, "advisory").signature.fingerprint;
            } catch (const std::exception& e) {
                results[i] = e.what();
            }
        });
    for (auto& thread : threads)
        thread.join();
    for (const auto& result : results)
        CHECK(result == kXenSigningKeyFingerprint);
}
