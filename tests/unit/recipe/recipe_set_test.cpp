#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include "support/recipes.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace xenbuild::recipe;
namespace test = xenbuild::testing;

TEST_CASE("recipe::RecipeSet::load appends local patches after upstream ones", "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    test::writeFile(dir.path() / "patches/4.19/0002-xen-second-fix-4.19.patch", "two\n");
    test::writeFile(dir.path() / "patches/4.19/0001-xen-first-fix-4.19.patch", "one\n");
    test::writeFile(dir.path() / "patches/4.19/README.md", "notes\n");
    const auto set = RecipeSet::load(recipes);
    EvalOptions options;
    options.today = xenbuild::util::parseDate("2026-11-21");
    const BuildPlan plan = evaluate(set, "xen_4_19", {}, options);
    REQUIRE(plan.patches.size() == 8);
    const PatchRef& first = plan.patches[6];
    CHECK(first.id == "0001-xen-first-fix-4.19.patch");
    CHECK(first.local);
    CHECK(first.project == "xen");
    CHECK(first.url == "file://" + (std::filesystem::canonical(dir.path()) /
                                    "patches/4.19/0001-xen-first-fix-4.19.patch")
                                       .string());
    CHECK(first.sha256 == xenbuild::util::sha256("one\n"));
    CHECK(plan.patches[7].id == "0002-xen-second-fix-4.19.patch");
    CHECK(evaluate(set, "xen_4_18", {}, options).patches.size() == 4);
    // Local patches reach the build, so they change the plan hash; they are not advisories.
    CHECK(plan.meta.xsas == std::vector<int>{460, 461, 462});
}

TEST_CASE("recipe::evaluate leaves out patches for components the package does not build",
          "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    test::writeFile(dir.path() / "patches/4.18/0001-qemu-fix-display-4.18.patch", "q\n");
    const auto set = RecipeSet::load(recipes);
    EvalOptions options;
    options.today = xenbuild::util::parseDate("2026-11-21");
    const BuildPlan standard = evaluate(set, "xen_4_18", {}, options);
    REQUIRE(standard.patches.size() == 5);
    CHECK(standard.patches.back().project == "qemu");
    CHECK(evaluate(set, "xen_4_18-slim", {}, options).patches.size() == 4);
}

TEST_CASE("recipe::RecipeSet::load rejects misnamed local patches", "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    SECTION("no number") {
        test::writeFile(dir.path() / "patches/4.19/fix-build.patch", "x\n");
    }
    SECTION("wrong branch") {
        test::writeFile(dir.path() / "patches/4.19/0001-xen-fix-4.18.patch", "x\n");
    }
    SECTION("unknown project") {
        test::writeFile(dir.path() / "patches/4.19/0001-xne-fix-4.19.patch", "x\n");
    }
    REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                        Catch::Contains("is misnamed: ") &&
                            Catch::Contains("expected NNNN-project-description-branch.patch, "
                                            "e.g. 0001-xen-fix-build-4.19.patch"));
}

