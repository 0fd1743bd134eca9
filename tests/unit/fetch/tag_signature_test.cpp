#include "xenbuild/fetch/tag_signature.hpp"

#include "unit/fetch/gpg_fixture.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using xenbuild::SignatureError;
using xenbuild::fetch::SignatureVerifier;
using xenbuild::fetch::splitTagObject;
using xenbuild::fetch::verifyTagObject;
using xenbuild::testing::GpgFixture;
using xenbuild::testing::TempDir;

namespace {

// A repository with one commit, tagged by the tests.
struct Repo {
    const GpgFixture& keys = GpgFixture::instance();
    TempDir dir;
    Repo() { xenbuild::testing::makeRepo(keys, dir.path()); }

    std::string head() const {
        auto id = keys.git(dir.path(), {"rev-parse", "HEAD"});
        return id.substr(0, id.find('\n'));
    }
    void signedTag(const std::string& name, const xenbuild::testing::TestKey& key,
                   const std::vector<std::string>& config = {}) const {
        std::vector<std::string> args = config;
        args.insert(args.end(), {"tag", "-s", "-u", key.fingerprint, "-m", "Xen " + name, name});
        keys.git(dir.path(), args);
    }
    std::string tagObject(const std::string& name) const {
        return keys.git(dir.path(), {"cat-file", "tag", name});
    }
};

SignatureVerifier trustingKey(const xenbuild::testing::TestKey& key,
                              std::vector<std::filesystem::path> extraFiles = {}) {
    extraFiles.insert(extraFiles.begin(), key.publicKey);
    return SignatureVerifier(extraFiles, key.fingerprint);
}

} // namespace

TEST_CASE("fetch::splitTagObject splits like git: the last signature line starts the signature",
          "[fetch][tag]") {
    const std::string payload = "object 4b33780de790bd438dd7cbb6143b410d94f0f049\ntype commit\n"
                                "tag T\n\nquoting:\n-----BEGIN PGP SIGNATURE-----\nnot here\n";
    const std::string signature = "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP "
                                  "SIGNATURE-----\n";
    const std::string raw = payload + signature;
    const auto parts = splitTagObject(raw);
    CHECK(parts.payload == payload);
    CHECK(parts.signature == signature);
    const std::string unsignedTag = "object 4b33780de790bd438dd7cbb6143b410d94f0f049\n\n"
                                    "not at a line start: -----BEGIN PGP SIGNATURE-----\n";
    CHECK(splitTagObject(unsignedTag).signature.empty());
    CHECK(splitTagObject(unsignedTag).payload == unsignedTag);
}

TEST_CASE("fetch::verifyTagObject accepts a tag signed with the trusted key", "[fetch][tag]") {
    const Repo repo;
    repo.signedTag("RELEASE-4.19.0", repo.keys.signer);
    const auto tag = verifyTagObject(repo.tagObject("RELEASE-4.19.0"),
                                     trustingKey(repo.keys.signer), "RELEASE-4.19.0");
    CHECK(tag.tagName == "RELEASE-4.19.0");
    CHECK(tag.objectId == repo.head());
    CHECK(tag.objectType == "commit");
    CHECK(tag.tagger == "Test <test@example.org>");
    CHECK(tag.message == "Xen RELEASE-4.19.0\n");
    CHECK(tag.signature.fingerprint == repo.keys.signer.fingerprint);
    CHECK(tag.signature.time.time_since_epoch().count() > 0);
}

TEST_CASE("fetch::verifyTagObject refuses tags it cannot trust", "[fetch][tag]") {
    const Repo repo;
    const auto& keys = repo.keys;
    const auto verifier = trustingKey(keys.signer);

    SECTION("unsigned annotated tag") {
        keys.git(repo.dir.path(), {"tag", "-a", "-m", "unsigned", "RELEASE-4.19.1"});
        REQUIRE_THROWS_WITH(verifyTagObject(repo.tagObject("RELEASE-4.19.1"), verifier),
                            "tag 'RELEASE-4.19.1' is not signed: its tag object has no "
                            "'-----BEGIN PGP SIGNATURE-----' block (create release tags with "
                            "'git tag -s')");
    }
    SECTION("lightweight tag: there is no tag object, only the commit") {
        keys.git(repo.dir.path(), {"tag", "RELEASE-4.19.2"});
        CHECK(keys.git(repo.dir.path(), {"cat-file", "-t", "RELEASE-4.19.2"}) == "commit\n");
        const auto commit = keys.git(repo.dir.path(), {"cat-file", "commit", "RELEASE-4.19.2"});
        REQUIRE_THROWS_AS(verifyTagObject(commit, verifier), xenbuild::ParseError);
        REQUIRE_THROWS_WITH(verifyTagObject(commit, verifier),
                            "not a git tag object: missing or invalid 'object' header (expected "
                            "a hex object id)");
    }
    SECTION("signed by another key") {
        repo.signedTag("RELEASE-4.19.3", keys.other);
        REQUIRE_THROWS_WITH(verifyTagObject(repo.tagObject("RELEASE-4.19.3"), verifier),
                            "tag 'RELEASE-4.19.3' is signed by key '" + keys.other.fingerprint +
                                "', which is not in the keyring: only '" + keys.signer.fingerprint +
                                "' is trusted");
    }
    SECTION("tampered message") {
        repo.signedTag("RELEASE-4.19.4", keys.signer);
        std::string raw = repo.tagObject("RELEASE-4.19.4");
        raw.replace(raw.find("Xen RELEASE"), 3, "XEN");
        REQUIRE_THROWS_WITH(verifyTagObject(raw, verifier),
                            StartsWith("tag 'RELEASE-4.19.4' has a BAD signature from key '") &&
                                Contains("modified after signing"));
    }
    SECTION("tampered target commit") {
        repo.signedTag("RELEASE-4.19.5", keys.signer);
        std::string raw = repo.tagObject("RELEASE-4.19.5");
        raw.replace(7, 40, std::string(40, 'a'));
        REQUIRE_THROWS_WITH(verifyTagObject(raw, verifier), Contains("has a BAD signature"));
    }
    SECTION("signed tag replayed under another name") {
        repo.signedTag("RELEASE-4.19.6", keys.signer);
        REQUIRE_THROWS_WITH(
            verifyTagObject(repo.tagObject("RELEASE-4.19.6"), verifier, "RELEASE-4.19.7"),
            "tag 'RELEASE-4.19.7' points to a tag object named 'RELEASE-4.19.6': a signed tag "
            "was moved to another name");
    }
    SECTION("expired key") {
        repo.signedTag("RELEASE-4.19.8", keys.expired,
                       {"-c", "gpg.program=" + keys.pastSigner().string()});
        REQUIRE_THROWS_WITH(
            verifyTagObject(repo.tagObject("RELEASE-4.19.8"), trustingKey(keys.expired)),
            Contains("tag 'RELEASE-4.19.8' is signed by key '" + keys.expired.fingerprint +
                     "', which has EXPIRED"));
    }
    SECTION("revoked key") {
        repo.signedTag("RELEASE-4.19.9", keys.revoked);
        const auto raw = repo.tagObject("RELEASE-4.19.9");
        REQUIRE_NOTHROW(verifyTagObject(raw, trustingKey(keys.revoked)));
        REQUIRE_THROWS_WITH(verifyTagObject(raw, trustingKey(keys.revoked, {keys.revocation})),
                            Contains("tag 'RELEASE-4.19.9' is signed by key '" +
                                     keys.revoked.fingerprint + "', which has been REVOKED"));
    }
}
