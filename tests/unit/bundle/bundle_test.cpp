// bundle::findBuild, writeBundle and verifyBundle on a build made through the fakes: the files
// of a bundle, the archives' members, reproducibility, SBOM and provenance contents, and every
// kind of tampering verify reports.

#include "support/files.hpp"
#include "support/fixtures.hpp"
#include "unit/bundle/bundle_fixture.hpp"
#include "unit/fetch/gpg_fixture.hpp"
#include "unit/fetch/secret_keys.hpp"
#include "xenbuild/bundle/provenance.hpp"
#include "xenbuild/bundle/verify.hpp"
#include "xenbuild/util/archive.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild;
using Catch::Matchers::Contains;
using nlohmann::json;
using testing::BundleFixture;
namespace fs = std::filesystem;

namespace {

using xenbuild::testing::fileNames;

struct Member {
    std::string path;
    util::ArchiveMember::Type type;
    unsigned perm;
    std::string target;
    std::string content;
};

std::vector<Member> members(const fs::path& archive) {
    util::ArchiveReader reader(archive);
    std::vector<Member> out;
    while (auto member = reader.next()) {
        CHECK(member->uid == 0);
        CHECK(member->gid == 0);
        CHECK(member->mtime == 1700000000); // the plan's SOURCE_DATE_EPOCH
        Member read{member->path, member->type, member->perm, member->symlinkTarget, {}};
        while (auto block = reader.readBlock())
            read.content.append(block->data, block->size);
        out.push_back(std::move(read));
    }
    return out;
}

json readJson(const fs::path& path) {
    return json::parse(util::readFile(path));
}

// The provenance statement inside the bundle's DSSE envelope.
json statementOf(const fs::path& envelopeFile) {
    const auto envelope = readJson(envelopeFile);
    return json::parse(*util::fromBase64(envelope.at("payload").get<std::string>()));
}

const json& packageNamed(const json& sbom, const std::string& id) {
    for (const auto& package : sbom.at("packages"))
        if (package.at("SPDXID") == id) return package;
    FAIL("no package " + id);
    static const json none;
    return none;
}

void replaceInFile(const fs::path& path, const std::string& from, const std::string& to) {
    std::string text = util::readFile(path);
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, from.size(), to);
    fs::remove(path);
    xenbuild::testing::writeFile(path, text);
}

std::string sha256Of(const fs::path& path) {
    return util::sha256File(path).hex();
}

util::NullProgress quiet;

} // namespace

