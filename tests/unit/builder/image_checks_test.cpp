// The checks of what Xen builds for HVM guests, on images and programs the tests make: SeaBIOS
// (size, version string against the pin or an override's .version), OVMF (firmware volumes,
// size), iPXE (PCI option ROMs back to back), hvmloader (ELF32) and QEMU (an ELF program run in
// the sandbox, its --version against the staged tree's VERSION).

#include "builder/checks.hpp"
#include "xenbuild/builder/firmware.hpp"
#include "xenbuild/sandbox/sandbox.hpp"
#include "xenbuild/util/process.hpp"

#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

using namespace xenbuild;
using builder::detail::CheckContext;
using builder::detail::StagedSource;

namespace {

namespace fs = std::filesystem;

void putLittle(std::string& bytes, std::size_t offset, std::uint64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i)
        bytes[offset + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint64_t getLittle(const std::string& bytes, std::size_t offset, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = width; i-- > 0;)
        value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
    return value;
}

// A SeaBIOS image as SeaBIOS builds it: zeros in front (checkrom.py pads there), the banner
// format and `version` as NUL-terminated strings near the end.
std::string seabiosImage(const std::string& version, std::size_t size = 256 * 1024,
                         bool banner = true) {
    std::string tail = std::string("\0\0", 2) + (banner ? "SeaBIOS (version %s)\n" : "") +
                       std::string(1, '\0') + "gcc: (Debian 12.2.0-14) binutils: 2.40" +
                       std::string(1, '\0') + version + std::string(1, '\0') + "\x90\xc3";
    std::string image(size - tail.size(), '\0');
    return image + tail;
}

// A firmware volume header at `offset` of `image`: "_FVH", lengths and a checksum that makes
// its 16-bit words sum to 0 (`checksumOk` false: off by one).
void putVolume(std::string& image, std::size_t offset, std::uint64_t length,
               bool checksumOk = true) {
    constexpr std::size_t headerLength = 72;
    std::fill(image.begin() + static_cast<long>(offset),
              image.begin() + static_cast<long>(offset + headerLength), '\0');
    putLittle(image, offset + 32, length, 8);
    image.replace(offset + 40, 4, "_FVH");
    putLittle(image, offset + 44, 0x0004feff, 4);
    putLittle(image, offset + 48, headerLength, 2);
    putLittle(image, offset + 55, 2, 1);
    putLittle(image, offset + 56, length / 4096, 4);
    putLittle(image, offset + 60, 4096, 4);
    unsigned sum = 0;
    for (std::size_t i = 0; i < headerLength; i += 2)
        sum += static_cast<unsigned>(getLittle(image, offset + i, 2));
    putLittle(image, offset + 50, (0x10000 - sum % 0x10000 + (checksumOk ? 0 : 1)) & 0xffff, 2);
}

// A 2 MiB OVMF-like image: a variable store volume and the main volume.
std::string ovmfImage(std::size_t size = 2 * 1024 * 1024) {
    std::string image(size, '\xff');
    putVolume(image, 0, 0x20000);
    putVolume(image, 0x20000, size - 0x20000);
    return image;
}

// One x86 PCI option ROM of `units` 512-byte blocks for vendor:device, checksummed.
std::string optionRom(std::uint16_t vendor, std::uint16_t device, std::size_t units = 8) {
    std::string rom(units * 512, '\0');
    rom[0] = '\x55';
    rom[1] = '\xaa';
    rom[2] = static_cast<char>(units);
    putLittle(rom, 0x18, 0x1c, 2);
    rom.replace(0x1c, 4, "PCIR");
    putLittle(rom, 0x1c + 4, vendor, 2);
    putLittle(rom, 0x1c + 6, device, 2);
    putLittle(rom, 0x1c + 0x0a, 0x18, 2);
    putLittle(rom, 0x1c + 0x10, units, 2);
    putLittle(rom, 0x1c + 0x15, 0x80, 1);
    rom.replace(0x40, 9, "fake iPXE");
    unsigned sum = 0;
    for (const char c : rom)
        sum += static_cast<unsigned char>(c);
    rom.back() = static_cast<char>((256 - sum % 256) % 256);
    return rom;
}

void runOrFail(std::vector<std::string> argv) {
    util::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.env = util::Environment{{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C"}};
    spec.capture = true;
    const auto result = util::runProcess(spec);
    INFO(result.err);
    REQUIRE(result.success());
}

// An `out` output staged under <dir>/outputs, a SeaBIOS source pinned at rel-1.16.0 and a QEMU
// source whose staged tree says VERSION 8.0.4.
struct Fixture {
    testing::TempDir dir;
    fs::path out = dir / "outputs" / "out";
    CheckContext context;

    Fixture() {
        fs::create_directories(out);
        context.staged["out"] = out;
        context.sources["seabios"] = {.root = dir / "build/seabios-dir-remote",
                                      .revision = "rel-1.16.0"};
        context.sources["qemu"] = {.root = dir / "build/qemu-xen", .revision = "qemu-xen-4.19.0"};
        testing::writeFile(dir / "build/qemu-xen/VERSION", "8.0.4\n");
        fs::create_directories(dir / "build/seabios-dir-remote");
    }

    void install(const std::string& installPath, const std::string& bytes) const {
        testing::writeFile(out / installPath.substr(1), bytes);
    }
};

recipe::SeabiosParams seabiosParams() {
    return {.path = "${outputs.out}/usr/lib/xen/boot/seabios.bin",
            .source = "seabios",
            .extraVersion = "-Xen",
            .sizesKiB = {128, 256}};
}

} // namespace

TEST_CASE("builder::seabiosVersion finds the version string SeaBIOS's build makes",
          "[build][check]") {
    const auto clean =
        builder::seabiosVersion(seabiosImage("rel-1.16.0-Xen"), "rel-1.16.0", "-Xen");
    CHECK(clean.banner);
    CHECK(clean.matches);
    CHECK(clean.found == "rel-1.16.0-Xen");
    // buildversion.py's form for a build it deems unclean: the time and host in between.
    const auto unclean = builder::seabiosVersion(
        seabiosImage("rel-1.16.0-20240729_000000-xenbuild-Xen"), "rel-1.16.0", "-Xen");
    CHECK(unclean.matches);
    // A literal banner carries the version too.
    const auto literal = builder::seabiosVersion(
        std::string("\0SeaBIOS (version rel-1.16.0-Xen)\n\0", 35), "rel-1.16.0", "-Xen");
    CHECK(literal.matches);
    const auto other =
        builder::seabiosVersion(seabiosImage("rel-1.16.3-Xen"), "rel-1.16.0", "-Xen");
    CHECK_FALSE(other.matches);
    CHECK(other.found == "rel-1.16.3-Xen");
    // A longer revision that starts with the expected one is another version.
    CHECK_FALSE(
        builder::seabiosVersion(seabiosImage("rel-1.16.01-Xen"), "rel-1.16.0", "-Xen").matches);
}

TEST_CASE("builder::checkSeabios compares the image with the pinned revision and -Xen",
          "[build][check]") {
    Fixture f;
    const auto params = seabiosParams();
    const std::string pinned = " (pinned: seabios at rel-1.16.0)";
    SECTION("good") {
        f.install("/usr/lib/xen/boot/seabios.bin", seabiosImage("rel-1.16.0-Xen"));
        const auto result = builder::detail::checkSeabios(params, f.context);
        CHECK(result.passed);
        CHECK(result.detail ==
              "/usr/lib/xen/boot/seabios.bin: SeaBIOS rel-1.16.0-Xen, 256 KiB" + pinned);
    }
    SECTION("128 KiB is a size SeaBIOS makes too") {
        f.install("/usr/lib/xen/boot/seabios.bin", seabiosImage("rel-1.16.0-Xen", 128 * 1024));
        CHECK(builder::detail::checkSeabios(params, f.context).passed);
    }
    SECTION("without the version string") {
        f.install("/usr/lib/xen/boot/seabios.bin", seabiosImage("no version here"));
        const auto result = builder::detail::checkSeabios(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/seabios.bin: no SeaBIOS version string; "
                               "expected rel-1.16.0-Xen" +
                                   pinned);
    }
    SECTION("not SeaBIOS at all") {
        f.install("/usr/lib/xen/boot/seabios.bin", seabiosImage("rel-1.16.0", 256 * 1024, false));
        const auto result = builder::detail::checkSeabios(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/seabios.bin: not a SeaBIOS image (no \"SeaBIOS "
                               "(version\" string); expected rel-1.16.0-Xen" +
                                   pinned);
    }
    SECTION("another version") {
        f.install("/usr/lib/xen/boot/seabios.bin", seabiosImage("rel-1.15.0-Xen"));
        const auto result = builder::detail::checkSeabios(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/seabios.bin: SeaBIOS version rel-1.15.0-Xen; "
                               "expected rel-1.16.0-Xen" +
                                   pinned);
    }
    SECTION("a size SeaBIOS does not make") {
        f.install("/usr/lib/xen/boot/seabios.bin", seabiosImage("rel-1.16.0-Xen", 200000));
        const auto result = builder::detail::checkSeabios(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/seabios.bin: 200000 bytes; a SeaBIOS image is "
                               "128 KiB or 256 KiB");
    }
    SECTION("missing") {
        const auto result = builder::detail::checkSeabios(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail ==
              "/usr/lib/xen/boot/seabios.bin is missing: the build did not install it");
    }
    SECTION("pinned by commit: the commit is the revision Xen writes") {
        f.context.sources["seabios"].revision = std::string(40, 'a');
        f.install("/usr/lib/xen/boot/seabios.bin", seabiosImage(std::string(40, 'a') + "-Xen"));
        CHECK(builder::detail::checkSeabios(params, f.context).passed);
    }
}

TEST_CASE("builder::checkSeabios with an overridden source compares with the staged .version",
          "[build][check]") {
    Fixture f;
    auto& source = f.context.sources["seabios"];
    source.overriddenBy = "/src/seabios";
    f.install("/usr/lib/xen/boot/seabios.bin", seabiosImage("rel-1.16.0-Xen"));
    SECTION("the build wrote .version") {
        testing::writeFile(source.root / ".version", "rel-1.16.0\n");
        const auto result = builder::detail::checkSeabios(seabiosParams(), f.context);
        CHECK(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/seabios.bin: SeaBIOS rel-1.16.0-Xen, 256 KiB "
                               "(seabios is overridden by '/src/seabios': compared with the "
                               ".version the build wrote into its staged tree, rel-1.16.0)");
    }
    SECTION("a .version that does not match the image") {
        testing::writeFile(source.root / ".version", "1.17.0\n");
        const auto result = builder::detail::checkSeabios(seabiosParams(), f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/seabios.bin: SeaBIOS version rel-1.16.0-Xen; "
                               "expected 1.17.0-Xen (seabios is overridden by '/src/seabios': "
                               "compared with the .version the build wrote into its staged tree, "
                               "1.17.0)");
    }
    SECTION("no .version") {
        const auto result = builder::detail::checkSeabios(seabiosParams(), f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/seabios.bin: cannot tell which version to "
                               "expect: seabios is overridden by '/src/seabios' and its staged "
                               "tree has no .version");
    }
}

TEST_CASE("builder::checkUefiFirmware wants a firmware volume and an OVMF size", "[build][check]") {
    Fixture f;
    const recipe::UefiFirmwareParams params{.path = "${outputs.out}/usr/lib/xen/boot/ovmf.bin",
                                            .sizesKiB = {1024, 2048, 4096}};
    SECTION("good") {
        f.install("/usr/lib/xen/boot/ovmf.bin", ovmfImage());
        const auto result = builder::detail::checkUefiFirmware(params, f.context);
        CHECK(result.passed);
        CHECK(result.detail ==
              "/usr/lib/xen/boot/ovmf.bin: UEFI firmware, 2 MiB, 2 firmware volumes");
        CHECK(builder::firmwareVolumes(ovmfImage()).size() == 2);
    }
    SECTION("without _FVH") {
        f.install("/usr/lib/xen/boot/ovmf.bin", std::string(2 * 1024 * 1024, '\xff'));
        const auto result = builder::detail::checkUefiFirmware(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/ovmf.bin: no UEFI firmware volume (no valid "
                               "\"_FVH\" header at a 4 KiB boundary); not a UEFI firmware image");
    }
    SECTION("_FVH with a wrong header checksum, or off the 4 KiB boundaries") {
        std::string image(2 * 1024 * 1024, '\xff');
        putVolume(image, 0, 0x20000, false);
        putVolume(image, 0x20010, 0x10000);
        CHECK(builder::firmwareVolumes(image).empty());
        f.install("/usr/lib/xen/boot/ovmf.bin", image);
        CHECK_FALSE(builder::detail::checkUefiFirmware(params, f.context).passed);
    }
    SECTION("a volume longer than the image is no volume") {
        std::string image(1024 * 1024, '\xff');
        putVolume(image, 0, 2 * 1024 * 1024);
        CHECK(builder::firmwareVolumes(image).empty());
    }
    SECTION("a size OVMF is not built at") {
        f.install("/usr/lib/xen/boot/ovmf.bin", ovmfImage(3 * 1024 * 1024));
        const auto result = builder::detail::checkUefiFirmware(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/ovmf.bin: 3 MiB (3145728 bytes); a UEFI "
                               "firmware image is 1 MiB, 2 MiB or 4 MiB");
    }
}

TEST_CASE("builder::checkOptionRom walks PCI option ROMs back to back", "[build][check]") {
    Fixture f;
    const recipe::OptionRomParams params{.path = "${outputs.out}/usr/lib/xen/boot/ipxe.bin"};
    const std::string rtl8139 = optionRom(0x10ec, 0x8139);
    const std::string e1000 = optionRom(0x8086, 0x100e, 9);
    auto check = [&](const std::string& bytes) {
        f.install("/usr/lib/xen/boot/ipxe.bin", bytes);
        return builder::detail::checkOptionRom(params, f.context);
    };
    SECTION("good: the two ROMs of Xen's ETHERBOOT_NICS") {
        const auto result = check(rtl8139 + e1000);
        CHECK(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/ipxe.bin: 2 PCI option ROMs: 10ec:8139 (4 KiB), "
                               "8086:100e (4.5 KiB)");
        CHECK(check(rtl8139).detail ==
              "/usr/lib/xen/boot/ipxe.bin: 1 PCI option ROM: 10ec:8139 (4 KiB)");
    }
    SECTION("bad signature") {
        std::string bad = e1000;
        bad[1] = '\x00';
        const auto result = check(rtl8139 + bad);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/ipxe.bin: not a valid PCI option ROM: the image "
                               "at offset 4096: no 0x55 0xAA signature (after 1 PCI option ROM: "
                               "10ec:8139 (4 KiB))");
    }
    SECTION("bad checksum") {
        std::string bad = rtl8139;
        bad[0x50] = static_cast<char>(bad[0x50] + 1);
        const auto result = check(bad);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/ipxe.bin: not a valid PCI option ROM: the image "
                               "at offset 0: its bytes sum to 1 modulo 256, not 0 (checksum)");
    }
    SECTION("missing PCIR") {
        std::string bad = rtl8139;
        bad.replace(0x1c, 4, "RCIP");
        const auto result = check(bad);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/ipxe.bin: not a valid PCI option ROM: the image "
                               "at offset 0: no PCI data structure (\"PCIR\") at the offset in its "
                               "header (0x001c)");
    }
    SECTION("an image longer than the file") {
        const auto result = check(rtl8139.substr(0, 2048));
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/ipxe.bin: not a valid PCI option ROM: the image "
                               "at offset 0: its image length (4096 bytes) does not fit the 2048 "
                               "bytes left in the file");
    }
    SECTION("an empty file") {
        CHECK(check("").detail ==
              "/usr/lib/xen/boot/ipxe.bin: not a valid PCI option ROM: the file is empty");
    }
}

