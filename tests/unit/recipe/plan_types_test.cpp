// The typed plan: enums spelled as the recipe language spells them, parameter values, check
// parameters per kind, dates; and their JSON, which must stay what `show --json` always printed.

#include "recipe/eval_context.hpp"
#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include "support/recipes.hpp"

#include <catch2/catch.hpp>

using namespace xenbuild::recipe;
namespace test = xenbuild::testing;

namespace {

const RecipeSet& planTypesRecipes() {
    static const RecipeSet set = RecipeSet::load(test::sourceRecipes());
    return set;
}

EvalOptions onDay(const char* today) {
    EvalOptions options;
    options.today = xenbuild::util::parseDate(today);
    return options;
}

} // namespace

TEST_CASE("recipe enums spell as the recipe language does, both ways", "[recipe][types]") {
    CHECK(toString(StageAs::Tree) == "tree");
    CHECK(toString(StageAs::Tarball) == "tarball");
    CHECK(toString(InputRole::Source) == "source");
    CHECK(toString(InputRole::Patch) == "patch");
    CHECK(toString(ParamType::Bool) == "bool");
    CHECK(toString(ParamType::String) == "string");
    CHECK(toString(ParamType::Path) == "path");
    CHECK(toString(SecuritySupport::Supported) == "supported");
    CHECK(toString(SecuritySupport::Unsupported) == "unsupported");
    CHECK(toString(CheckKind::Pe32Plus) == "pe32plus");
    CHECK(toString(CheckKind::PkgConfig) == "pkg-config");
    CHECK(toString(CheckKind::HypervisorVersion) == "hypervisor-version");

    for (const auto value : {StageAs::Tree, StageAs::Tarball})
        CHECK(parseStageAs(toString(value)) == value);
    for (const auto value : {ParamType::Bool, ParamType::String, ParamType::Path})
        CHECK(parseParamType(toString(value)) == value);
    for (const auto value :
         {CheckKind::Pe32Plus, CheckKind::PkgConfig, CheckKind::HypervisorVersion})
        CHECK(parseCheckKind(toString(value)) == value);
    CHECK_FALSE(parseStageAs("Tree").has_value());
    CHECK_FALSE(parseParamType("int").has_value());
    CHECK_FALSE(parseCheckKind("pkgconfig").has_value());
    CHECK_FALSE(parseCheckKind("").has_value());
}

TEST_CASE("recipe::ParamValue gives its text and JSON and is checked against its type",
          "[recipe][types]") {
    const ParamValue yes = true, no = false, path = std::string("/usr/bin/qemu");
    CHECK(paramText(yes) == "true");
    CHECK(paramText(no) == "false");
    CHECK(paramText(path) == "/usr/bin/qemu");
    CHECK(paramJson(yes) == nlohmann::json(true));
    CHECK(paramJson(no) == nlohmann::json(false));
    CHECK(paramJson(path) == nlohmann::json("/usr/bin/qemu"));
    CHECK(paramJson(ParamValue{std::string("true")}) == nlohmann::json("true")); // stays a string

    CHECK(holdsType(yes, ParamType::Bool));
    CHECK_FALSE(holdsType(yes, ParamType::String));
    CHECK_FALSE(holdsType(yes, ParamType::Path));
    CHECK(holdsType(path, ParamType::String));
    CHECK(holdsType(path, ParamType::Path));
    CHECK_FALSE(holdsType(path, ParamType::Bool));
}

