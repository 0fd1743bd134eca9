#include "xenbuild/boot/elf.hpp"
#include "xenbuild/boot/libraries.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/process.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace xenbuild;
namespace fs = std::filesystem;

namespace {

void runOrFail(std::vector<std::string> argv) {
    util::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.env = util::Environment{{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C"}};
    spec.capture = true;
    const auto result = util::runProcess(spec);
    INFO(result.err);
    REQUIRE(result.success());
}

// dir/lib/libfoo.so (soname libfoo.so.1, linked as libfoo.so.1) and dir/prog needing it through
// the run path $ORIGIN/lib, with a fixed build-id.
fs::path buildProgramWithLibrary(const testing::TempDir& dir) {
    fs::create_directories(dir / "lib");
    std::ofstream(dir / "foo.c") << "int foo(void) { return 42; }\n";
    std::ofstream(dir / "prog.c") << "int foo(void);\nint main(void) { return foo(); }\n";
    runOrFail({"gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o",
               (dir / "lib/libfoo.so.1").string(), (dir / "foo.c").string()});
    runOrFail({"gcc", "-o", (dir / "prog").string(), (dir / "prog.c").string(),
               "-Wl,--build-id=0x0123456789abcdef00ff", "-L" + (dir / "lib").string(),
               "-l:libfoo.so.1", "-Wl,-rpath,$ORIGIN/lib"});
    return dir / "prog";
}

} // namespace

TEST_CASE("boot::readElf reads the interpreter, needed libraries, run path and build-id",
          "[boot][elf]") {
    testing::TempDir dir;
    const auto info = boot::readElf(buildProgramWithLibrary(dir));
    CHECK(info.is64);
    CHECK(info.machine == 62);
    CHECK(info.interpreter == "/lib64/ld-linux-x86-64.so.2");
    CHECK(info.needed == std::vector<std::string>{"libfoo.so.1", "libc.so.6"});
    CHECK(info.runPaths == std::vector<std::string>{"$ORIGIN/lib"});
    CHECK(info.buildId == "0123456789abcdef00ff");

    const auto library = boot::readElf(dir / "lib/libfoo.so.1");
    CHECK(library.soname == "libfoo.so.1");
    CHECK_FALSE(library.interpreter);
}

TEST_CASE("boot::readElf reads a static program and a 32-bit image like xen", "[boot][elf]") {
    testing::TempDir dir;
    SECTION("static: no interpreter, nothing needed") {
        std::ofstream(dir / "s.c") << "int main(void) { return 0; }\n";
        runOrFail({"gcc", "-static", "-o", (dir / "s").string(), (dir / "s.c").string()});
        const auto info = boot::readElf(dir / "s");
        CHECK_FALSE(info.interpreter);
        CHECK(info.needed.empty());
    }
    SECTION("ELF32 i386 with a build-id note") {
        std::ofstream(dir / "t.s") << ".globl _start\n_start:\n ret\n";
        runOrFail({"as", "--32", "-o", (dir / "t.o").string(), (dir / "t.s").string()});
        runOrFail({"ld", "-m", "elf_i386", "--build-id=0xfeedf00d", "-o", (dir / "t").string(),
                   (dir / "t.o").string()});
        const auto info = boot::readElf(dir / "t");
        CHECK_FALSE(info.is64);
        CHECK(info.machine == 3);
        CHECK(info.buildId == "feedf00d");
    }
    SECTION("stripped of section headers: the build-id comes from PT_NOTE") {
        std::ofstream(dir / "t.s") << ".globl _start\n_start:\n ret\n";
        runOrFail({"as", "--64", "-o", (dir / "t.o").string(), (dir / "t.s").string()});
        runOrFail(
            {"ld", "--build-id=0xabcdef", "-o", (dir / "t").string(), (dir / "t.o").string()});
        // Zero e_shoff and e_shnum, as some strip tools leave images.
        std::fstream file(dir / "t", std::ios::in | std::ios::out | std::ios::binary);
        const char zeros[8] = {};
        file.seekp(40);
        file.write(zeros, 8);
        file.seekp(60);
        file.write(zeros, 2);
        file.close();
        CHECK(boot::readElf(dir / "t").buildId == "abcdef");
    }
}

TEST_CASE("boot::readElf rejects files that are not ELF or are truncated", "[boot][elf]") {
    testing::TempDir dir;
    std::ofstream(dir / "script") << "#!/bin/sh\necho hi\n";
    CHECK_FALSE(boot::isElf(dir / "script"));
    REQUIRE_THROWS_AS(boot::readElf(dir / "script"), ParseError);
    REQUIRE_THROWS_WITH(boot::readElf(dir / "script"),
                        "malformed ELF file '" + (dir / "script").string() + "': no ELF magic");

    std::ofstream(dir / "s.c") << "int main(void) { return 0; }\n";
    runOrFail({"gcc", "-o", (dir / "full").string(), (dir / "s.c").string()});
    fs::copy_file(dir / "full", dir / "short");
    fs::resize_file(dir / "short", 100);
    REQUIRE_THROWS_AS(boot::readElf(dir / "short"), ParseError);
    REQUIRE_THROWS_WITH(boot::readElf(dir / "short"),
                        Catch::Contains("beyond the end of the file"));
    REQUIRE_THROWS_AS(boot::readElf(dir / "absent"), SystemError);
}

TEST_CASE("boot::resolveLibraries follows DT_NEEDED through run paths and search dirs",
          "[boot][elf]") {
    testing::TempDir dir;
    const auto program = buildProgramWithLibrary(dir);
    SECTION("found through $ORIGIN/lib, libc from the host") {
        const auto closure = boot::resolveLibraries({program}, boot::hostLibraryDirs());
        CHECK(closure.interpreter == "/lib64/ld-linux-x86-64.so.2");
        std::vector<std::string> names;
        for (const auto& library : closure.libraries)
            names.push_back(library.name);
        CHECK(names ==
              std::vector<std::string>{"ld-linux-x86-64.so.2", "libc.so.6", "libfoo.so.1"});
        CHECK(closure.libraries.back().path == dir / "lib/libfoo.so.1");
    }
    SECTION("a missing library names itself, its user and the places searched") {
        fs::rename(dir / "lib", dir / "elsewhere");
        REQUIRE_THROWS_AS(boot::resolveLibraries({program}, {dir / "none"}), BuildError);
        REQUIRE_THROWS_WITH(boot::resolveLibraries({program}, {dir / "none"}),
                            "library 'libfoo.so.1' needed by '" + program.string() +
                                "' was not found (searched " + (dir / "lib").string() + ", " +
                                (dir / "none").string() + ")");
    }
}
