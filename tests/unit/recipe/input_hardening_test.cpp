// Hostile and malformed recipe input (issue 10): paths that leave the tree, missing fields,
// integers out of range, huge lines, files that are not files. Every failure is a ParseError,
// EvalError or SystemError naming the input; none is an internal error.

#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/recipe/json.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/paths.hpp"

#include "support/recipes.hpp"

#include <catch2/catch.hpp>

#include <set>

#include <sys/stat.h>

using namespace xenbuild::recipe;
namespace test = xenbuild::testing;
namespace fs = std::filesystem;

namespace {

// Loads the recipes and evaluates every package; returns the first error's text, or "".
std::string loadAndEvaluate(const fs::path& recipes) {
    try {
        const auto set = RecipeSet::load(recipes);
        EvalOptions options;
        options.today = xenbuild::util::parseDate("2026-11-21");
        for (const auto& name : set.packageNames()) {
            const BuildPlan plan = evaluate(set, name, {}, options);
            for (const auto& source : plan.sources) {
                // What evaluation lets through is confined (the tree itself aside).
                if (!source.stageAt.empty()) {
                    INFO(name << " stages " << source.name << " at " << source.stageAt);
                    CHECK(xenbuild::util::relativePathProblem(source.stageAt).empty());
                }
            }
            (void)plan.toJson();
        }
        return "";
    } catch (const xenbuild::Error& error) {
        return error.describe();
    } catch (const std::exception& error) {
        return std::string("internal: ") + error.what(); // what the CLI would print
    }
}

} // namespace

TEST_CASE("recipe::RecipeSet::load refuses a stageAt that leaves the tree", "[recipe][hardening]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    const std::string builder = (recipes / "xen/builder.json").string();
    SECTION("'..' components") {
        test::editFile(recipes / "xen/builder.json", "\"tools/qemu-xen\"",
                       "\"../../../../victim\"");
        REQUIRE_THROWS_AS(RecipeSet::load(recipes), xenbuild::ParseError);
        REQUIRE_THROWS_WITH(
            RecipeSet::load(recipes),
            builder +
                ":92:18: schema violation at /sources/1/stageAt: expected a path relative to "
                "the Xen tree ('' for the tree itself): components of letters, digits, '.', '_' "
                "and '-' joined by single '/', none of them '.' or '..', got "
                "\"../../../../victim\"\n"
                "        \"stageAt\": \"../../../../victim\",\n" +
                std::string(19, ' ') + "^");
    }
    for (const char* bad : {"/tmp/victim", "tools/./qemu", "tools//qemu", "tools/qemu/",
                            "..\\\\..\\\\victim", "tools/\\u0000x", "."}) {
        DYNAMIC_SECTION("stageAt " << bad) {
            test::editFile(recipes / "xen/builder.json", "\"tools/qemu-xen\"",
                           "\"" + std::string(bad) + "\"");
            REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                                Catch::StartsWith(builder + ":92:18: schema violation at "
                                                            "/sources/1/stageAt: expected a path "
                                                            "relative to the Xen tree"));
        }
    }
    SECTION("an empty stageAt for a source other than the tree") {
        test::editFile(recipes / "xen/builder.json", "\"tools/qemu-xen\"", "\"\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::StartsWith(builder + ":92:18: stageAt of source 'qemu' is "
                                                        "empty (it is a path relative to the "
                                                        "tree of 'xen')\n"));
    }
    SECTION("two sources at one place") {
        test::editFile(recipes / "xen/builder.json", "\"tools/firmware/seabios-dir-remote\"",
                       "\"tools/qemu-xen\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::StartsWith(builder + ":99:18: two sources are staged at "
                                                        "'tools/qemu-xen'\n"));
    }
    SECTION("a check path that leaves its output") {
        test::editFile(recipes / "xen/builder.json", "${outputs.boot}/boot/xen.efi",
                       "${outputs.boot}/../../etc/shadow");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::StartsWith(builder + ":178:62: schema violation at "
                                                        "/checks/0/params/path: expected a path "
                                                        "in an output"));
    }
}

