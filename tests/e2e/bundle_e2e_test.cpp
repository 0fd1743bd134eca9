// End-to-end tests of `xenbuild bundle` and `xenbuild bundle verify` on the Xen-shaped tree:
// a build of the fixture package with an advisory's patch, bundled signed and unsigned,
// reproducibility, verification (also by hand with sha256sum and gpg), tampering, and builds
// that deviate from their plan.

#include "e2e/build_fixture.hpp"
#include "support/test_paths.hpp"
#include "unit/fetch/gpg_fixture.hpp"
#include "unit/fetch/secret_keys.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/hash.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xenbuild::testing;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const char* kXsaPatch = "--- /dev/null\n+++ b/XSA-999-FIXED\n@@ -0,0 +1 @@\n+fixed\n";

// The fixture upstream with one upstream patch, XSA-999 (two CVEs), applying to every branch.
struct BundleUpstream : FakeUpstream {
    BundleUpstream() {
        writeFile(root / "xsa999.patch", kXsaPatch);
        const json patches = {{"kind", "patches"},
                              {"patches",
                               {{{"id", "XSA-999"},
                                 {"project", "xen"},
                                 {"xsa", 999},
                                 {"url", "file://" + (root / "xsa999.patch").string()},
                                 {"sha256", xenbuild::util::sha256(kXsaPatch).hex()},
                                 {"title", "Made-up hypervisor bug"},
                                 {"cves", {"CVE-2099-1001", "CVE-2099-1002"}}}}}};
        writeFile(recipes / "xen" / "patches.json", patches.dump(2));
    }

    std::string dirArg(const std::string& name) const { return shellQuote((root / name).string()); }

    // Builds xen_4_19-slim and writes its bundle, signed with `signer`'s key, to root/bundle.
    fs::path buildAndBundleSigned(const xenbuild::testing::TestKey& signer) {
        const auto key = xenbuild::testing::exportSecretKey(signer, root);
        REQUIRE(xenbuild("build xen_4_19-slim " + hostProfileArg()).status == 0);
        const fs::path bundle = root / "bundle";
        REQUIRE(xenbuild("bundle xen_4_19-slim -o " + shellQuote(bundle.string()) + " --sign-key " +
                         shellQuote(key.string()) + " " + hostProfileArg())
                    .status == 0);
        return bundle;
    }
};

json statementOf(const fs::path& envelope) {
    return json::parse(*xenbuild::util::fromBase64(
        json::parse(readFile(envelope)).at("payload").get<std::string>()));
}

} // namespace