TEST_CASE("bundle::writeBundle writes one archive per output, SBOM, provenance and SHA256SUMS",
          "[bundle]") {
    BundleFixture f;
    const auto build = f.built();
    const fs::path dir = f.dir / "bundle";
    const auto bundle = bundle::writeBundle(build, dir, {}, quiet);

    CHECK(fileNames(dir) ==
          std::vector<std::string>{"SHA256SUMS", "xen-9.9.0-boot.tar.zst", "xen-9.9.0-out.tar.zst",
                                   "xen-9.9.0.intoto.jsonl", "xen-9.9.0.spdx.json"});
    CHECK(bundle.dir == dir);
    CHECK(bundle.signer.empty());
    REQUIRE(bundle.files.size() == 5);
    CHECK(bundle.files[0].output == "out");
    CHECK(bundle.files[1].output == "boot");

    // Sorted members at their install paths, parents first, modes without write bits, the
    // link kept as a link.
    const auto out = members(dir / "xen-9.9.0-out.tar.zst");
    std::vector<std::string> paths;
    for (const auto& member : out)
        paths.push_back(member.path);
    CHECK(paths == std::vector<std::string>{"usr/", "usr/bin/", "usr/bin/xl", "usr/lib/",
                                            "usr/lib/libxen.so", "usr/lib/libxen.so.9.9",
                                            "usr/share/", "usr/share/doc/", "usr/share/doc/xen/",
                                            "usr/share/doc/xen/README"});
    CHECK(out[1].perm == 0555);
    CHECK(out[2].perm == 0555);
    CHECK(out[2].content == "twice patched xl 9.9.0\n");
    CHECK(out[4].type == util::ArchiveMember::Type::Symlink);
    CHECK(out[4].target == "libxen.so.9.9");
    CHECK(out[5].perm == 0444);
    const auto boot = members(dir / "xen-9.9.0-boot.tar.zst");
    REQUIRE(boot.size() == 2);
    CHECK(boot[0].path == "boot/");
    CHECK(boot[1].path == "boot/xen.gz");

    // SHA256SUMS is what sha256sum writes and checks.
    const auto sums = util::readFile(dir / "SHA256SUMS");
    CHECK(sums == sha256Of(dir / "xen-9.9.0-boot.tar.zst") + "  xen-9.9.0-boot.tar.zst\n" +
                      sha256Of(dir / "xen-9.9.0-out.tar.zst") + "  xen-9.9.0-out.tar.zst\n" +
                      sha256Of(dir / "xen-9.9.0.intoto.jsonl") + "  xen-9.9.0.intoto.jsonl\n" +
                      sha256Of(dir / "xen-9.9.0.spdx.json") + "  xen-9.9.0.spdx.json\n");
    const auto check = xenbuild::testing::run("cd " + xenbuild::testing::shellQuote(dir.string()) +
                                              " && sha256sum --strict -c SHA256SUMS 2>&1");
    CHECK(check.status == 0);
    CHECK_THAT(check.output, Contains("xen-9.9.0-out.tar.zst: OK"));
    // tar reads the archives.
    CHECK(xenbuild::testing::run(
              "tar --zstd -tvf " +
              xenbuild::testing::shellQuote((dir / "xen-9.9.0-out.tar.zst").string()) +
              " | grep -q '^lrwxrwxrwx 0/0 .* usr/lib/libxen.so -> libxen.so.9.9$'")
              .status == 0);

    const auto report = bundle::verifyBundle(dir, std::nullopt);
    CHECK(report.problems.empty());
    CHECK(report.ok());
    CHECK(report.signature == bundle::SignatureState::Unsigned);
    CHECK(report.archives ==
          std::vector<std::string>{"xen-9.9.0-boot.tar.zst", "xen-9.9.0-out.tar.zst"});
}

TEST_CASE("bundle::writeBundle makes the same bytes twice from one build", "[bundle]") {
    BundleFixture f;
    const auto build = f.built();
    bundle::writeBundle(build, f.dir / "a", {}, quiet);
    bundle::writeBundle(build, f.dir / "b", {}, quiet);
    const auto names = fileNames(f.dir / "a");
    REQUIRE(names == fileNames(f.dir / "b"));
    for (const auto& name : names) {
        INFO(name);
        CHECK(util::readFile(f.dir / "a" / name) == util::readFile(f.dir / "b" / name));
    }

    SECTION("signed: everything but the signatures") {
        const auto key =
            testing::exportSecretKey(testing::GpgFixture::instance().signer, f.dir.path());
        bundle::writeBundle(build, f.dir / "s1", {.signKey = key}, quiet);
        bundle::writeBundle(build, f.dir / "s2", {.signKey = key}, quiet);
        for (const auto& name :
             {"xen-9.9.0-out.tar.zst", "xen-9.9.0-boot.tar.zst", "xen-9.9.0.spdx.json"}) {
            INFO(name);
            CHECK(util::readFile(f.dir / "a" / name) == util::readFile(f.dir / "s1" / name));
            CHECK(util::readFile(f.dir / "s1" / name) == util::readFile(f.dir / "s2" / name));
        }
        CHECK(statementOf(f.dir / "s1" / "xen-9.9.0.intoto.jsonl") ==
              statementOf(f.dir / "a" / "xen-9.9.0.intoto.jsonl"));
    }
}