TEST_CASE("recipe::RecipeSet::load cross-checks the recipe files", "[recipe]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    SECTION("a patch listed twice") {
        test::editFile(recipes / "xen/patches.json", "\"id\": \"XSA-461\"", "\"id\": \"XSA-460\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("patches.json:79:13: patch 'XSA-460' is listed twice"));
    }
    SECTION("a pin of a source the builder does not declare") {
        test::editFile(recipes / "xen/4.19.json", "\"qemu\": {", "\"qemo\": {");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("4.19.json:11:13: branch 4.19 pins source 'qemo', "
                                            "which the builder does not declare; did you mean "
                                            "'qemu'? (sources are declared in "));
    }
    SECTION("a branch without a pin the builder uses, at evaluation") {
        test::editFile(
            recipes / "xen/builder.json", "  ],\n  \"configureFlags\"",
            "    ,{\"name\": \"extra\", \"if\": \"withFlask\", \"url\": \"https://x/e.git\", "
            "\"stageAt\": \"extra\", \"stageAs\": \"tree\"}\n  ],\n  \"configureFlags\"");
        const auto set = RecipeSet::load(recipes);
        CHECK(evaluate(set, "xen_4_19").sources.size() == 5);
        REQUIRE_THROWS_WITH(evaluate(set, "xen_4_19", {{"withFlask", "true"}}),
                            Catch::Contains("4.19.json:5:14: branch 4.19 has no pin for source "
                                            "'extra', which the builder uses"));
    }
    SECTION("a builder outside the directory named after its pname") {
        std::filesystem::rename(recipes / "xen", recipes / "xem");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("builder.json:13:12: the builder of package 'xen' must "
                                            "live in 'xen'/, not in 'xem'/"));
    }
    SECTION("two package directories") {
        std::filesystem::create_directory(recipes / "other");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            "recipe directory '" + recipes.string() +
                                "' holds several package directories ('other', 'xen'); it must "
                                "hold exactly one");
    }
    SECTION("no package directory") {
        std::filesystem::remove_all(recipes / "xen");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::StartsWith("no recipes in '" + recipes.string() +
                                              "': it has no package directory"));
    }
    SECTION("a host profile path the builder needs is missing") {
        test::editFile(recipes / "xen/host-profile.json",
                       "\"ipxe\": \"/usr/lib/ipxe/qemu/pxe-e1000.rom\"", "\"pxe\": \"/x\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("builder.json:72:22: parameter 'hostIPXE' takes its "
                                            "default from the host profile's path 'ipxe', which "
                                            "host profile 'debian' does not have"));
    }
    SECTION("a tree source with a condition") {
        test::editFile(recipes / "xen/builder.json", "\"name\": \"xen\",",
                       "\"name\": \"xen\", \"if\": \"withEFI\",");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains(": the first source is the tree every build stages: "
                                            "it cannot have a condition"));
    }
    SECTION("a branch file under another name") {
        std::filesystem::rename(recipes / "xen/4.16.json", recipes / "xen/4.15.json");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("branch '4.16' must live in 4.16.json, not 4.15.json"));
    }
    SECTION("a variant setting an unknown parameter") {
        test::editFile(recipes / "xen/variants.json", "\"withInternalOVMF\": false",
                       "\"withInternalOVNF\": false");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("unknown parameter 'withInternalOVNF'; did you mean "
                                            "'withInternalOVMF'?"));
    }
    SECTION("an unknown interpolation variable, at its position") {
        test::editFile(recipes / "xen/builder.json", "${outputs.boot}/boot/xen.efi",
                       "${outputs.bot}/boot/xen.efi");
        const auto set = RecipeSet::load(recipes);
        REQUIRE_THROWS_WITH(evaluate(set, "xen"),
                            Catch::Contains("builder.json:178:62: unknown variable "
                                            "'${outputs.bot}'; did you mean 'outputs.boot'?"));
    }
    SECTION("outputPaths for an output the builder does not have") {
        test::editFile(recipes / "xen/builder.json", "\"boot\": [\"/boot\"]",
                       "\"bot\": [\"/boot\"]");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("builder.json:166:12: outputPaths names 'bot', which "
                                            "is not one of the outputs"));
    }
    SECTION("outputPaths for the first output") {
        test::editFile(recipes / "xen/builder.json", "\"boot\": [\"/boot\"]",
                       "\"out\": [\"/usr\"]");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("the first output 'out' takes every install path no "
                                            "other output claims: it has no outputPaths"));
    }
    SECTION("an install path after a parameter that is not a path") {
        test::editFile(recipes / "xen/builder.json", "\"${prefix}/include\"",
                       "\"${withEFI}/include\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("builder.json:167:13: an install path may only "
                                            "continue with a path parameter, and 'withEFI' is not "
                                            "one (declare it with \"type\": \"path\")"));
    }
    SECTION("a relative install path") {
        test::editFile(recipes / "xen/builder.json", "\"boot\": [\"/boot\"]",
                       "\"boot\": [\"boot\"]");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("schema violation at /outputPaths/boot/0: expected an "
                                            "absolute install path"));
    }
    SECTION("an install path claimed by two outputs") {
        test::editFile(recipes / "xen/builder.json", "\"boot\": [\"/boot\"]",
                       "\"boot\": [\"/usr/include\"]");
        REQUIRE_THROWS_WITH(evaluate(RecipeSet::load(recipes), "xen"),
                            Catch::Contains("the install path '/usr/include' is claimed by the "
                                            "outputs 'boot' and 'dev'"));
    }
    SECTION("a check path after a parameter that is not a path") {
        test::editFile(recipes / "xen/builder.json", "${outputs.dev}${prefix}/lib",
                       "${outputs.dev}${withEFI}/lib");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("a check path after ${outputs.dev} may only continue "
                                            "with a path parameter, and 'withEFI' is not one"));
    }
    SECTION("a path parameter's default that is not normalised") {
        test::editFile(recipes / "xen/builder.json", "\"default\": \"/usr\"",
                       "\"default\": \"/usr/\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("default of path parameter 'prefix' has an empty "
                                            "component ('//' or a trailing '/') (a path parameter "
                                            "is absolute and normalised)"));
    }
    SECTION("a patch for an unknown project") {
        test::editFile(recipes / "xen/patches.json", "\"project\": \"xen\"",
                       "\"project\": \"xem\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("applies to unknown project 'xem'; did you mean "
                                            "'xen'?"));
    }
    SECTION("a missing directory") {
        REQUIRE_THROWS_AS(RecipeSet::load(dir.path() / "nowhere"), xenbuild::EvalError);
    }
}

TEST_CASE("recipe::RecipeSet::load from files in memory: the plans and the errors of the disk",
          "[recipe][ci]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    test::writeFile(dir.path() / "patches/4.19/0001-xen-first-fix-4.19.patch", "one\n");
    const auto layout = RecipeLayout::beside(recipes);
    RecipeFiles files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path()))
        if (entry.is_regular_file()) files.emplace(entry.path(), test::readFile(entry.path()));
    const auto disk = RecipeSet::load(layout);
    const auto memory = RecipeSet::load(layout, files);
    CHECK(memory.directory() == disk.directory());
    EvalOptions options;
    options.today = xenbuild::util::parseDate("2026-11-21");
    for (const auto& name : disk.packageNames()) {
        INFO(name);
        CHECK(evaluate(memory, name, {}, options).toJson() ==
              evaluate(disk, name, {}, options).toJson());
    }

    // What the disk refuses, memory refuses with the same message.
    const auto message = [](const auto& load) {
        try {
            load();
        } catch (const xenbuild::Error& e) {
            return e.describe();
        }
        return std::string("no error");
    };
    const auto odd = recipes / "xen" / "odd.json";
    std::filesystem::create_directory(odd);
    test::writeFile(odd / "inside", "");
    files.emplace(odd / "inside", "");
    CHECK(message([&] { RecipeSet::load(layout, files); }) ==
          message([&] { RecipeSet::load(layout); }));
    CHECK_THAT(message([&] { RecipeSet::load(layout, files); }),
               Catch::Contains("odd.json' is a directory, not a file"));
    CHECK_THAT(message([&] { RecipeSet::load(layout, RecipeFiles{}); }),
               Catch::Contains("no recipes in '" + recipes.string() + "': not a directory"));
}
