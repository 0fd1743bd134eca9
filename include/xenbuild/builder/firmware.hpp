#pragma once
// Reading the firmware images Xen installs for HVM guests (in <prefix>/lib/xen/boot), for the
// "seabios", "uefi-firmware" and "option-rom" checks. Everything works on the image's bytes
// (the caller reads the file), so tests make images of any shape without a firmware build.
//
//   - SeaBIOS (seabios.bin): SeaBIOS's checkrom.py pads bios.bin to 64, 128 or 256 KiB; the
//     image holds the banner format "SeaBIOS (version %s)" and, as a separate NUL-terminated
//     string, the version scripts/buildversion.py made: the first line of the tree's .version
//     (Xen writes SEABIOS_UPSTREAM_REVISION there, e.g. "rel-1.16.0") then the extra version
//     ("-Xen"), or, when buildversion.py deems the build unclean, "<.version>-<YYYYMMDD_HHMMSS>-
//     <hostname><extra>".
//   - OVMF (ovmf.bin, OVMF.fd): a flash device image of firmware volumes, each starting with an
//     EFI_FIRMWARE_VOLUME_HEADER: 16 zero bytes, a GUID, the volume length (uint64 at 32), the
//     signature "_FVH" at 40, attributes, the header length (uint16 at 48) and a checksum that
//     makes the header's 16-bit words sum to 0. The volumes of an OVMF image start on 4 KiB
//     block boundaries.
//   - iPXE (ipxe.bin): Xen's etherboot Makefile concatenates one PCI option ROM per NIC of
//     ETHERBOOT_NICS (rtl8139 8086100e). Each image starts with 0x55 0xAA, its size in 512-byte
//     units at offset 2 and the offset of its PCI data structure ("PCIR": vendor, device, image
//     length in 512-byte units at +0x10, code type at +0x14) at 0x18; the bytes of an x86 (code
//     type 0) image sum to 0 modulo 256.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::builder {

// What a SeaBIOS image says about its version.
struct SeabiosVersion {
    bool banner = false;              // "SeaBIOS (version " is in the image
    std::optional<std::string> found; // the version string: the expected one, else another
    bool matches = false;             // `found` is the expected version (see seabiosVersion)
};

// Looks for the version `revision` + `extra` ("rel-1.16.0" + "-Xen"), also in the unclean form
// revision-<anything>extra, as a NUL-delimited string (or inside a literal "SeaBIOS (version
// ...)"). When it is not there, `found` is the first other NUL-delimited string that ends in
// `extra` and starts with a letter or digit (with an empty `extra`: none).
SeabiosVersion seabiosVersion(std::string_view image, const std::string& revision,
                              const std::string& extra);

// One firmware volume of a UEFI firmware image.
struct FirmwareVolume {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

// The firmware volumes starting at 4 KiB boundaries whose header is consistent: the "_FVH"
// signature, a header length from 56 bytes (an even number, inside the volume), a volume length
// that stays inside the image, and a header checksum of 0.
std::vector<FirmwareVolume> firmwareVolumes(std::string_view image);

// One PCI option ROM image.
struct OptionRomImage {
    std::uint64_t offset = 0;
    std::uint64_t length = 0; // the PCI data structure's image length, in bytes
    std::uint16_t vendor = 0;
    std::uint16_t device = 0;
    unsigned codeType = 0; // 0: x86 (PC-AT), 3: EFI
};

struct OptionRoms {
    std::vector<OptionRomImage> images; // the valid images, in file order
    std::string problem;                // why the file is not (only) option ROMs; empty if it is

    // "2 PCI option ROMs: 10ec:8139 (64 KiB), 8086:100e (62.5 KiB)".
    std::string describe() const;
};

// Walks the images back to back from offset 0 to the end of `image`.
OptionRoms optionRoms(std::string_view image);

// "256 KiB", "62.5 KiB", "2 MiB", "100 bytes".
std::string describeSize(std::uint64_t bytes);

} // namespace xenbuild::builder
