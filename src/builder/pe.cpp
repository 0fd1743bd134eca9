#include "xenbuild/builder/pe.hpp"

#include "xenbuild/util/error.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

namespace xenbuild::builder {

namespace {

constexpr std::uint16_t kMachineAmd64 = 0x8664;
constexpr std::uint16_t kMagicPe32 = 0x10b;
constexpr std::uint16_t kMagicPe32Plus = 0x20b;
constexpr std::uint16_t kSubsystemEfiApplication = 10;
constexpr std::uint32_t kMaxLfanew = 1u << 20; // DOS stubs are small; beyond this it is junk
constexpr std::size_t kCoffSize = 20;
constexpr std::size_t kSubsystemOffset = 68; // in the optional header, PE32 and PE32+ alike

// Little-endian reads from a file at absolute offsets; nullopt past the end.
class Reader {
  public:
    explicit Reader(const std::filesystem::path& path) : path_(path), in_(path, std::ios::binary) {
        if (!in_) throwSystemError("cannot open", path.string());
    }
    template <typename T>
    std::optional<T> at(std::uint64_t offset) {
        std::array<unsigned char, sizeof(T)> bytes{};
        in_.clear();
        in_.seekg(static_cast<std::streamoff>(offset));
        if (!in_.read(reinterpret_cast<char*>(bytes.data()), sizeof(T))) return std::nullopt;
        std::uint64_t value = 0;
        for (std::size_t i = sizeof(T); i-- > 0;)
            value = (value << 8) | bytes[i];
        return static_cast<T>(value);
    }

  private:
    std::filesystem::path path_;
    std::ifstream in_;
};

std::string hex(unsigned value) {
    std::array<char, 16> text{};
    std::snprintf(text.data(), text.size(), "0x%x", value);
    return text.data();
}

// Fills the COFF and optional header fields; returns the problem, if any.
std::string readHeaders(Reader& reader, std::uint32_t pe, PeImage& image) {
    image.machine = reader.at<std::uint16_t>(pe + 4).value_or(0);
    image.sections = reader.at<std::uint16_t>(pe + 6).value_or(0);
    const auto optionalSize = reader.at<std::uint16_t>(pe + 20).value_or(0);
    const std::uint64_t optional = pe + 4 + kCoffSize;
    image.optionalMagic = reader.at<std::uint16_t>(optional).value_or(0);
    if (optionalSize > kSubsystemOffset) {
        image.subsystem = reader.at<std::uint16_t>(optional + kSubsystemOffset).value_or(0);
    }
    if (image.machine != kMachineAmd64) {
        return "machine is " + hex(image.machine) + ", not x86-64 (0x8664)";
    }
    if (image.optionalMagic == kMagicPe32)
        return "it is PE32 (optional header magic 0x10b), not PE32+";
    if (image.optionalMagic != kMagicPe32Plus) {
        return "optional header magic is " + hex(image.optionalMagic) + ", not PE32+ (0x20b)";
    }
    return "";
}

} // namespace

std::string PeImage::describe() const {
    if (!isPe) return "not a PE image: " + problem;
    std::string text = optionalMagic == kMagicPe32Plus ? "PE32+" : "PE";
    text += machine == kMachineAmd64 ? " x86-64" : " machine " + hex(machine);
    if (subsystem == kSubsystemEfiApplication) text += " EFI application";
    text += ", " + std::to_string(sections) + " sections";
    return problem.empty() ? text : text + " (" + problem + ")";
}

PeImage inspectPe(const std::filesystem::path& path) {
    Reader reader(path);
    PeImage image;
    if (reader.at<std::uint16_t>(0) != 0x5a4d) { // "MZ"
        image.problem = "no MZ signature";
        return image;
    }
    const auto lfanew = reader.at<std::uint32_t>(0x3c);
    if (!lfanew || *lfanew < 0x40 || *lfanew > kMaxLfanew) {
        image.problem = "e_lfanew does not point into the file";
        return image;
    }
    if (reader.at<std::uint32_t>(*lfanew) != 0x00004550) { // "PE\0\0"
        image.problem = "no PE signature at e_lfanew " + hex(*lfanew);
        return image;
    }
    image.isPe = true;
    image.problem = readHeaders(reader, *lfanew, image);
    return image;
}

void requirePe32PlusX86_64(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) {
        throw BuildError(quote(path.string()) + " was not produced by the build (withEFI needs "
                                                "xen.efi)");
    }
    const PeImage image = inspectPe(path);
    if (!image.isPe32PlusX86_64()) {
        throw BuildError(quote(path.string()) + " is not a PE32+ x86-64 image: " + image.problem);
    }
}

PeLinker probePeLinker(const std::string& ld, const util::Environment& env) {
    util::ProcessSpec spec;
    spec.argv = {ld, "-V"};
    spec.env = env;
    spec.capture = true;
    spec.timeout = std::chrono::seconds(30);
    util::ProcessResult result;
    try {
        result = util::runProcess(spec);
    } catch (const SystemError& e) {
        throw BuildError("cannot check the linker " + quote(ld) + " for PE support: " + e.what() +
                         "; install the Debian package 'binutils'");
    }
    if (!result.success()) {
        throw BuildError("cannot check the linker " + quote(ld) + " for PE support: '" + ld +
                         " -V' " + result.describeStatus());
    }
    PeLinker linker{.ld = ld, .version = result.out.substr(0, result.out.find('\n'))};
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.find_first_not_of(" \t") != std::string::npos &&
            line.substr(line.find_first_not_of(" \t")) == "i386pep") {
            linker.supportsPe = true;
        }
    }
    return linker;
}

void requirePeLinker(const std::string& ld, const util::Environment& env) {
    const PeLinker linker = probePeLinker(ld, env);
    if (!linker.supportsPe) {
        throw BuildError("the linker " + quote(ld) + " (" + linker.version +
                         ") does not list the i386pep emulation in '" + ld +
                         " -V', so xen.efi cannot be linked: install the Debian package "
                         "'binutils' (or point LD at a PE-capable ld)");
    }
}

} // namespace xenbuild::builder
