#include "xenbuild/builder/pe.hpp"
#include "xenbuild/builder/xen_version.hpp"
#include "xenbuild/util/error.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace xenbuild;

namespace {

namespace fs = std::filesystem;

const util::Environment kCleanEnv{{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C"}};

void runTool(std::vector<std::string> argv) {
    util::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.env = kCleanEnv;
    spec.capture = true;
    const auto result = util::runProcess(spec);
    INFO(result.err);
    REQUIRE(result.success());
}

// Links a trivial program with GNU ld for `emulation`, as the fast end-to-end tests do.
fs::path linkTiny(const testing::TempDir& dir, const std::string& emulation) {
    const bool pe32plus = emulation == "i386pep";
    const fs::path source = dir / "t.s";
    std::ofstream(source) << ".globl _start\n_start:\n ret\n";
    const fs::path object = dir / (emulation + ".o");
    const fs::path image = dir / (emulation + ".efi");
    runTool({"as", pe32plus ? "--64" : "--32", "-o", object.string(), source.string()});
    runTool({"ld", "-m" + emulation, "--subsystem", "10", "-e", "_start", "-o", image.string(),
             object.string()});
    return image;
}

} // namespace

TEST_CASE("builder::inspectPe recognises a PE32+ x86-64 image made by ld -mi386pep",
          "[build][pe]") {
    testing::TempDir dir;
    const auto image = builder::inspectPe(linkTiny(dir, "i386pep"));
    CHECK(image.isPe);
    CHECK(image.machine == 0x8664);
    CHECK(image.optionalMagic == 0x20b);
    CHECK(image.subsystem == 10);
    CHECK(image.isPe32PlusX86_64());
    CHECK(image.describe() == "PE32+ x86-64 EFI application, 2 sections");
    CHECK_NOTHROW(builder::requirePe32PlusX86_64(dir / "i386pep.efi"));
}

TEST_CASE("builder::inspectPe rejects files that are not PE32+ x86-64", "[build][pe]") {
    testing::TempDir dir;
    SECTION("PE32 for i386") {
        const auto image = builder::inspectPe(linkTiny(dir, "i386pe"));
        CHECK(image.isPe);
        CHECK(image.problem == "machine is 0x14c, not x86-64 (0x8664)");
        REQUIRE_THROWS_WITH(builder::requirePe32PlusX86_64(dir / "i386pe.efi"),
                            "'" + (dir / "i386pe.efi").string() +
                                "' is not a PE32+ x86-64 image: machine is 0x14c, not x86-64 "
                                "(0x8664)");
    }
    SECTION("an ELF object") {
        linkTiny(dir, "i386pep");
        const auto image = builder::inspectPe(dir / "i386pep.o");
        CHECK_FALSE(image.isPe);
        CHECK(image.describe() == "not a PE image: no MZ signature");
    }
    SECTION("an MZ header pointing nowhere") {
        std::ofstream(dir / "mz") << "MZ";
        CHECK(builder::inspectPe(dir / "mz").problem == "e_lfanew does not point into the file");
    }
    SECTION("an empty file and a missing file") {
        std::ofstream(dir / "empty").close();
        CHECK(builder::inspectPe(dir / "empty").problem == "no MZ signature");
        REQUIRE_THROWS_AS(builder::inspectPe(dir / "missing"), SystemError);
        REQUIRE_THROWS_WITH(builder::requirePe32PlusX86_64(dir / "xen.efi"),
                            "'" + (dir / "xen.efi").string() +
                                "' was not produced by the build (withEFI needs xen.efi)");
    }
}

TEST_CASE("builder::probePeLinker reads the emulations of ld -V", "[build][pe]") {
    const auto linker = builder::probePeLinker("ld", kCleanEnv);
    CHECK(linker.supportsPe); // Debian's binutils on x86-64 supports i386pep
    CHECK(linker.version.rfind("GNU ld", 0) == 0);
    CHECK_NOTHROW(builder::requirePeLinker("ld", kCleanEnv));

    testing::TempDir dir;
    const fs::path fakeLd = dir / "ld";
    std::ofstream(fakeLd)
        << "#!/bin/sh\necho 'GNU ld (fake) 2.40'\necho '  Supported emulations:'\n"
           "echo '   elf_x86_64'\necho '   i386pe'\n";
    fs::permissions(fakeLd, fs::perms::owner_all);
    CHECK_FALSE(builder::probePeLinker(fakeLd.string(), kCleanEnv).supportsPe);
    REQUIRE_THROWS_WITH(builder::requirePeLinker(fakeLd.string(), kCleanEnv),
                        "the linker '" + fakeLd.string() +
                            "' (GNU ld (fake) 2.40) does not list the i386pep emulation in '" +
                            fakeLd.string() +
                            " -V', so xen.efi cannot be linked: install the Debian package "
                            "'binutils' (or point LD at a PE-capable ld)");
    REQUIRE_THROWS_WITH(builder::requirePeLinker("no-such-ld", kCleanEnv),
                        Catch::Contains("install the Debian package 'binutils'"));
}

TEST_CASE("builder::findXenVersion reads the banner and the EFI loader string", "[build][pe]") {
    using namespace std::string_literals;
    CHECK(builder::findXenVersion("junk\0Xen version %d.%d%s\0 Xen 4.17.5\n\0"s) == "4.17.5");
    CHECK(builder::findXenVersion(" Xen 4.19.1-pre\n"s) == "4.19.1-pre");
    const std::string efi = "X\0e\0n\0 \0"s + "4\0.\0001\0008\0.\0002\0 \0(\0"s;
    CHECK(builder::findXenVersion("\0\0"s + efi) == "4.18.2");
    CHECK(builder::findXenVersion("Xen version 4 and Xen rocks\n"s) == std::nullopt);
}

TEST_CASE("builder::hypervisorVersion reads a gzipped hypervisor", "[build][pe]") {
    testing::TempDir dir;
    std::ofstream(dir / "xen") << std::string("\x7f"
                                              "ELF\0\0 Xen 4.17.5\n\0",
                                              20);
    runTool({"gzip", "-n", (dir / "xen").string()});
    CHECK(builder::hypervisorVersion(dir / "xen.gz") == "4.17.5");
    // A truncated download: the gzip header is right, the stream ends early.
    fs::copy_file(dir / "xen.gz", dir / "bad.gz");
    fs::resize_file(dir / "bad.gz", 20);
    REQUIRE_THROWS_AS(builder::hypervisorVersion(dir / "bad.gz"), BuildError);
}