TEST_CASE("bundle::writeBundle refuses a directory that holds files and leaves nothing behind",
          "[bundle]") {
    BundleFixture f;
    const auto build = f.built();
    xenbuild::testing::writeFile(f.dir / "full" / "keep.txt", "mine\n");
    CHECK_THROWS_MATCHES(bundle::writeBundle(build, f.dir / "full", {}, quiet), UsageError,
                         Catch::Message("cannot write the bundle to '" + (f.dir / "full").string() +
                                        "': it exists and is not an empty directory; remove it "
                                        "or choose another"));
    CHECK(fileNames(f.dir / "full") == std::vector<std::string>{"keep.txt"});
    for (const auto& entry : fs::directory_iterator(f.dir.path()))
        CHECK(entry.path().filename().string().rfind(".bundle-", 0) != 0);

    SECTION("an empty directory is replaced") {
        fs::create_directory(f.dir / "empty");
        bundle::writeBundle(build, f.dir / "empty", {}, quiet);
        CHECK(fs::exists(f.dir / "empty" / "SHA256SUMS"));
    }
    SECTION("a key that cannot sign fails first") {
        CHECK_THROWS_AS(bundle::writeBundle(
                            build, f.dir / "new",
                            {.signKey = testing::GpgFixture::instance().signer.publicKey}, quiet),
                        SignatureError);
        CHECK_FALSE(fs::exists(f.dir / "new"));
    }
}

TEST_CASE("bundle::spdxDocument describes the package, archives, sources, patches and toolchain",
          "[bundle]") {
    BundleFixture f;
    const auto build = f.built();
    const fs::path dir = f.dir / "bundle";
    bundle::writeBundle(build, dir, {}, quiet);
    const auto sbom = readJson(dir / "xen-9.9.0.spdx.json");

    CHECK(sbom["spdxVersion"] == "SPDX-2.3");
    CHECK(sbom["creationInfo"]["created"] == util::formatTimestamp(*build.result.finishedAt));
    CHECK_FALSE(sbom.contains("comment")); // no deviation from the plan
    const auto& package = packageNamed(sbom, "SPDXRef-Package-xen-9-9");
    CHECK(package["name"] == "xen");
    CHECK(package["versionInfo"] == "9.9.0");
    CHECK(package["licenseDeclared"] == "GPL-2.0-only");
    CHECK_FALSE(package.contains("annotations"));

    const auto& archive = packageNamed(sbom, "SPDXRef-Archive-boot");
    CHECK(archive["packageFileName"] == "xen-9.9.0-boot.tar.zst");
    CHECK(archive["checksums"][0]["checksumValue"] == sha256Of(dir / "xen-9.9.0-boot.tar.zst"));

    const auto& xen = packageNamed(sbom, "SPDXRef-Source-xen");
    CHECK(xen["downloadLocation"] ==
          "git+https://example.org/git/xen.git@" + testing::fakeRev('1'));
    CHECK(xen["versionInfo"] == "RELEASE-9.9.0");
    CHECK(xen["checksums"][0] ==
          json{{"algorithm", "SHA256"}, {"checksumValue", util::sha256("tree of xen").hex()}});
    CHECK(packageNamed(sbom, "SPDXRef-Source-qemu")["versionInfo"] == testing::fakeRev('2'));

    const auto& xsa = packageNamed(sbom, "SPDXRef-Patch-XSA-999");
    CHECK(xsa["downloadLocation"] == "https://example.org/xsa/xsa999.patch");
    CHECK(xsa["summary"] == "Made-up hypervisor bug");
    CHECK(xsa["externalRefs"] == json::parse(R"([
            {"referenceCategory": "SECURITY", "referenceType": "fix",
             "referenceLocator": "https://example.org/xsa/xsa999.patch",
             "comment": "XSA-999 fixes CVE-2099-1001, CVE-2099-1002"},
            {"referenceCategory": "SECURITY", "referenceType": "advisory",
             "referenceLocator": "https://www.cve.org/CVERecord?id=CVE-2099-1001",
             "comment": "CVE-2099-1001, fixed by XSA-999"},
            {"referenceCategory": "SECURITY", "referenceType": "advisory",
             "referenceLocator": "https://www.cve.org/CVERecord?id=CVE-2099-1002",
             "comment": "CVE-2099-1002, fixed by XSA-999"}])"));
    CHECK(xsa["annotations"][0]["comment"] ==
          "security fix: XSA-999 fixes CVE-2099-1001, CVE-2099-1002");
    CHECK(xsa["sourceInfo"] == "upstream patch, applied to 'xen' (clean)");
    const auto& local = packageNamed(sbom, "SPDXRef-Patch-0001-xl.patch");
    CHECK(local["downloadLocation"] == "NOASSERTION");
    CHECK_FALSE(local.contains("externalRefs"));
    CHECK(packageNamed(sbom, "SPDXRef-Tool-cc")["versionInfo"] == "fake cc 1.0");
    CHECK(packageNamed(sbom, "SPDXRef-Tool-xenbuild")["versionInfo"] == XENBUILD_VERSION);

    const json expected = {{"spdxElementId", "SPDXRef-Patch-XSA-999"},
                           {"relationshipType", "PATCH_APPLIED"},
                           {"relatedSpdxElement", "SPDXRef-Source-xen"}};
    CHECK(std::find(sbom["relationships"].begin(), sbom["relationships"].end(), expected) !=
          sbom["relationships"].end());
}

