#include "support/test_paths.hpp"
#include "xenbuild/update/advisory.hpp"

#include "unit/fetch/gpg_fixture.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using xenbuild::SignatureError;
using xenbuild::fetch::SignatureVerifier;
using xenbuild::testing::GpgFixture;
using xenbuild::update::normaliseTitle;
using xenbuild::update::parseAdvisoryText;
using xenbuild::update::readAdvisory;
using xenbuild::update::readAdvisoryFile;

namespace {

const std::filesystem::path kAdvisory =
    std::filesystem::path(::xenbuild::testing::testDataDir()) / "xsa-458-advisory.txt";

SignatureVerifier xenVerifier() {
    return xenbuild::fetch::xenProjectVerifier(::xenbuild::testing::sourceDir());
}

// From xen-pins.json, patches.XSA-458.description.
const std::string kXsa458Description =
    "An optional feature of PCI MSI called \"Multiple Message\" allows a device to use multiple "
    "consecutive interrupt vectors.  Unlike for MSI-X, the setting up of these consecutive "
    "vectors needs to happen all in one go.  In this handling an error path could be taken in "
    "different situations, with or without a particular lock held.  This error path wrongly "
    "releases the lock even when it is not currently held.";

// A synthetic advisory in the published layout: wrapped CVE list, two-line title, several
// paragraphs (one with lines that clear-signing dash-escapes) and several patches.
const std::string kSynthetic = R"(
     Xen Security Advisory CVE-2099-1001,CVE-2099-1002,
                      CVE-2099-1003 / XSA-999
                               version 3

