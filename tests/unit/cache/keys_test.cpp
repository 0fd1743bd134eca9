// Ed25519 keys in Nix's form: signatures verify with the right key only, keys parse strictly,
// keygen writes a private secret key, and Nix itself derives the same public key.

#include "support/fixtures.hpp"
#include "xenbuild/cache/keys.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace xenbuild::cache;
using xenbuild::testing::TempDir;

TEST_CASE("keys: sign and verify; other keys, names and messages fail", "[cache]") {
    const auto secret = SecretKey::generate("cache.example.org-1");
    const auto key = secret.publicKey();
    const std::string message = "1;/store/abc-x;sha256:0;1;";
    const std::string signature = secret.sign(message);
    CHECK(signature.rfind("cache.example.org-1:", 0) == 0);
    CHECK(key.verifies(message, signature));
    CHECK_FALSE(key.verifies(message + "x", signature));
    const auto other = SecretKey::generate("cache.example.org-1").publicKey();
    CHECK_FALSE(other.verifies(message, signature)); // same name, other key
    auto renamed = key;
    renamed.name = "other";
    CHECK_FALSE(renamed.verifies(message, signature)); // the name must match too
    CHECK_FALSE(key.verifies(message, "cache.example.org-1:notbase64!"));
    CHECK_FALSE(key.verifies(message, "cache.example.org-1:" + std::string(88, 'A')));
    CHECK(trustedSigner({other, key}, {"nobody:x", signature}, message) != nullptr);
    CHECK(trustedSigner({other}, {signature}, message) == nullptr);

    // The text forms round-trip.
    CHECK(PublicKey::parse(key.toString()).bytes == key.bytes);
    CHECK(SecretKey::parse(secret.toString(), "f").publicKey().toString() == key.toString());
    CHECK_THROWS_AS(PublicKey::parse("no-colon"), xenbuild::ParseError);
    CHECK_THROWS_AS(PublicKey::parse("name:" + secret.toString().substr(20)), xenbuild::ParseError);
    CHECK_THROWS_WITH(SecretKey::parse(key.toString(), "k.sec"),
                      Catch::Contains("invalid secret key in 'k.sec'"));
    CHECK_THROWS_AS(checkKeyName("a:b"), xenbuild::UsageError);
    CHECK_THROWS_AS(checkKeyName("a b"), xenbuild::UsageError);
}

TEST_CASE("keys: keygen writes NAME.sec (0600) and NAME.pub; Nix derives the same public key",
          "[cache]") {
    TempDir dir;
    const auto [secretFile, publicFile] = writeKeyPair("test-1", dir.path());
    struct stat st {};
    REQUIRE(::stat(secretFile.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto publicText = xenbuild::testing::trim(xenbuild::testing::readFile(publicFile));
    CHECK(SecretKey::load(secretFile).publicKey().toString() == publicText);
    CHECK_THROWS_WITH(writeKeyPair("test-1", dir.path()), Catch::Contains("already exists"));
    // Nix (nix-bin, installed by scripts/install-deps.sh) reads our secret key.
    const auto nix = xenbuild::testing::run(
        "nix --extra-experimental-features nix-command key convert-secret-to-public < " +
        xenbuild::testing::shellQuote(secretFile.string()));
    REQUIRE(nix.status == 0);
    CHECK(xenbuild::testing::trim(nix.output) == publicText);
}