TEST_CASE("bundle::provenanceStatement is SLSA v1.0 provenance of the build in a DSSE envelope",
          "[bundle]") {
    BundleFixture f;
    const auto build = f.built();
    const fs::path dir = f.dir / "bundle";
    bundle::writeBundle(build, dir, {.builderId = "https://ci.example.org/runner"}, quiet);
    const auto envelope = readJson(dir / "xen-9.9.0.intoto.jsonl");
    CHECK(envelope["payloadType"] == "application/vnd.in-toto+json");
    CHECK(envelope["signatures"] == json::array());
    const auto statement = statementOf(dir / "xen-9.9.0.intoto.jsonl");
    CHECK(statement["_type"] == "https://in-toto.io/Statement/v1");
    CHECK(statement["predicateType"] == "https://slsa.dev/provenance/v1");
    CHECK(statement["subject"][0] ==
          json{{"name", "xen-9.9.0-out.tar.zst"},
               {"digest", {{"sha256", sha256Of(dir / "xen-9.9.0-out.tar.zst")}}}});

    const auto& definition = statement["predicate"]["buildDefinition"];
    CHECK(definition["buildType"] == bundle::kBuildType);
    CHECK(definition["externalParameters"]["plan"] == f.plan.toJson());
    CHECK(definition["externalParameters"]["planHash"] == f.plan.hash.sri());
    CHECK_FALSE(definition["externalParameters"].contains("deviations"));
    CHECK(definition["internalParameters"]["buildKey"] == build.result.key);
    CHECK(definition["internalParameters"]["patchStatus"]["XSA-999"] == "clean");
    const auto& dependencies = definition["resolvedDependencies"];
    REQUIRE(dependencies.size() == 6); // three sources, three patches
    CHECK(dependencies[0]["uri"] == "git+https://example.org/git/xen.git@" + testing::fakeRev('1'));
    CHECK(dependencies[0]["digest"] == json{{"gitCommit", testing::fakeRev('1')},
                                            {"narSha256", util::sha256("tree of xen").hex()}});
    CHECK(dependencies[5]["name"] == "XSA-999");
    CHECK(dependencies[5]["digest"]["sha256"] == f.plan.patches[2].sha256.hex());
    CHECK(dependencies[5]["annotations"]["cves"] ==
          json::array({"CVE-2099-1001", "CVE-2099-1002"}));

    const auto& run = statement["predicate"]["runDetails"];
    CHECK(run["builder"]["id"] == "https://ci.example.org/runner");
    CHECK(run["builder"]["version"]["cc"] == "fake cc 1.0");
    CHECK(run["metadata"]["startedOn"] == util::formatTimestamp(*build.result.startedAt));
    CHECK(run["metadata"]["finishedOn"] == util::formatTimestamp(*build.result.finishedAt));
}