TEST_CASE("bundle: build, bundle, verify; two bundles of one build are the same bytes",
          "[bundle][e2e]") {
    BundleUpstream upstream;
    const auto& gpg = xenbuild::testing::GpgFixture::instance();
    const auto key = xenbuild::testing::exportSecretKey(gpg.signer, upstream.root);
    const auto built = upstream.xenbuild("build xen_4_19-slim " + upstream.hostProfileArg());
    INFO(built.output);
    REQUIRE(built.status == 0);

    const auto bundled = upstream.xenbuildStdout(
        "bundle xen_4_19-slim -o " + upstream.dirArg("signed") + " --sign-key " +
        shellQuote(key.string()) + " " + upstream.hostProfileArg());
    REQUIRE(bundled.status == 0);
    const fs::path dir = upstream.root / "signed";
    CHECK(bundled.output == "xen_4_19-slim: bundle in " + dir.string() + ", signed by " +
                                gpg.signer.fingerprint +
                                "\n"
                                "  xen-4.19.0-out.tar.zst\n"
                                "  xen-4.19.0-boot.tar.zst\n"
                                "  xen-4.19.0-dev.tar.zst\n"
                                "  xen-4.19.0-man.tar.zst\n"
                                "  xen-4.19.0-doc.tar.zst\n"
                                "  xen-4.19.0.spdx.json\n"
                                "  xen-4.19.0.intoto.jsonl\n"
                                "  SHA256SUMS\n"
                                "  SHA256SUMS.asc\n");

    const auto verified = upstream.xenbuild("bundle verify " + shellQuote(dir.string()) +
                                            " --key " + shellQuote(gpg.signer.publicKey.string()));
    CHECK(verified.status == 0);
    CHECK(verified.output ==
          dir.string() + ": OK, 5 archives, signed by " + gpg.signer.fingerprint + "\n");
    const auto unchecked = upstream.xenbuild("bundle verify " + shellQuote(dir.string()));
    CHECK(unchecked.status == 0);
    CHECK_THAT(unchecked.output, Contains("signatures not checked (give --key)"));

    // The SBOM names the advisory's patch as a security fix; the archives unpack into one root.
    const auto sbom = json::parse(readFile(dir / "xen-4.19.0.spdx.json"));
    bool sawFix = false;
    for (const auto& package : sbom["packages"])
        if (package["SPDXID"] == "SPDXRef-Patch-XSA-999") {
            sawFix = true;
            CHECK(package["annotations"][0]["comment"] ==
                  "security fix: XSA-999 fixes CVE-2099-1001, CVE-2099-1002");
        }
    CHECK(sawFix);
    // Unpacked into an empty root, the archives give the installed system at its FHS paths,
    // and nothing in it mentions the store.
    const auto root = upstream.root / "root";
    fs::create_directories(root);
    for (const auto& name : fileNames(dir))
        if (name.ends_with(".tar.zst"))
            REQUIRE(run("tar -C " + shellQuote(root.string()) + " -x -f " +
                        shellQuote((dir / name).string()))
                        .status == 0);
    CHECK(fs::is_regular_file(root / "usr/sbin/xl"));
    CHECK(fs::is_regular_file(root / "boot/xen.efi"));
    CHECK(fs::is_regular_file(root / "boot/xen.gz"));
    CHECK(fs::is_regular_file(root / "etc/xen/xl.conf"));
    CHECK(fs::is_directory(root / "var/lib/xen/dump"));
    CHECK(fs::is_regular_file(root / "usr/include/xenctrl.h"));
    CHECK(fs::is_regular_file(root / "usr/lib/pkgconfig/xenlight.pc"));
    CHECK(fs::is_regular_file(root / "usr/share/man/man1/xl.1"));
    CHECK(fs::is_regular_file(root / "usr/share/doc/xen/README"));
    CHECK(readFile(root / "usr/lib/pkgconfig/xenlight.pc").starts_with("prefix=/usr\n"));
    CHECK(run("grep -rlF " + shellQuote(upstream.store.string() + "/") + " " +
              shellQuote(root.string()))
              .status == 1);

    // Two unsigned bundles of the build: the same bytes.
    for (const char* name : {"a", "b"})
        REQUIRE(upstream
                    .xenbuild("bundle xen_4_19-slim -q -o " + upstream.dirArg(name) + " " +
                              upstream.hostProfileArg())
                    .status == 0);
    const auto names = fileNames(upstream.root / "a");
    CHECK(names == fileNames(upstream.root / "b"));
    CHECK(names.size() == 8);
    for (const auto& name : names) {
        INFO(name);
        CHECK(readFile(upstream.root / "a" / name) == readFile(upstream.root / "b" / name));
    }
    CHECK(readFile(upstream.root / "a" / "xen-4.19.0-out.tar.zst") ==
          readFile(dir / "xen-4.19.0-out.tar.zst"));
    const auto plain = upstream.xenbuildStdout("bundle verify --json " + upstream.dirArg("a"));
    CHECK(plain.status == 0);
    CHECK(json::parse(plain.output)["signature"] == "unsigned");
    const auto wanted = upstream.xenbuild("bundle verify " + upstream.dirArg("a") + " --key " +
                                          shellQuote(gpg.signer.publicKey.string()));
    CHECK(wanted.status == 1);
    CHECK_THAT(wanted.output, Contains("the bundle is not signed"));
}