TEST_CASE("recipe::RecipeSet::load reports a missing stageAt at its source",
          "[recipe][hardening]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    test::editFile(recipes / "xen/builder.json", "\"stageAt\": \"tools/qemu-xen\",", "");
    REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                        (recipes / "xen/builder.json").string() +
                            ":87:5: schema violation at /sources/1: missing required key "
                            "\"stageAt\"\n"
                            "      {\n"
                            "      ^");
}

TEST_CASE("recipe::RecipeSet::load range-checks integers instead of truncating them",
          "[recipe][hardening]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    const std::string patches = (recipes / "xen/patches.json").string();
    SECTION("fuzz 2^32") {
        test::editFile(recipes / "xen/patches.json", "\"4.19\": 2", "\"4.19\": 4294967296");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            patches + ":19:17: schema violation at /patches/0/fuzz/4.19: "
                                      "expected a number <= 100, got 4294967296\n"
                                      "          \"4.19\": 4294967296\n"
                                      "                  ^");
    }
    SECTION("negative fuzz") {
        test::editFile(recipes / "xen/patches.json", "\"4.19\": 2", "\"4.19\": -1");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::StartsWith(patches + ":19:17: schema violation at "
                                                        "/patches/0/fuzz/4.19: "
                                                        "expected a number >= 0, got -1\n"));
    }
    SECTION("an XSA number beyond int") {
        test::editFile(recipes / "xen/patches.json", "\"xsa\": 460", "\"xsa\": 4294967756");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::StartsWith(patches + ":65:14: schema violation at "
                                                        "/patches/4/xsa: expected a number "
                                                        "<= 99999, got 4294967756\n"));
    }
    SECTION("an integer beyond 64 bits") {
        test::editFile(recipes / "xen/patches.json", "\"xsa\": 460",
                       "\"xsa\": 184467440737095516160");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::StartsWith(patches + ":65:14: schema violation at "
                                                        "/patches/4/xsa: expected an "
                                                        "integer, got 1.844674407370955e+20\n"));
    }
}

TEST_CASE("recipe::RecipeSet::load says what a recipe path is when it is not a file",
          "[recipe][hardening]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    const std::string xen = (recipes / "xen").string();
    SECTION("a directory named X.json") {
        fs::create_directory(recipes / "xen/X.json");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            "recipe file '" + xen + "/X.json' is a directory, not a file");
    }
    SECTION("a FIFO") {
        REQUIRE(::mkfifo((recipes / "xen/fifo.json").c_str(), 0600) == 0);
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            "recipe file '" + xen +
                                "/fifo.json' is a FIFO (named pipe), not a regular file");
    }
    SECTION("a link to /dev/zero") {
        fs::create_symlink("/dev/zero", recipes / "xen/zero.json");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            "recipe file '" + xen +
                                "/zero.json' (a symbolic link to '/dev/zero') is a character "
                                "device, not a regular file");
    }
    SECTION("a recipes directory that loops") {
        fs::create_symlink("loop", dir.path() / "loop");
        REQUIRE_THROWS_WITH(RecipeSet::load(dir.path() / "loop"),
                            "cannot use recipe directory '" + (dir.path() / "loop").string() +
                                "': symbolic link loop at '" + (dir.path() / "loop").string() +
                                "'");
    }
    SECTION("a package directory that loops") {
        fs::remove_all(recipes / "xen");
        fs::create_symlink("xen", recipes / "xen");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes), "cannot use recipe directory '" + xen +
                                                          "': symbolic link loop at '" + xen + "'");
    }
    SECTION("a recipe file that loops") {
        fs::create_symlink("loop.json", recipes / "xen/loop.json");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes), "cannot read recipe file '" + xen +
                                                          "/loop.json': symbolic link loop at '" +
                                                          xen + "/loop.json'");
    }
    SECTION("a local patch that is a FIFO") {
        fs::create_directories(dir.path() / "patches/4.19");
        const auto fifo = dir.path() / "patches/4.19/0001-xen-fifo-4.19.patch";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            "local patch '" + fifo.string() +
                                "' is a FIFO (named pipe), not a regular file");
    }
    SECTION("a local patch that is a link") {
        const auto link = dir.path() / "patches/4.19/0001-xen-link-4.19.patch";
        fs::create_directories(link.parent_path());
        fs::create_symlink("/etc/passwd", link);
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            "local patch '" + link.string() +
                                "' is a symbolic link, not a regular file (links are not "
                                "followed here)");
    }
}