TEST_CASE("bundle: a source override and an excluded patch are recorded in SBOM and provenance",
          "[bundle]") {
    BundleFixture f;
    const fs::path tree = f.dir / "local-qemu";
    xenbuild::testing::writeFile(tree / "VERSION", "qemu 9 local\n");
    auto with = f.options;
    with.sourceOverrides["qemu"] = tree;
    with.excludedPatches = {"XSA-999"};
    const auto build = f.built(with);
    CHECK(build.appliedSeries.size() == 2);
    REQUIRE(build.excludedPatches.size() == 1);
    const fs::path dir = f.dir / "bundle";
    bundle::writeBundle(build, dir, {}, quiet);

    const std::string overridden =
        "SOURCE OVERRIDDEN: source 'qemu' was built from the local directory '" + tree.string() +
        "' (NAR hash " + build.overrideHashes.at("qemu").sri() + "), not from git commit " +
        testing::fakeRev('2') + " of https://example.org/git/qemu.git";
    const std::string excluded =
        "PATCH EXCLUDED: patch 'XSA-999' was left out of the series on request; this build does "
        "NOT carry its fix (XSA-999 fixes CVE-2099-1001, CVE-2099-1002)";
    const auto sbom = readJson(dir / "xen-9.9.0.spdx.json");
    CHECK(sbom["comment"] ==
          "WARNING: this build deviates from its plan. " + overridden + ". " + excluded + ".");
    const auto& package = packageNamed(sbom, "SPDXRef-Package-xen-9-9");
    REQUIRE(package["annotations"].size() == 2);
    CHECK(package["annotations"][0]["comment"] == overridden);
    CHECK(package["annotations"][1]["comment"] == excluded);
    const auto& qemu = packageNamed(sbom, "SPDXRef-Source-qemu");
    CHECK(qemu["downloadLocation"] == "NOASSERTION");
    CHECK_THAT(qemu["sourceInfo"].get<std::string>(), Contains("OVERRIDDEN"));
    for (const auto& each : sbom["packages"])
        CHECK(each["SPDXID"] != "SPDXRef-Patch-XSA-999");

    const auto statement = statementOf(dir / "xen-9.9.0.intoto.jsonl");
    const auto& parameters = statement["predicate"]["buildDefinition"]["externalParameters"];
    CHECK(parameters["deviations"] == json::array({overridden, excluded}));
    CHECK(parameters["excludedPatches"] == json::array({"XSA-999"}));
    CHECK(parameters["sourceOverrides"]["qemu"]["directory"] == tree.string());
    const auto& dependencies = statement["predicate"]["buildDefinition"]["resolvedDependencies"];
    CHECK(dependencies[1]["uri"] == "file://" + tree.string());
    CHECK(dependencies[1]["annotations"]["overridden"] == true);
    CHECK(dependencies.size() == 5);
    CHECK(bundle::verifyBundle(dir, std::nullopt).ok());
}