TEST_CASE("bundle: verify by hand with sha256sum and gpg", "[bundle][e2e]") {
    BundleUpstream upstream;
    const auto& gpg = xenbuild::testing::GpgFixture::instance();
    const fs::path dir = upstream.buildAndBundleSigned(gpg.signer);

    // docs/bundle.md "By hand", with a keyring of the release key only.
    const auto home = upstream.root / "g";
    fs::create_directory(home);
    fs::permissions(home, fs::perms::owner_all);
    const std::string gpgCmd = "GNUPGHOME=" + shellQuote(home.string()) + " gpg --batch -q ";
    const std::string script =
        "set -e; cd " + shellQuote(dir.string()) + "; " + gpgCmd + "--import " +
        shellQuote(gpg.signer.publicKey.string()) + "; " + gpgCmd +
        "--verify SHA256SUMS.asc SHA256SUMS; sha256sum --strict -c SHA256SUMS; "
        "type=application/vnd.in-toto+json; w=$(mktemp -d); "
        "jq -r .payload xen-4.19.0.intoto.jsonl | base64 -d > $w/statement.json; "
        "printf 'DSSEv1 %d %s %d ' ${#type} \"$type\" \"$(stat -c %s $w/statement.json)\" > "
        "$w/pae; "
        "cat $w/statement.json >> $w/pae; "
        "jq -r '.signatures[0].sig' xen-4.19.0.intoto.jsonl | base64 -d > $w/pae.sig; " +
        gpgCmd +
        "--verify $w/pae.sig $w/pae; rm -r $w; "
        "GNUPGHOME=" +
        shellQuote(home.string()) + " gpgconf --kill all";
    const auto byHand = run("bash -c " + shellQuote(script) + " 2>&1");
    INFO(byHand.output);
    CHECK(byHand.status == 0);
    CHECK_THAT(byHand.output, Contains("xen-4.19.0-boot.tar.zst: OK"));
}

TEST_CASE("bundle verify: each tampering is named, exit 1", "[bundle][e2e]") {
    BundleUpstream upstream;
    const auto& gpg = xenbuild::testing::GpgFixture::instance();
    const fs::path dir = upstream.buildAndBundleSigned(gpg.signer);
    const fs::path boot = dir / "xen-4.19.0-boot.tar.zst";
    const std::string bootDigest = xenbuild::util::sha256File(boot).hex();
    const std::string verify = "bundle verify " + shellQuote(dir.string()) + " --key " +
                               shellQuote(gpg.signer.publicKey.string());

    SECTION("an archive byte changed") {
        std::string bytes = readFile(boot);
        bytes[100] = static_cast<char>(bytes[100] ^ 0x20);
        fs::remove(boot);
        writeFile(boot, bytes);
        const auto result = upstream.xenbuild(verify);
        CHECK(result.status == 1);
        const std::string actual = xenbuild::util::sha256File(boot).hex();
        CHECK(result.output ==
              dir.string() +
                  ": FAILED\n  'xen-4.19.0-boot.tar.zst' was modified: SHA256SUMS says sha256 " +
                  bootDigest + ", the file has sha256 " + actual +
                  "\n  'xen-4.19.0.spdx.json' names sha256 " + bootDigest +
                  " for 'xen-4.19.0-boot.tar.zst', but the archive has sha256 " + actual +
                  "\n  'xen-4.19.0.intoto.jsonl' names sha256 " + bootDigest +
                  " for 'xen-4.19.0-boot.tar.zst', but the archive has sha256 " + actual +
                  "\nerror: the bundle '" + dir.string() + "' failed verification (3 problems)\n");
    }
    SECTION("a missing file") {
        fs::remove(boot);
        const auto result = upstream.xenbuild(verify);
        CHECK(result.status == 1);
        CHECK_THAT(result.output,
                   Contains("missing file 'xen-4.19.0-boot.tar.zst' (listed in SHA256SUMS)"));
    }
    SECTION("the wrong key") {
        const auto result = upstream.xenbuild("bundle verify " + shellQuote(dir.string()) +
                                              " --key " + shellQuote(gpg.other.publicKey.string()));
        CHECK(result.status == 1);
        CHECK_THAT(result.output, Contains("which is not in the keyring: only '" +
                                           gpg.other.fingerprint + "' is trusted"));
    }
    SECTION("--json") {
        fs::remove(boot);
        const auto result = upstream.xenbuildStdout(verify + " --json");
        CHECK(result.status == 1);
        const auto report = json::parse(result.output);
        CHECK(report["ok"] == false);
        CHECK(report["signature"] == "verified");
        CHECK(report["problems"] ==
              json::array({"missing file 'xen-4.19.0-boot.tar.zst' (listed in SHA256SUMS)"}));
    }
}