TEST_CASE("recipe::loadJsonFile cuts a huge line around the error", "[recipe][hardening]") {
    test::TempDir dir;
    // One 8 MiB line with the error in its middle: the message shows 100 bytes around the
    // column, "..." where the line was cut, and the caret still under the column.
    const std::size_t half = 4 << 20;
    test::writeFile(dir.path() / "long.json", "{\"kind\": \"" + std::string(half, 'a') +
                                                  "\" \"x\": \"" + std::string(half, 'b') + "\"}");
    const std::string path = (dir.path() / "long.json").string();
    REQUIRE_THROWS_WITH(loadJsonFile(dir.path() / "long.json"),
                        path + ":1:4194317: expected ',' or '}' after object member, got '\"'\n" +
                            "  ..." + std::string(31, 'a') + "\" \"x\": \"" + std::string(61, 'b') +
                            "...\n" + "  " + std::string(36, ' ') + "^");
    // Near the end of the line only the start is cut.
    test::writeFile(dir.path() / "end.json", "[\"" + std::string(half, 'a') + "\" 1]");
    REQUIRE_THROWS_WITH(loadJsonFile(dir.path() / "end.json"),
                        Catch::EndsWith("got '1'\n  ..." + std::string(96, 'a') + "\" 1]\n  " +
                                        std::string(101, ' ') + "^"));
    // A key or word from the input is quoted shortened.
    test::writeFile(dir.path() / "key.json", "{\"" + std::string(1000, 'k') + "\": 1, \"" +
                                                 std::string(1000, 'k') + "\": 2}");
    REQUIRE_THROWS_WITH(loadJsonFile(dir.path() / "key.json"),
                        Catch::Contains("duplicate key '" + std::string(57, 'k') + "...'\n"));
}

TEST_CASE("recipe::RecipeSet::load never fails with an internal error on mutated recipes",
          "[recipe][hardening]") {
    // Every value of every checked-in recipe file, in turn: removed, and replaced by values of
    // other types, out-of-range integers and hostile strings. Whatever loading and evaluating
    // say must be a recipe error, never an internal one (a json exception, a std::out_of_range).
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    const std::vector<nlohmann::json> replacements = {nullptr,
                                                      "../../x",
                                                      -1,
                                                      4294967296ULL,
                                                      1.5,
                                                      nlohmann::json::object(),
                                                      nlohmann::json::array({"x"})};
    std::size_t mutations = 0;
    for (const auto& entry : fs::directory_iterator(test::sourceRecipes() / "xen")) {
        const fs::path target = recipes / "xen" / entry.path().filename();
        const std::string original = test::readFile(target);
        const auto value = nlohmann::json::parse(original, nullptr, true, true);
        const auto flat = value.flatten(); // leaves only; containers are their prefixes
        std::set<std::string> pointers;
        for (const auto& [leaf, unused] : flat.items()) {
            for (auto at = leaf.size(); at != std::string::npos && at > 0;
                 at = leaf.rfind('/', at - 1)) {
                pointers.insert(leaf.substr(0, at));
            }
        }
        for (const auto& text : pointers) {
            const nlohmann::json::json_pointer pointer(text);
            // Array elements past the second add time, not coverage (modules, flags, patches).
            if (value.at(pointer.parent_pointer()).is_array() && pointer.back() != "0" &&
                pointer.back() != "1") {
                continue;
            }
            std::vector<nlohmann::json> variants;
            nlohmann::json removed = value;
            auto& parent = removed.at(pointer.parent_pointer());
            if (parent.is_object()) {
                parent.erase(pointer.back());
            } else {
                parent.erase(static_cast<std::size_t>(std::stoul(pointer.back())));
            }
            variants.push_back(std::move(removed));
            for (const auto& replacement : replacements) {
                if (value.at(pointer) == replacement) continue;
                nlohmann::json changed = value;
                changed.at(pointer) = replacement;
                variants.push_back(std::move(changed));
            }
            for (const auto& variant : variants) {
                test::writeFile(target, variant.dump(1));
                const std::string error = loadAndEvaluate(recipes);
                INFO(entry.path().filename().string() << " at " << text << ":\n"
                                                      << variant.at(pointer.parent_pointer()));
                if (error.rfind("internal:", 0) == 0 ||
                    error.find("json.exception") != std::string::npos) {
                    FAIL_CHECK(error);
                }
                ++mutations;
            }
        }
        test::writeFile(target, original);
    }
    CHECK(mutations > 1500);
}