TEST_CASE("bundle::findBuild says what is missing", "[bundle]") {
    BundleFixture f;
    SECTION("never built") {
        CHECK_FALSE(bundle::findBuild(f.store, f.plan, f.options));
    }
    SECTION("built with other options") {
        f.built();
        auto with = f.options;
        with.excludedPatches = {"XSA-999"};
        CHECK_FALSE(bundle::findBuild(f.store, f.plan, with));
    }
    SECTION("a record older than bundles") {
        const auto build = f.built();
        const fs::path record = f.store.dir() / "builds" / (build.result.key + ".json");
        auto old = readJson(record);
        old.erase("toolchain");
        fs::remove(record);
        xenbuild::testing::writeFile(record, old.dump());
        CHECK_THROWS_MATCHES(
            bundle::findBuild(f.store, f.plan, f.options), BuildError,
            Catch::Message("the build record of 'xen_9_9' (build " + build.result.key +
                           ") predates bundles: it does not say which toolchain built it or "
                           "when; build it again (a rebuild records both)"));
    }
    SECTION("an output gone from the store") {
        const auto build = f.built();
        util::removeReadOnly(build.result.output("boot")->path);
        CHECK_THROWS_WITH(bundle::findBuild(f.store, f.plan, f.options),
                          Contains("the boot output of 'xen_9_9' (" +
                                   build.result.output("boot")->path.string() +
                                   ") is no longer in the store; build it again"));
    }
}