TEST_CASE("builder::checkElf tells ELF32 from ELF64 and from what is not ELF", "[build][check]") {
    Fixture f;
    const recipe::ElfParams params{.path = "${outputs.out}/usr/lib/xen/boot/hvmloader",
                                   .elfClass = "ELF32"};
    const fs::path hvmloader = f.out / "usr/lib/xen/boot/hvmloader";
    fs::create_directories(hvmloader.parent_path());
    testing::writeFile(f.dir / "t.s", ".globl _start\n_start:\n hlt\n");
    SECTION("ELF32, linked as Xen links hvmloader") {
        runOrFail({"as", "--32", "-o", (f.dir / "t.o").string(), (f.dir / "t.s").string()});
        runOrFail({"ld", "-m", "elf_i386", "-N", "-Ttext", "0x100000", "-o", hvmloader.string(),
                   (f.dir / "t.o").string()});
        const auto result = builder::detail::checkElf(params, f.context);
        CHECK(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/hvmloader: ELF32 i386");
    }
    SECTION("ELF64") {
        runOrFail({"as", "--64", "-o", (f.dir / "t.o").string(), (f.dir / "t.s").string()});
        runOrFail({"ld", "-o", hvmloader.string(), (f.dir / "t.o").string()});
        const auto result = builder::detail::checkElf(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/hvmloader: ELF64 x86-64; expected ELF32");
    }
    SECTION("not ELF") {
        testing::writeFile(hvmloader, "#!/bin/sh\n");
        const auto result = builder::detail::checkElf(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/boot/hvmloader: not an ELF file; expected ELF32");
    }
    SECTION("a truncated ELF") {
        runOrFail({"as", "--32", "-o", (f.dir / "t.o").string(), (f.dir / "t.s").string()});
        runOrFail({"ld", "-m", "elf_i386", "-o", hvmloader.string(), (f.dir / "t.o").string()});
        fs::resize_file(hvmloader, 40);
        const auto result = builder::detail::checkElf(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK_THAT(result.detail, Catch::Contains("beyond the end of the file; expected ELF32"));
    }
}

namespace {

// <out>/usr/lib/libfake.so.1 and <out>/usr/lib/xen/bin/qemu-system-i386 needing it (no run
// path, as Xen's QEMU needs Xen's libraries from the target host's /usr/lib), printing
// "QEMU emulator version <version>" for --version.
fs::path buildFakeQemu(const Fixture& f, const std::string& version) {
    const fs::path lib = f.out / "usr/lib";
    const fs::path program = f.out / "usr/lib/xen/bin/qemu-system-i386";
    fs::create_directories(program.parent_path());
    testing::writeFile(f.dir / "fake.c", "int fake_version(void) { return 7; }\n");
    testing::writeFile(f.dir / "qemu.c",
                       "#include <stdio.h>\nint fake_version(void);\nint main(void) {\n"
                       "  printf(\"QEMU emulator version " +
                           version +
                           " (fake %d)\\nCopyright (c) 2003-2024\\n\", fake_version());\n"
                           "  return 0;\n}\n");
    runOrFail({"gcc", "-shared", "-fPIC", "-Wl,-soname,libfake.so.1", "-o",
               (lib / "libfake.so.1").string(), (f.dir / "fake.c").string()});
    runOrFail({"gcc", "-o", program.string(), (f.dir / "qemu.c").string(), "-L" + lib.string(),
               "-l:libfake.so.1"});
    return program;
}

recipe::ProgramVersionParams qemuParams() {
    return {.path = "${outputs.out}/usr/lib/xen/bin/qemu-system-i386",
            .args = {"--version"},
            .source = "qemu",
            .versionFile = "VERSION",
            .libraryPath = {"${outputs.out}/usr/lib", "${outputs.out}/usr/lib/xen/lib"}};
}

} // namespace

TEST_CASE("builder::checkProgramVersion runs QEMU in the sandbox and compares its version with "
          "the staged tree's",
          "[build][check][sandbox]") {
    const auto mode = GENERATE(sandbox::Mode::Namespaces, sandbox::Mode::Off);
    INFO(sandbox::toString(mode));
    Fixture f;
    auto engine = sandbox::makeSandbox(mode);
    fs::create_directories(f.dir / "scratch");
    f.context.runProgram =
        builder::detail::sandboxRunner(*engine, {.workDir = f.dir / "scratch",
                                                 .readOnlyDirs = {f.dir / "outputs"},
                                                 .logFile = f.dir / "check.log"});
    const std::string command = "'/usr/lib/xen/bin/qemu-system-i386 --version'";
    const std::string basis = "the VERSION of the staged qemu tree";
    SECTION("the version of the tree") {
        buildFakeQemu(f, "8.0.4");
        const auto result = builder::detail::checkProgramVersion(qemuParams(), f.context);
        CHECK(result.passed);
        CHECK(result.detail ==
              command + ": QEMU emulator version 8.0.4 (fake 7), as " + basis + " says");
        // The output went to the log too.
        CHECK_THAT(testing::readFile(f.dir / "check.log"),
                   Catch::Contains("QEMU emulator version 8.0.4"));
    }
    SECTION("another version") {
        buildFakeQemu(f, "7.2.0");
        const auto result = builder::detail::checkProgramVersion(qemuParams(), f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == command +
                                   " says 7.2.0 ('QEMU emulator version 7.2.0 (fake 7)'); "
                                   "expected 8.0.4, " +
                                   basis);
    }
    SECTION("an overridden tree: its VERSION counts") {
        buildFakeQemu(f, "9.1.0");
        f.context.sources["qemu"].overriddenBy = "/src/qemu";
        testing::writeFile(f.dir / "build/qemu-xen/VERSION", "9.1.0\n");
        const auto result = builder::detail::checkProgramVersion(qemuParams(), f.context);
        CHECK(result.passed);
        CHECK_THAT(result.detail, Catch::EndsWith("as the VERSION of the staged qemu tree "
                                                  "(overridden by '/src/qemu') says"));
    }
    SECTION("without the outputs' libraries it cannot start") {
        buildFakeQemu(f, "8.0.4");
        auto params = qemuParams();
        params.libraryPath.clear();
        const auto result = builder::detail::checkProgramVersion(params, f.context);
        CHECK_FALSE(result.passed);
        CHECK_THAT(result.detail, Catch::StartsWith(command + " exited with status 127: "));
        CHECK_THAT(result.detail, Catch::Contains("libfake.so.1"));
    }
    SECTION("another ELF program: a copy of true says its own version") {
        fs::create_directories(f.out / "usr/lib/xen/bin");
        fs::copy_file("/bin/true", f.out / "usr/lib/xen/bin/qemu-system-i386");
        const auto result = builder::detail::checkProgramVersion(qemuParams(), f.context);
        CHECK_FALSE(result.passed);
        CHECK_THAT(result.detail, Catch::StartsWith(command + " says "));
        CHECK_THAT(result.detail, Catch::Contains("(GNU coreutils)"));
        CHECK_THAT(result.detail, Catch::EndsWith("; expected 8.0.4, " + basis));
    }
    SECTION("an ELF program that prints no version") {
        fs::create_directories(f.out / "usr/lib/xen/bin");
        testing::writeFile(f.dir / "quiet.c", "int main(void) { return 0; }\n");
        runOrFail({"gcc", "-o", (f.out / "usr/lib/xen/bin/qemu-system-i386").string(),
                   (f.dir / "quiet.c").string()});
        const auto result = builder::detail::checkProgramVersion(qemuParams(), f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == command + " printed no version (''); expected 8.0.4, " + basis);
    }
    SECTION("a shell script is not an ELF program") {
        testing::writeFile(f.out / "usr/lib/xen/bin/qemu-system-i386",
                           "#!/bin/sh\necho QEMU emulator version 8.0.4\n", true);
        const auto result = builder::detail::checkProgramVersion(qemuParams(), f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail ==
              "/usr/lib/xen/bin/qemu-system-i386: not an ELF program, cannot run " + command);
    }
    SECTION("no VERSION in the staged tree") {
        buildFakeQemu(f, "8.0.4");
        fs::remove(f.dir / "build/qemu-xen/VERSION");
        const auto result = builder::detail::checkProgramVersion(qemuParams(), f.context);
        CHECK_FALSE(result.passed);
        CHECK(result.detail == "/usr/lib/xen/bin/qemu-system-i386: cannot tell which version to "
                               "expect: " +
                                   basis + " is missing or empty");
    }
}

TEST_CASE("builder::checkProgramVersion runs the host's QEMU when it is there",
          "[build][check][sandbox]") {
    const fs::path hostQemu = "/usr/bin/qemu-system-x86_64";
    if (!fs::exists(hostQemu)) {
        WARN("no " << hostQemu << " (scripts/install-deps.sh installs qemu-system-x86)");
        return;
    }
    Fixture f;
    auto engine = sandbox::makeSandbox(sandbox::Mode::Namespaces);
    fs::create_directories(f.dir / "scratch");
    f.context.runProgram = builder::detail::sandboxRunner(
        *engine, {.workDir = f.dir / "scratch", .readOnlyDirs = {f.dir / "outputs"}});
    fs::create_directories(f.out / "usr/lib/xen/bin");
    fs::copy_file(hostQemu, f.out / "usr/lib/xen/bin/qemu-system-i386");
    testing::writeFile(f.dir / "build/qemu-xen/VERSION", "0.0.1\n");
    // The host's QEMU says its own version: the check passes exactly when VERSION says it too.
    const auto first = builder::detail::checkProgramVersion(qemuParams(), f.context);
    REQUIRE_FALSE(first.passed);
    const auto says = first.detail.find(" says ");
    REQUIRE(says != std::string::npos);
    const std::string version =
        first.detail.substr(says + 6, first.detail.find(' ', says + 6) - says - 6);
    testing::writeFile(f.dir / "build/qemu-xen/VERSION", version + "\n");
    const auto second = builder::detail::checkProgramVersion(qemuParams(), f.context);
    INFO(second.detail);
    CHECK(second.passed);
}