TEST_CASE("recipe::Schema::validate refuses over-long strings before matching a pattern",
          "[recipe][hardening]") {
    // std::regex recursed once per character: a 200 KB stageAt overflowed the stack.
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    test::editFile(recipes / "xen/builder.json", "\"tools/qemu-xen\"",
                   "\"" + std::string(200000, 'a') + "\"");
    REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                        Catch::StartsWith((recipes / "xen/builder.json").string() +
                                          ":92:18: schema violation at /sources/1/stageAt: "
                                          "expected at most 1024 bytes for a string checked "
                                          "against a pattern, got 200000\n"));
}

TEST_CASE("recipe::evaluate quotes a huge unknown variable shortened", "[recipe][hardening]") {
    // Suggesting a close name once built a (name x candidate) table: 16 MB x 20 did not fit.
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    test::editFile(recipes / "xen/builder.json", "\"XEN_BUILD_HOST\": \"xenbuild\"",
                   "\"XEN_BUILD_HOST\": \"${" + std::string(4 << 20, 'v') + "}\"");
    const auto set = RecipeSet::load(recipes);
    REQUIRE_THROWS_WITH(evaluate(set, "xen"), Catch::Contains(":152:23: unknown variable '${" +
                                                              std::string(55, 'v') + "...'\n"));
}

TEST_CASE("recipe checks that read a source name one the plan stages", "[recipe][hardening]") {
    test::TempDir dir;
    const auto recipes = test::copyRecipes(dir.path());
    const std::string builder = (recipes / "xen/builder.json").string();
    SECTION("a source the builder does not have") {
        test::editFile(recipes / "xen/builder.json", "\"source\": \"seabios\"",
                       "\"source\": \"seabois\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Matches(builder + ":\\d+:\\d+: the check reads the source "
                                                     "'seabois', which is not one of the "
                                                     "builder's sources\n(.|\n)*"));
    }
    SECTION("a source a slim plan does not stage: the check needs its condition") {
        test::editFile(recipes / "xen/builder.json",
                       "\"if\": \"withInternalSeaBIOS\",\n      \"params\"", "\"params\"");
        const std::string error = loadAndEvaluate(recipes);
        CHECK_THAT(error, Catch::StartsWith("while evaluating 'xen_4_16-slim':\n  " + builder));
        CHECK_THAT(error, Catch::Contains(": the check reads the source 'seabios', which this "
                                          "plan does not stage (its condition is false): give "
                                          "the check the source's condition\n"));
    }
    SECTION("a versionFile that leaves the source's tree") {
        test::editFile(recipes / "xen/builder.json", "\"versionFile\": \"VERSION\"",
                       "\"versionFile\": \"../../../etc/passwd\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("schema violation at /checks/7/params/versionFile: "
                                            "expected a file of the source's tree"));
    }
    SECTION("a library directory outside the outputs") {
        test::editFile(recipes / "xen/builder.json", "\"${outputs.out}${prefix}/lib\",",
                       "\"/usr/lib\",");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("schema violation at /checks/7/params/libraryPath/0: "
                                            "expected a path in an output"));
    }
    SECTION("sizes out of range") {
        test::editFile(recipes / "xen/builder.json", "[128, 256]", "[128, 4294967296]");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("schema violation at /checks/4/params/sizesKiB/1: "
                                            "expected a number <= 1048576, got 4294967296"));
    }
    SECTION("an ELF class that does not exist") {
        test::editFile(recipes / "xen/builder.json", "\"class\": \"ELF32\"",
                       "\"class\": \"ELF16\"");
        REQUIRE_THROWS_WITH(RecipeSet::load(recipes),
                            Catch::Contains("schema violation at /checks/3/params/class"));
    }
}