TEST_CASE("bundle::verifyBundle says exactly what is wrong", "[bundle]") {
    BundleFixture f;
    const auto& gpg = testing::GpgFixture::instance();
    const auto key = testing::exportSecretKey(gpg.signer, f.dir.path());
    const fs::path dir = f.dir / "bundle";
    bundle::writeBundle(f.built(), dir, {.signKey = key}, quiet);
    const fs::path out = dir / "xen-9.9.0-out.tar.zst";
    const std::string outDigest = sha256Of(out);

    const auto good = bundle::verifyBundle(dir, gpg.signer.publicKey);
    CHECK(good.problems.empty());
    CHECK(good.signature == bundle::SignatureState::Verified);
    CHECK(good.signer == gpg.signer.fingerprint);
    const auto unchecked = bundle::verifyBundle(dir, std::nullopt);
    CHECK(unchecked.ok());
    CHECK(unchecked.signature == bundle::SignatureState::NotChecked);

    SECTION("an archive byte changed") {
        std::string bytes = util::readFile(out);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
        fs::remove(out);
        xenbuild::testing::writeFile(out, bytes);
        const auto report = bundle::verifyBundle(dir, gpg.signer.publicKey);
        const std::string actual = sha256Of(out);
        CHECK(report.problems ==
              std::vector<std::string>{
                  "'xen-9.9.0-out.tar.zst' was modified: SHA256SUMS says sha256 " + outDigest +
                      ", the file has sha256 " + actual,
                  "'xen-9.9.0.spdx.json' names sha256 " + outDigest +
                      " for 'xen-9.9.0-out.tar.zst', but the archive has sha256 " + actual,
                  "'xen-9.9.0.intoto.jsonl' names sha256 " + outDigest +
                      " for 'xen-9.9.0-out.tar.zst', but the archive has sha256 " + actual});
        CHECK(report.signature == bundle::SignatureState::Verified); // the signed files are intact
    }
    SECTION("SHA256SUMS edited") {
        const std::string forged(64, 'a');
        replaceInFile(dir / "SHA256SUMS", outDigest, forged);
        const auto report = bundle::verifyBundle(dir, gpg.signer.publicKey);
        REQUIRE(report.problems.size() == 2);
        CHECK(report.problems[0] ==
              "'xen-9.9.0-out.tar.zst' was modified: SHA256SUMS says sha256 " + forged +
                  ", the file has sha256 " + outDigest);
        CHECK_THAT(report.problems[1],
                   Contains("SHA256SUMS has a BAD signature from key '" + gpg.signer.fingerprint));
        CHECK(report.signature == bundle::SignatureState::Bad);
    }
    SECTION("the SBOM's digest of an archive edited (and SHA256SUMS made to match)") {
        const std::string forged(64, 'b');
        const std::string before = sha256Of(dir / "xen-9.9.0.spdx.json");
        replaceInFile(dir / "xen-9.9.0.spdx.json", outDigest, forged);
        replaceInFile(dir / "SHA256SUMS", before, sha256Of(dir / "xen-9.9.0.spdx.json"));
        const auto report = bundle::verifyBundle(dir, gpg.signer.publicKey);
        REQUIRE(report.problems.size() == 2);
        CHECK(report.problems[0] ==
              "'xen-9.9.0.spdx.json' names sha256 " + forged +
                  " for 'xen-9.9.0-out.tar.zst', but the archive has sha256 " + outDigest);
        CHECK_THAT(report.problems[1], Contains("SHA256SUMS has a BAD signature"));
    }
    SECTION("checked against another key") {
        const auto report = bundle::verifyBundle(dir, gpg.other.publicKey);
        REQUIRE(report.problems.size() == 2);
        // gpg names the signing subkey, the only one the signature carries.
        CHECK_THAT(report.problems[0],
                   Catch::Matchers::StartsWith("SHA256SUMS is signed by key '"));
        CHECK_THAT(report.problems[0], Contains("', which is not in the keyring: only '" +
                                                gpg.other.fingerprint + "' is trusted"));
        CHECK_THAT(report.problems[1], Contains("the provenance (DSSE signature by '" +
                                                gpg.signer.fingerprint + "') is signed by key '"));
        CHECK(report.signature == bundle::SignatureState::Bad);
    }
    SECTION("signed by another key") {
        const fs::path other = f.dir / "other";
        bundle::writeBundle(f.built(), other,
                            {.signKey = testing::exportSecretKey(gpg.other, f.dir.path())}, quiet);
        const auto report = bundle::verifyBundle(other, gpg.signer.publicKey);
        REQUIRE(report.problems.size() == 2);
        CHECK_THAT(report.problems[0], Contains("', which is not in the keyring: only '" +
                                                gpg.signer.fingerprint + "' is trusted"));
        CHECK_THAT(report.problems[1],
                   Contains("the provenance (DSSE signature by '" + gpg.other.fingerprint + "')"));
    }
    SECTION("a missing file") {
        fs::remove(dir / "xen-9.9.0-boot.tar.zst");
        const auto report = bundle::verifyBundle(dir, gpg.signer.publicKey);
        CHECK(report.problems ==
              std::vector<std::string>{
                  "missing file 'xen-9.9.0-boot.tar.zst' (listed in SHA256SUMS)"});
    }
    SECTION("a missing signature") {
        fs::remove(dir / "SHA256SUMS.asc");
        const auto report = bundle::verifyBundle(dir, gpg.signer.publicKey);
        CHECK(report.problems ==
              std::vector<std::string>{"missing file 'SHA256SUMS.asc': the "
                                       "provenance is signed, SHA256SUMS is not"});
    }
    SECTION("an extra file") {
        xenbuild::testing::writeFile(dir / "notes.txt", "hello\n");
        const auto report = bundle::verifyBundle(dir, gpg.signer.publicKey);
        CHECK(report.problems ==
              std::vector<std::string>{"extra file 'notes.txt' (not listed in SHA256SUMS)"});
    }
    SECTION("an unsigned bundle checked against a key") {
        const fs::path unsignedDir = f.dir / "unsigned";
        bundle::writeBundle(f.built(), unsignedDir, {}, quiet);
        const auto report = bundle::verifyBundle(unsignedDir, gpg.signer.publicKey);
        CHECK(report.problems == std::vector<std::string>{
                                     "the bundle is not signed (no SHA256SUMS.asc, no signature in "
                                     "the provenance), but a key to check it against was given"});
        CHECK(report.signature == bundle::SignatureState::Unsigned);
    }
}

TEST_CASE("bundle::dssePae is DSSE's pre-authentication encoding", "[bundle]") {
    // The example of the DSSE specification (protocol.md).
    CHECK(bundle::dssePae("http://example.com/HelloWorld", "hello world") ==
          "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
}