TEST_CASE("recipe parameter values round-trip between the recipes, the plan and its JSON",
          "[recipe][types]") {
    const auto& set = planTypesRecipes();
    const auto& declared = set.builder().value.at("parameters");
    for (const auto& p : set.parameters()) {
        INFO(p.name);
        const auto& spec = declared.at(p.name);
        CHECK(toString(p.type) == spec.at("type").get<std::string>());
        REQUIRE(p.defaultValue.has_value() == spec.contains("default"));
        if (p.defaultValue) {
            CHECK(holdsType(*p.defaultValue, p.type));
            CHECK(paramJson(*p.defaultValue) == spec.at("default"));
        }
    }
    const auto& variants = set.variantsDocument().value.at("variants");
    for (const auto& [name, variant] : set.variants()) {
        for (const auto& [param, value] : variant.args)
            CHECK(paramJson(value) == variants.at(name).at("args").at(param));
    }

    const auto plan = evaluate(set, "xen-slim", {{"withEFI", "false"}, {"hostQEMU", "/opt/qemu"}},
                               onDay("2026-11-21"));
    CHECK(plan.args.at("withEFI") == ParamValue{false});
    CHECK(plan.args.at("withInternalQEMU") == ParamValue{false});            // from the variant
    CHECK(plan.args.at("hostQEMU") == ParamValue{std::string("/opt/qemu")}); // the override
    CHECK(plan.args.at("withFlask") == ParamValue{false});                   // the default
    const auto json = plan.toJson().at("args");
    REQUIRE(json.size() == plan.args.size());
    for (const auto& [name, value] : plan.args) {
        INFO(name);
        CHECK(json.at(name) == paramJson(value));
        CHECK(holdsType(value, set.parameter(name)->type));
    }
}

TEST_CASE("recipe::Check carries the typed parameters of its kind", "[recipe][types]") {
    const auto plan = evaluate(planTypesRecipes(), "xen_4_19", {}, onDay("2026-11-21"));
    REQUIRE(plan.checks.size() == 8);

    REQUIRE(plan.checks[0].kind() == CheckKind::Pe32Plus);
    CHECK(std::get<Pe32PlusParams>(plan.checks[0].params).path == "${outputs.boot}/boot/xen.efi");

    REQUIRE(plan.checks[1].kind() == CheckKind::PkgConfig);
    const auto& pkgConfig = std::get<PkgConfigParams>(plan.checks[1].params);
    CHECK(pkgConfig.path == "${outputs.dev}/usr/lib/pkgconfig");
    CHECK(pkgConfig.prefix == "/usr");
    CHECK(pkgConfig.modules.size() == 15);
    CHECK(pkgConfig.modules.front() == "xencall");
    CHECK(pkgConfig.modules.back() == "xlutil");

    REQUIRE(plan.checks[2].kind() == CheckKind::HypervisorVersion);
    const auto& version = std::get<HypervisorVersionParams>(plan.checks[2].params);
    CHECK(version.path == "${outputs.boot}/boot/xen.gz");
    CHECK(version.version == "4.19.0"); // interpolated

    REQUIRE(plan.checks[3].kind() == CheckKind::Elf);
    CHECK(std::get<ElfParams>(plan.checks[3].params).elfClass == "ELF32");
    REQUIRE(plan.checks[4].kind() == CheckKind::Seabios);
    CHECK(std::get<SeabiosParams>(plan.checks[4].params).source == "seabios");
    REQUIRE(plan.checks[5].kind() == CheckKind::UefiFirmware);
    CHECK(std::get<UefiFirmwareParams>(plan.checks[5].params).sizesKiB ==
          std::vector<unsigned>{1024, 2048, 4096});
    REQUIRE(plan.checks[6].kind() == CheckKind::OptionRom);
    CHECK(std::get<OptionRomParams>(plan.checks[6].params).path ==
          "${outputs.out}/usr/lib/xen/boot/ipxe.bin");
    REQUIRE(plan.checks[7].kind() == CheckKind::ProgramVersion);
    CHECK(std::get<ProgramVersionParams>(plan.checks[7].params).versionFile == "VERSION");

    // The JSON of each is the recipe's params object, interpolated.
    const auto json = plan.toJson().at("checks");
    for (std::size_t i = 0; i < plan.checks.size(); ++i) {
        CHECK(json[i].at("kind") == toString(plan.checks[i].kind()));
        CHECK(json[i].at("params") == plan.checks[i].paramsJson());
    }
    CHECK(Check{.params = Pe32PlusParams{.path = "${outputs.boot}/x"}}.paramsJson() ==
          nlohmann::json{{"path", "${outputs.boot}/x"}});
    CHECK(Check{.params = PkgConfigParams{.path = "p", .modules = {"a", "b"}, .prefix = "/usr"}}
              .paramsJson() ==
          nlohmann::json{{"path", "p"}, {"modules", {"a", "b"}}, {"prefix", "/usr"}});
    CHECK(Check{.params = HypervisorVersionParams{.path = "p", .version = "4.19.1"}}.paramsJson() ==
          nlohmann::json{{"path", "p"}, {"version", "4.19.1"}});
    CHECK(Check{.params = SeabiosParams{.path = "p",
                                        .source = "seabios",
                                        .extraVersion = "-Xen",
                                        .sizesKiB = {128}}}
              .paramsJson() ==
          nlohmann::json{
              {"path", "p"}, {"source", "seabios"}, {"extraVersion", "-Xen"}, {"sizesKiB", {128}}});
    CHECK(Check{.params = ElfParams{.path = "p", .elfClass = "ELF64"}}.paramsJson() ==
          nlohmann::json{{"path", "p"}, {"class", "ELF64"}});
    CHECK(Check{.params = ProgramVersionParams{.path = "p",
                                               .args = {"--version"},
                                               .source = "qemu",
                                               .versionFile = "VERSION",
                                               .libraryPath = {"l"}}}
              .paramsJson() == nlohmann::json{{"path", "p"},
                                              {"args", {"--version"}},
                                              {"source", "qemu"},
                                              {"versionFile", "VERSION"},
                                              {"libraryPath", {"l"}}});
    // Every kind has its spelling, and it parses back.
    for (const auto kind : {CheckKind::Pe32Plus, CheckKind::PkgConfig, CheckKind::HypervisorVersion,
                            CheckKind::Seabios, CheckKind::UefiFirmware, CheckKind::OptionRom,
                            CheckKind::ProgramVersion, CheckKind::Elf}) {
        CHECK(parseCheckKind(toString(kind)) == kind);
    }
}

