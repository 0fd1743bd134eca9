// narinfo files: what push writes parses back, the fingerprint is Nix's, and malformed or
// hostile narinfos are refused with the line at fault.

#include "xenbuild/cache/narinfo.hpp"
#include "xenbuild/util/error.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild::cache;
using xenbuild::ParseError;
using xenbuild::util::sha256;

namespace {

NarInfo sample() {
    NarInfo info;
    info.storePath = "/var/cache/xenbuild/0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-xen-4.19.0-boot";
    info.url = "nar/1w16ikbhcgwfl122h187xng59scpw8slpjp3myfid8p04glcr0dy.nar.zst";
    info.compression = "zstd";
    info.fileHash = sha256("file");
    info.fileSize = 236;
    info.narHash = sha256("nar");
    info.narSize = 1040;
    info.references = {"07rpwmpfk62m3nii6skyf3w7l37530yj-xen-4.19.0"};
    info.sigs = {"test-1:c2ln"};
    return info;
}

} // namespace

TEST_CASE("narinfo: format and parse round-trip; the fingerprint is Nix's", "[cache]") {
    const NarInfo info = sample();
    const NarInfo parsed = parseNarInfo(info.format(), "x.narinfo");
    CHECK(parsed.format() == info.format());
    CHECK(parsed.baseName() == "0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-xen-4.19.0-boot");
    CHECK(info.fingerprint() ==
          "1;/var/cache/xenbuild/0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-xen-4.19.0-boot;sha256:" +
              sha256("nar").nix32() +
              ";1040;/var/cache/xenbuild/07rpwmpfk62m3nii6skyf3w7l37530yj-xen-4.19.0");
    CHECK(info.format().find("References: 07rpwmpfk62m3nii6skyf3w7l37530yj-xen-4.19.0\n") !=
          std::string::npos);
    // Fields Nix writes that we do not use are ignored; an empty References line is fine.
    auto text = info.format() + "Deriver: unknown-deriver\nSystem: x86_64-linux\n";
    CHECK_NOTHROW(parseNarInfo(text, "x"));
    NarInfo noRefs = sample();
    noRefs.references.clear();
    CHECK(parseNarInfo(noRefs.format(), "x").references.empty());
    std::string trimmed = noRefs.format();
    trimmed.replace(trimmed.find("References: \n"), 13, "References:\n");
    CHECK(parseNarInfo(trimmed, "x").references.empty());
    CHECK(hashPart(info.baseName()) == "0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf");
}

TEST_CASE("narinfo: malformed and hostile narinfos are refused", "[cache]") {
    auto refused = [](const std::string& text, const std::string& message) {
        INFO(text);
        CHECK_THROWS_WITH(parseNarInfo(text, "http://c/x.narinfo"),
                          Catch::Contains("malformed narinfo 'http://c/x.narinfo'") &&
                              Catch::Contains(message));
    };
    const std::string good = sample().format();
    auto replaced = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        text.replace(text.find(from), from.size(), to);
        return text;
    };
    refused(replaced("URL: nar/", "URL: nar/../../etc/"), "URL must be 'nar/NAME'");
    refused(replaced("URL: nar/", "URL: /etc/"), "URL must be 'nar/NAME'");
    refused(replaced("URL: nar/", "URL: http://elsewhere/nar/"), "URL must be 'nar/NAME'");
    refused(replaced("URL: nar/", "URL: nar/."), "URL must be 'nar/NAME'");
    refused(replaced("StorePath: /var", "StorePath: var"), "line 1: not a store path");
    refused(
        replaced("0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-xen", "0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-../xen"),
        "not a store path");
    refused(replaced("0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-xen", "short-xen"), "not a store path");
    refused(replaced("Compression: zstd", "Compression: bzip2"), "unsupported compression 'bzip2'");
    refused(replaced("FileSize: 236", "FileSize: -1"), "not a size: '-1'");
    refused(replaced("FileSize: 236", "FileSize: 99999999999999999999999"), "not a size");
    refused(replaced("NarHash: sha256:", "NarHash: md5:"), "not a sha256 hash");
    refused(replaced("References: 07rpwmpfk62m3nii6skyf3w7l37530yj-xen-4.19.0",
                     "References: ../../etc/passwd"),
            "not a store path name");
    refused(good + "NarSize: 5\n", "repeated NarSize");
    refused(replaced("NarSize: 1040\n", ""), "no NarSize field");
    refused(replaced("Compression: zstd\n", ""), "no Compression field");
    refused(good + "garbage\n", "expected 'Key: value'");
    refused(good + std::string(kMaxNarInfoBytes, '#'), "larger than");
}

TEST_CASE("narinfo: store base names", "[cache]") {
    CHECK(isStoreBaseName("0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-xen-4.19.0"));
    CHECK_FALSE(isStoreBaseName("0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-"));
    CHECK_FALSE(isStoreBaseName("0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-.hidden"));
    CHECK_FALSE(isStoreBaseName("eyamgd7l7xd0vcgqy10ny7pz8hvgxhsf-xen")); // 'e' is not nix32
    CHECK_FALSE(isStoreBaseName("0yamgd7l7xd0vcgqy10ny7pz8hvgxhsf-a/b"));
}