          x86: a long headline that wraps over
                     two lines

UPDATES IN VERSION 3
====================

Patches updated.

ISSUE DESCRIPTION
=================

First paragraph, which
spans two lines.

- dashed item one
- dashed item two

IMPACT
======

Nothing at all.

RESOLUTION
==========

$ sha256sum xsa999*/*
0000000000000000000000000000000000000000000000000000000000000001  xsa999/xsa999-4.18.patch
00000000000000000000000000000000000000000000000000000000000000ff  xsa999/xsa999-4.19.patch
$
)";

} // namespace

TEST_CASE("update::readAdvisoryFile reads the real XSA-458 advisory", "[update][advisory]") {
    const auto advisory = readAdvisoryFile(kAdvisory, xenVerifier());
    CHECK(advisory.number == 458);
    CHECK(advisory.id() == "XSA-458");
    CHECK(advisory.version == 2);
    CHECK(advisory.cves == std::vector<std::string>{"CVE-2024-31143"});
    CHECK(advisory.headline == "double unlock in x86 guest IRQ handling");
    CHECK(advisory.title == "Double unlock in x86 guest IRQ handling");
    CHECK(advisory.description == kXsa458Description);
    REQUIRE(advisory.patches.size() == 1);
    CHECK(advisory.patches[0].file == "xsa458.patch");
    CHECK(advisory.patches[0].sha256.hex() ==
          "22dd1071755b1fd6b4ea3ce18a200f626ee796e77b7e7d93a3a5b33d2a896706");
    CHECK(advisory.signature.fingerprint == "23E3222C145F4475FA8060A783FE14C957E82BD9");
}

TEST_CASE("update::readAdvisory refuses an advisory it cannot trust", "[update][advisory]") {
    const std::string text = xenbuild::testing::readFile(kAdvisory);
    const auto verifier = xenVerifier();

    SECTION("one word changed") {
        std::string tampered = text;
        tampered.replace(tampered.find("Xen versions 4.4"), 16, "Xen versions 4.5");
        REQUIRE_THROWS_AS(readAdvisory(tampered, verifier, "xsa-458.txt"), SignatureError);
        REQUIRE_THROWS_WITH(readAdvisory(tampered, verifier, "xsa-458.txt"),
                            "advisory 'xsa-458.txt' has a BAD signature from key "
                            "'23E3222C145F4475FA8060A783FE14C957E82BD9': the signed content was "
                            "modified after signing");
    }
    SECTION("signature stripped") {
        const auto stripped = text.substr(0, text.find("-----BEGIN PGP SIGNATURE-----"));
        REQUIRE_THROWS_AS(readAdvisory(stripped, verifier, "xsa-458.txt"), SignatureError);
    }
    SECTION("armor removed entirely") {
        const auto begin = text.find("\n\n") + 2;
        const auto plain = text.substr(begin, text.find("-----BEGIN PGP SIGNATURE-----") - begin);
        REQUIRE_THROWS_WITH(readAdvisory(plain, verifier, "xsa-458.txt"),
                            "advisory 'xsa-458.txt' is not signed: it does not start with "
                            "'-----BEGIN PGP SIGNED MESSAGE-----'");
    }
    SECTION("signed by a key other than the Xen Project's") {
        const auto& keys = GpgFixture::instance();
        REQUIRE_THROWS_WITH(readAdvisory(keys.clearSign(keys.other, kSynthetic), verifier, "x"),
                            "advisory 'x' is signed by key '" + keys.other.fingerprint +
                                "', which is not in the keyring: only "
                                "'23E3222C145F4475FA8060A783FE14C957E82BD9' is trusted");
    }
}

TEST_CASE("update::readAdvisory parses several CVEs and patches", "[update][advisory]") {
    const auto& keys = GpgFixture::instance();
    const SignatureVerifier verifier({keys.signer.publicKey}, keys.signer.fingerprint);
    const auto advisory = readAdvisory(keys.clearSign(keys.signer, kSynthetic), verifier, "x");
    CHECK(advisory.number == 999);
    CHECK(advisory.version == 3);
    CHECK(advisory.cves ==
          std::vector<std::string>{"CVE-2099-1001", "CVE-2099-1002", "CVE-2099-1003"});
    CHECK(advisory.headline == "x86: a long headline that wraps over two lines");
    CHECK(advisory.title == advisory.headline);
    // Dash-escaped lines come back as written.
    CHECK(advisory.description == "First paragraph, which spans two lines.\n"
                                  "- dashed item one - dashed item two");
    REQUIRE(advisory.patches.size() == 2);
    CHECK(advisory.patches[0].file == "xsa999/xsa999-4.18.patch");
    CHECK(advisory.patches[1].file == "xsa999/xsa999-4.19.patch");
    CHECK(advisory.patches[1].sha256.bytes.back() == 0xff);
    CHECK(advisory.signature.fingerprint == keys.signer.fingerprint);
}

TEST_CASE("update::parseAdvisoryText reports what is missing", "[update][advisory]") {
    REQUIRE_THROWS_WITH(parseAdvisoryText("\nHello\n", "a.txt"),
                        "advisory 'a.txt', line 2: expected the header 'Xen Security Advisory "
                        "... / XSA-<number>'");
    REQUIRE_THROWS_WITH(
        parseAdvisoryText("Xen Security Advisory XSA-1\nversion 1\n\ntitle\n", "a.txt"),
        "advisory 'a.txt' has no 'ISSUE DESCRIPTION' section");
    REQUIRE_THROWS_WITH(
        parseAdvisoryText("Xen Security Advisory XSA-1\nversion 1\n\nt\n\nISSUE DESCRIPTION\n"
                          "=================\n\nText.\n\n$ sha256sum xsa1*\nabc  xsa1.patch\n$\n",
                          "a.txt"),
        "advisory 'a.txt', line 12: malformed line 'abc  xsa1.patch' in the sha256sum block: "
        "expected '<64 hex digits>  <file>'");
    // Found by tests/fuzz (advisory): std::stoi's out_of_range escaped as an internal error.
    REQUIRE_THROWS_WITH(
        parseAdvisoryText("Xen Security Advisory XSA-99999999999\nversion 1\n", "a.txt"),
        "advisory 'a.txt', line 1: advisory number 99999999999 is out of range (1 to 99999)");
    REQUIRE_THROWS_WITH(
        parseAdvisoryText("Xen Security Advisory XSA-9\nversion 4294967296\n", "a.txt"),
        "advisory 'a.txt', line 1: advisory version 4294967296 is out of range (1 to 9999)");
    // Found while fuzzing: std::regex's default executor overflowed the stack on long lines.
    const std::string longLine(1 << 20, 'x');
    const std::string body = "\nt\n\nISSUE DESCRIPTION\n=================\n\nText.\n";
    REQUIRE_THROWS_WITH(
        parseAdvisoryText("Xen Security Advisory " + longLine + " XSA-7\nversion 1\n" + body,
                          "a.txt"),
        "advisory 'a.txt', line 1: the header block is longer than 1024 bytes; expected 'Xen "
        "Security Advisory ... / XSA-<number>' and 'version <number>'");
    REQUIRE_THROWS_AS(parseAdvisoryText("Xen Security Advisory XSA-7\nversion 1\n" + body +
                                            "\n$ sha256sum x\n" + std::string(64, 'a') + "  " +
                                            longLine + "x y\n$\n",
                                        "a.txt"),
                      xenbuild::ParseError);
    const auto noCve = parseAdvisoryText(
        "Xen Security Advisory XSA-7\nversion 1\n\nt\n\nISSUE DESCRIPTION\n=================\n\n"
        "Text.\n",
        "a.txt");
    CHECK(noCve.cves.empty());
    CHECK(noCve.patches.empty());
    CHECK(noCve.description == "Text.");
}

TEST_CASE("update::normaliseTitle capitalises plain first words only", "[update][advisory]") {
    CHECK(normaliseTitle("double unlock in x86 guest IRQ handling") ==
          "Double unlock in x86 guest IRQ handling");
    CHECK(normaliseTitle("x86: Deadlock in vlapic_error()") == "x86: Deadlock in vlapic_error()");
    CHECK(normaliseTitle("libxl: fails") == "libxl: fails");
    CHECK(normaliseTitle("PCI device pass-through") == "PCI device pass-through");
}

TEST_CASE("update::readAdvisory names a digest conflict and refuses SHA-1 signatures",
          "[update][advisory]") {
    SECTION("'Hash: SHA1' put on an advisory signed over SHA256") {
        std::string text = xenbuild::testing::readFile(kAdvisory);
        text.replace(text.find("Hash: SHA256"), 12, "Hash: SHA1");
        REQUIRE_THROWS_AS(readAdvisory(text, xenVerifier(), "xsa-458.txt"), SignatureError);
        REQUIRE_THROWS_WITH(readAdvisory(text, xenVerifier(), "xsa-458.txt"),
                            "advisory 'xsa-458.txt' has the armour header 'Hash: SHA1', but its "
                            "signature uses SHA256: the header was changed after signing (gpg: "
                            "signature digest conflict)");
    }
    SECTION("an advisory really signed over SHA-1, which gpg would accept") {
        const auto& keys = GpgFixture::instance();
        xenbuild::testing::TempDir work;
        xenbuild::testing::writeFile(work.path() / "text", kSynthetic);
        keys.gpg({"--local-user", keys.signer.fingerprint, "--digest-algo", "SHA1", "--output",
                  (work.path() / "signed").string(), "--clearsign",
                  (work.path() / "text").string()});
        const std::string signedText = xenbuild::testing::readFile(work.path() / "signed");
        REQUIRE(signedText.find("\nHash: SHA1\n") != std::string::npos);
        const SignatureVerifier verifier({keys.signer.publicKey}, keys.signer.fingerprint);
        REQUIRE_THROWS_WITH(readAdvisory(signedText, verifier, "x"),
                            "advisory 'x' is clear-signed over a SHA1 digest, which xenbuild "
                            "refuses (SHA1 signatures can be forged); Xen Project advisories are "
                            "signed over SHA256");
        // Without the armour header gpg assumes nothing; the signature itself says SHA1.
        std::string headerless = signedText;
        headerless.erase(headerless.find("Hash: SHA1\n"), 11);
        REQUIRE_THROWS_WITH(readAdvisory(headerless, verifier, "x"),
                            Catch::StartsWith("advisory 'x' is clear-signed over a SHA1 digest"));
    }
}

TEST_CASE("update::readAdvisoryFile says what the path is when it is not a file",
          "[update][advisory]") {
    xenbuild::testing::TempDir dir;
    const auto verifier = xenVerifier();
    SECTION("a directory") {
        REQUIRE_THROWS_WITH(readAdvisoryFile(dir.path(), verifier),
                            "advisory '" + dir.path().string() + "' is a directory, not a file");
    }
    SECTION("a FIFO, which would block") {
        const auto fifo = dir.path() / "advisory-458.txt";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        REQUIRE_THROWS_WITH(readAdvisoryFile(fifo, verifier),
                            "advisory '" + fifo.string() +
                                "' is a FIFO (named pipe), not a regular file");
    }
    SECTION("a link to /dev/zero, which never ends") {
        const auto zero = dir.path() / "advisory-458.txt";
        std::filesystem::create_symlink("/dev/zero", zero);
        REQUIRE_THROWS_WITH(readAdvisoryFile(zero, verifier),
                            "advisory '" + zero.string() +
                                "' (a symbolic link to '/dev/zero') is a character device, not a "
                                "regular file");
    }
    SECTION("larger than an advisory can be") {
        const auto big = dir.path() / "advisory-458.txt";
        xenbuild::testing::writeFile(big,
                                     std::string(xenbuild::update::kMaxAdvisoryBytes + 1, 'x'));
        REQUIRE_THROWS_WITH(readAdvisoryFile(big, verifier),
                            "advisory '" + big.string() + "' is larger than the limit of 1 MiB");
    }
}

TEST_CASE("update::parseAdvisoryText refuses advisory numbers out of range", "[update][advisory]") {
    REQUIRE_THROWS_WITH(
        parseAdvisoryText("Xen Security Advisory XSA-99999999999999999999\nversion 1\n", "a.txt"),
        "advisory 'a.txt', line 1: advisory number 99999999999999999999 is out of range (1 to "
        "99999)");
    REQUIRE_THROWS_WITH(parseAdvisoryText("Xen Security Advisory XSA-0\nversion 1\n", "a.txt"),
                        "advisory 'a.txt', line 1: advisory number 0 is out of range (1 to "
                        "99999)");
}

TEST_CASE("update::parseAdvisoryText refuses over-long lines without echoing them",
          "[update][advisory]") {
    // std::regex recursed once per character: a long line overflowed the stack.
    REQUIRE_THROWS_WITH(parseAdvisoryText("Xen Security Advisory XSA-1 " +
                                              std::string(500000, 'x') + "\nversion 1\n",
                                          "a.txt"),
                        "advisory 'a.txt', line 1: the header block is longer than 1024 bytes; "
                        "expected 'Xen Security Advisory ... / XSA-<number>' and 'version "
                        "<number>'");
    REQUIRE_THROWS_WITH(
        parseAdvisoryText("Xen Security Advisory XSA-1\nversion 1\n\nt\n\nISSUE DESCRIPTION\n"
                          "=================\n\nText.\n\n$ sha256sum xsa1*\n" +
                              std::string(64, 'a') + "  " + std::string(500000, 'x') + "\n$\n",
                          "a.txt"),
        "advisory 'a.txt', line 12: malformed line '" + std::string(64, 'a') + "  " +
            std::string(11, 'x') +
            "...' in the sha256sum block: expected '<64 hex digits>  <file>'");
}