TEST_CASE("recipe check parameters missing from a builder are a ParseError at the check",
          "[recipe][types]") {
    // The schema requires every parameter; evaluation does not rely on it.
    const JsonDocument doc = parseJson(
        "{\"checks\": [{\"kind\": \"pkg-config\", \"params\": {\"path\": 7}}]}", "builder.json");
    const detail::EvalContext ctx{.doc = doc, .outputs = {"dev"}};
    REQUIRE_THROWS_AS(ctx.stringAt("/checks/0/params/path"), xenbuild::ParseError);
    REQUIRE_THROWS_WITH(ctx.stringAt("/checks/0/params/path"),
                        std::string("builder.json:1:55: expected a string here\n"
                                    "  {\"checks\": [{\"kind\": \"pkg-config\", \"params\": "
                                    "{\"path\": 7}}]}\n") +
                            std::string(56, ' ') + "^");
    REQUIRE_THROWS_WITH(ctx.stringsAt("/checks/0/params/modules"),
                        Catch::StartsWith("builder.json:1:46: expected a list of strings here"));
}

TEST_CASE("recipe support dates are days: status, JSON and an impossible date", "[recipe][types]") {
    const auto& set = planTypesRecipes();
    const auto& support = set.branches().at("4.19").support;
    CHECK(xenbuild::util::formatDate(support.initialRelease) == "2024-07-29");
    CHECK(xenbuild::util::formatDate(support.supportedUntil) == "2026-01-29");
    const auto plan = evaluate(set, "xen_4_19", {}, onDay("2027-07-30"));
    CHECK(plan.meta.securitySupport == SecuritySupport::Unsupported);
    CHECK(plan.meta.securitySupportUntil == support.securitySupportUntil);
    CHECK(plan.toJson().at("meta").at("securitySupportUntil") == "2027-07-29");
    CHECK(plan.toJson().at("meta").at("securitySupport") == "unsupported");

    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    test::editFile(recipes / "xen/4.19.json", "\"2027-07-29\"", "\"2024-02-30\"");
    REQUIRE_THROWS_AS(RecipeSet::load(recipes), xenbuild::ParseError);
    REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                        (recipes / "xen/4.19.json").string() +
                            ":32:29: expected a date YYYY-MM-DD, got '2024-02-30' (February 2024 "
                            "has 29 days)\n"
                            "      \"securitySupportUntil\": \"2024-02-30\"\n"
                            "                              ^");
}