TEST_CASE("bundle: --override-source and --exclude-patch are in the SBOM and the provenance",
          "[bundle][e2e]") {
    BundleUpstream upstream;
    const fs::path tree = upstream.root / "local-qemu";
    writeFile(tree / "README", "a local qemu\n");
    const std::string options = " --override-source qemu=" + shellQuote(tree.string()) +
                                " --exclude-patch XSA-999 " + upstream.hostProfileArg();
    const auto built = upstream.xenbuild("build xen_4_19-slim" + options);
    INFO(built.output);
    REQUIRE(built.status == 0);
    const fs::path dir = upstream.root / "bundle";
    SECTION("without the build's options there is no such build") {
        const auto plain = upstream.xenbuild("bundle xen_4_19-slim -o " + shellQuote(dir.string()) +
                                             " " + upstream.hostProfileArg());
        CHECK(plain.status == 1);
        CHECK_THAT(plain.output, Contains("'xen_4_19-slim' has not been built in the store"));
        CHECK_FALSE(fs::exists(dir));
    }
    SECTION("with them") {
        REQUIRE(upstream.xenbuild("bundle xen_4_19-slim -o " + shellQuote(dir.string()) + options)
                    .status == 0);
        const auto sbom = json::parse(readFile(dir / "xen-4.19.0.spdx.json"));
        const std::string comment = sbom["comment"];
        CHECK_THAT(comment,
                   Catch::Matchers::StartsWith("WARNING: this build deviates from its plan."));
        CHECK_THAT(comment, Contains("SOURCE OVERRIDDEN: source 'qemu' was built from the local "
                                     "directory '" +
                                     tree.string() + "'"));
        CHECK_THAT(comment, Contains("PATCH EXCLUDED: patch 'XSA-999' was left out of the series "
                                     "on request; this build does NOT carry its fix (XSA-999 "
                                     "fixes CVE-2099-1001, CVE-2099-1002)"));
        const auto statement = statementOf(dir / "xen-4.19.0.intoto.jsonl");
        const auto& parameters = statement["predicate"]["buildDefinition"]["externalParameters"];
        REQUIRE(parameters["deviations"].size() == 2);
        CHECK_THAT(parameters["deviations"][0].get<std::string>(), Contains("SOURCE OVERRIDDEN"));
        CHECK_THAT(parameters["deviations"][1].get<std::string>(), Contains("PATCH EXCLUDED"));
        CHECK(parameters["excludedPatches"] == json::array({"XSA-999"}));
        CHECK(upstream.xenbuild("bundle verify " + shellQuote(dir.string())).status == 0);

        // The SBOM validates against the official SPDX 2.3 schema.
        const auto schema = fs::path(xenbuild::testing::testDataDir()) / "spdx-2.3-schema.json";
        const auto valid = run("ajv validate --spec=draft7 --strict=false --all-errors -s " +
                               shellQuote(schema.string()) + " -d " +
                               shellQuote((dir / "xen-4.19.0.spdx.json").string()) + " 2>&1");
        INFO(valid.output);
        CHECK(valid.status == 0);
    }
}

TEST_CASE("bundle: usage errors", "[bundle][e2e]") {
    BundleUpstream upstream;
    const auto noDir = upstream.xenbuild("bundle xen_4_19-slim");
    CHECK(noDir.status == 2);
    CHECK(noDir.output == "error: bundle: -o DIR is required (where to write it)\n");
    const auto noPackage = upstream.xenbuild("bundle -o x");
    CHECK(noPackage.status == 2);
    const auto notBuilt = upstream.xenbuild("bundle xen_4_19-slim -o " + upstream.dirArg("b") +
                                            " " + upstream.hostProfileArg());
    CHECK(notBuilt.status == 1);
    CHECK(notBuilt.output ==
          "error: 'xen_4_19-slim' has not been built in the store '" + upstream.store.string() +
              "'; run `xenbuild build xen_4_19-slim` first (with the same --arg, --host-profile, "
              "--override-source and --exclude-patch options)\n");
    const auto notDir = upstream.xenbuild("bundle verify " + upstream.dirArg("nothing"));
    CHECK(notDir.status == 1);
    CHECK(notDir.output == "error: cannot verify the bundle '" +
                               (upstream.root / "nothing").string() + "': not a directory\n");
}
