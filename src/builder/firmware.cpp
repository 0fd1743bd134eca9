#include "xenbuild/builder/firmware.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace xenbuild::builder {

namespace {

constexpr std::string_view kBanner = "SeaBIOS (version ";
constexpr std::uint64_t kVolumeAlignment = 4096;
constexpr std::uint64_t kMinVolumeHeader = 56; // up to the first block map entry
constexpr std::uint64_t kRomUnit = 512;

std::uint64_t little(std::string_view bytes, std::uint64_t offset, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = width; i-- > 0;)
        value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
    return value;
}

bool startsWithAlnum(std::string_view text) {
    return !text.empty() && std::isalnum(static_cast<unsigned char>(text.front())) != 0;
}

bool isVersion(std::string_view text, std::string_view revision, std::string_view extra) {
    if (text.size() < revision.size() + extra.size() || !text.starts_with(revision) ||
        !text.ends_with(extra)) {
        return false;
    }
    const std::string_view middle =
        text.substr(revision.size(), text.size() - revision.size() - extra.size());
    // Clean: nothing between; unclean: "-<date>_<time>-<host>".
    return middle.empty() || (middle.size() > 1 && middle.front() == '-');
}

// The NUL-terminated strings of printable characters (and line breaks, as format strings
// have) of `image`, at least 4 bytes long.
std::vector<std::string_view> cStrings(std::string_view image) {
    std::vector<std::string_view> strings;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= image.size(); ++i) {
        const bool end = i == image.size() || image[i] == '\0';
        const bool printable =
            !end && (std::isprint(static_cast<unsigned char>(image[i])) != 0 || image[i] == '\n');
        if (printable) continue;
        if (end && i - start >= 4) strings.push_back(image.substr(start, i - start));
        start = i + 1;
    }
    return strings;
}

std::string hex4(unsigned value) {
    std::array<char, 8> text{};
    std::snprintf(text.data(), text.size(), "%04x", value);
    return text.data();
}

// The image at `offset`, or the reason it is not one.
std::string readRom(std::string_view image, std::uint64_t offset, OptionRomImage& rom) {
    const std::uint64_t left = image.size() - offset;
    if (left < 0x1a || little(image, offset, 2) != 0xaa55) return "no 0x55 0xAA signature";
    const std::uint64_t pcir = little(image, offset + 0x18, 2);
    if (pcir < 0x1a || pcir + 0x18 > left || image.substr(offset + pcir, 4) != "PCIR") {
        return "no PCI data structure (\"PCIR\") at the offset in its header (0x" +
               hex4(static_cast<unsigned>(pcir)) + ")";
    }
    rom.offset = offset;
    rom.vendor = static_cast<std::uint16_t>(little(image, offset + pcir + 4, 2));
    rom.device = static_cast<std::uint16_t>(little(image, offset + pcir + 6, 2));
    rom.length = little(image, offset + pcir + 0x10, 2) * kRomUnit;
    rom.codeType = static_cast<unsigned>(little(image, offset + pcir + 0x14, 1));
    if (rom.length == 0 || rom.length > left) {
        return "its image length (" + std::to_string(rom.length) + " bytes) does not fit the " +
               std::to_string(left) + " bytes left in the file";
    }
    if (rom.codeType != 0) return "";
    const std::uint64_t size = static_cast<unsigned char>(image[offset + 2]) * kRomUnit;
    if (size == 0 || size > rom.length) {
        return "its size byte says " + std::to_string(size) + " bytes, its PCI data structure " +
               std::to_string(rom.length);
    }
    unsigned sum = 0;
    for (std::uint64_t i = 0; i < size; ++i)
        sum += static_cast<unsigned char>(image[offset + i]);
    if (sum % 256 != 0) {
        return "its bytes sum to " + std::to_string(sum % 256) + " modulo 256, not 0 (checksum)";
    }
    return "";
}

} // namespace

SeabiosVersion seabiosVersion(std::string_view image, const std::string& revision,
                              const std::string& extra) {
    SeabiosVersion result;
    result.banner = image.find(kBanner) != std::string_view::npos;
    std::optional<std::string_view> other;
    for (std::string_view text : cStrings(image)) {
        // A literal banner "SeaBIOS (version X)": X is the version.
        if (const auto at = text.find(kBanner); at != std::string_view::npos) {
            text = text.substr(at + kBanner.size());
            if (const auto close = text.find(')'); close != std::string_view::npos)
                text = text.substr(0, close);
        }
        if (isVersion(text, revision, extra)) {
            result.found = std::string(text);
            result.matches = true;
            return result;
        }
        if (!other && !extra.empty() && text.ends_with(extra) && text.size() > extra.size() &&
            startsWithAlnum(text)) {
            other = text;
        }
    }
    if (other) result.found = std::string(*other);
    return result;
}

std::vector<FirmwareVolume> firmwareVolumes(std::string_view image) {
    std::vector<FirmwareVolume> volumes;
    for (std::uint64_t offset = 0; offset + kMinVolumeHeader <= image.size();
         offset += kVolumeAlignment) {
        if (image.substr(offset + 40, 4) != "_FVH") continue;
        const std::uint64_t length = little(image, offset + 32, 8);
        const std::uint64_t header = little(image, offset + 48, 2);
        if (header < kMinVolumeHeader || header % 2 != 0 || header > length ||
            length > image.size() - offset) {
            continue;
        }
        unsigned sum = 0;
        for (std::uint64_t i = 0; i < header; i += 2)
            sum += static_cast<unsigned>(little(image, offset + i, 2));
        if (sum % 65536 == 0) volumes.push_back({.offset = offset, .length = length});
    }
    return volumes;
}

std::string OptionRoms::describe() const {
    std::string text = std::to_string(images.size()) + " PCI option ROM" +
                       (images.size() == 1 ? "" : "s") + (images.empty() ? "" : ": ");
    for (std::size_t i = 0; i < images.size(); ++i) {
        const auto& rom = images[i];
        text += (i == 0 ? "" : ", ") + hex4(rom.vendor) + ":" + hex4(rom.device) + " (" +
                describeSize(rom.length) + (rom.codeType == 3 ? ", EFI" : "") + ")";
    }
    return text;
}

OptionRoms optionRoms(std::string_view image) {
    OptionRoms roms;
    if (image.empty()) {
        roms.problem = "the file is empty";
        return roms;
    }
    for (std::uint64_t offset = 0; offset < image.size();) {
        OptionRomImage rom;
        const std::string problem = readRom(image, offset, rom);
        if (!problem.empty()) {
            roms.problem = "the image at offset " + std::to_string(offset) + ": " + problem;
            return roms;
        }
        roms.images.push_back(rom);
        offset += rom.length;
    }
    return roms;
}

std::string describeSize(std::uint64_t bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
        return std::to_string(bytes / (1024 * 1024)) + " MiB";
    }
    if (bytes >= 1024 && bytes % 512 == 0) {
        return std::to_string(bytes / 1024) + (bytes % 1024 == 0 ? "" : ".5") + " KiB";
    }
    return std::to_string(bytes) + " bytes";
}

} // namespace xenbuild::builder
