#include "xenbuild/util/error.hpp"
#include "xenbuild/util/hash.hpp"

#include <catch2/catch.hpp>

using xenbuild::util::Hash;
using xenbuild::util::sha256;

TEST_CASE("util::sha256 matches the FIPS 180-2 vectors", "[util][hash]") {
    CHECK(sha256("abc").hex() ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256("").hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("util::Hash prints the Nix manual's forms", "[util][hash]") {
    // From the Nix manual (nix-hash --to-base32 / nix hash to-sri examples): the NAR of a
    // directory holding `world` = "hello\n"... and sha256("abc") in all forms.
    const Hash abc = sha256("abc");
    CHECK(abc.nix32() == "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s");
    CHECK(abc.sri() == "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST_CASE("util::Hash::parse accepts every printed form", "[util][hash]") {
    const Hash abc = sha256("abc");
    SECTION("hex") {
        CHECK(Hash::parse(abc.hex()) == abc);
    }
    SECTION("nix32") {
        CHECK(Hash::parse(abc.nix32()) == abc);
    }
    SECTION("sri") {
        CHECK(Hash::parse(abc.sri()) == abc);
    }
    SECTION("prefixed") {
        CHECK(Hash::parse("sha256:" + abc.nix32()) == abc);
        CHECK(Hash::parse("sha256:" + abc.hex()) == abc);
    }
    SECTION("round trip of a recipe pin") {
        const std::string pin = "sha256-Q6x+2fZ4ITBz6sKICI0NHGx773Rc919cl+wzI89UY+Q=";
        CHECK(Hash::parse(pin).sri() == pin);
    }
}

TEST_CASE("util::Hash::parse rejects malformed text with the text quoted", "[util][hash]") {
    REQUIRE_THROWS_AS(Hash::parse("sha256-tooshort"), xenbuild::ParseError);
    REQUIRE_THROWS_WITH(Hash::parse("xyz"),
                        "invalid sha256 hash 'xyz': expected SRI (sha256-<base64>), 64 hex digits "
                        "or 52 Nix base32 characters");
    // A 52-character string with a letter outside Nix's alphabet ('e' is excluded).
    REQUIRE_THROWS_AS(Hash::parse(std::string(52, 'e')), xenbuild::ParseError);
}

TEST_CASE("util::fromBase64 reads what toBase64 writes and nothing else", "[util][hash]") {
    const std::vector<std::string> samples{
        "", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\xff\x00\x10", 3)};
    for (const auto& bytes : samples)
        CHECK(xenbuild::util::fromBase64(xenbuild::util::toBase64(
                  reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())) == bytes);
    CHECK(xenbuild::util::fromBase64("Zm9vYmFy") == std::string("foobar"));
    for (const char* bad : {"Zm9", "Zm9v YmFy", "Zm=v", "Zg=A", "Zh==", "====", "Zm9v!"})
        CHECK_FALSE(xenbuild::util::fromBase64(bad));
}
