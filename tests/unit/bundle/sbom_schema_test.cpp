// The SBOMs bundles carry validate against the official SPDX 2.3 JSON schema
// (tests/data/spdx-2.3-schema.json, see spdx-2.3-schema.md there), checked with ajv-cli
// (scripts/install-deps.sh installs it).

#include "support/fixtures.hpp"
#include "support/test_paths.hpp"
#include "unit/bundle/bundle_fixture.hpp"
#include "xenbuild/bundle/sbom.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace xenbuild;
namespace fs = std::filesystem;

namespace {

// ajv's verdict on `document` (written to `dir`): its status and output.
xenbuild::testing::CommandResult validate(const nlohmann::json& document, const fs::path& dir) {
    const fs::path file = dir / "sbom.json";
    xenbuild::testing::writeFile(file, document.dump(2));
    const fs::path schema = fs::path(testing::testDataDir()) / "spdx-2.3-schema.json";
    return xenbuild::testing::run(
        "ajv validate --spec=draft7 --strict=false --all-errors --errors=text -s " +
        xenbuild::testing::shellQuote(schema.string()) + " -d " +
        xenbuild::testing::shellQuote(file.string()) + " 2>&1");
}

} // namespace

TEST_CASE("bundle::spdxDocument validates against the SPDX 2.3 schema", "[bundle][sbom]") {
    REQUIRE(xenbuild::testing::run("command -v ajv").status ==
            0); // scripts/install-deps.sh installs it
    testing::BundleFixture f;
    const std::vector<bundle::BundleFile> archives{{.name = "xen-9.9.0-out.tar.zst",
                                                    .role = "archive",
                                                    .sha256 = util::sha256("o"),
                                                    .output = "out"},
                                                   {.name = "xen-9.9.0-boot.tar.zst",
                                                    .role = "archive",
                                                    .sha256 = util::sha256("b"),
                                                    .output = "boot"}};

    SECTION("a plain build") {
        const auto result = validate(bundle::spdxDocument(f.built(), archives), f.dir.path());
        INFO(result.output);
        CHECK(result.status == 0);
    }
    SECTION("a build with a source override and an excluded patch") {
        const fs::path tree = f.dir / "local-qemu";
        xenbuild::testing::writeFile(tree / "VERSION", "qemu local\n");
        auto with = f.options;
        with.sourceOverrides["qemu"] = tree;
        with.excludedPatches = {"XSA-999"};
        const auto result = validate(bundle::spdxDocument(f.built(with), archives), f.dir.path());
        INFO(result.output);
        CHECK(result.status == 0);
    }
    SECTION("the schema is no formality: a document without its version fails") {
        auto document = bundle::spdxDocument(f.built(), archives);
        document.erase("spdxVersion");
        document["packages"][0]["checksums"] = {{{"algorithm", "SHA-256"}, {"checksumValue", "x"}}};
        const auto result = validate(document, f.dir.path());
        CHECK(result.status != 0);
        CHECK_THAT(result.output, Catch::Matchers::Contains("spdxVersion"));
        CHECK_THAT(result.output,
                   Catch::Matchers::Contains("must be equal to one of the allowed values"));
    }
}
