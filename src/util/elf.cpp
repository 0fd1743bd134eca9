#include "xenbuild/util/elf.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace xenbuild::util {

namespace {

constexpr std::uint32_t kPtLoad = 1;
constexpr std::uint32_t kPtDynamic = 2;
constexpr std::uint32_t kPtInterp = 3;
constexpr std::uint32_t kPtNote = 4;
constexpr std::uint32_t kShtNote = 7;
constexpr std::uint64_t kDtNull = 0;
constexpr std::uint64_t kDtNeeded = 1;
constexpr std::uint64_t kDtStrtab = 5;
constexpr std::uint64_t kDtSoname = 14;
constexpr std::uint64_t kDtRpath = 15;
constexpr std::uint64_t kDtRunpath = 29;
constexpr std::uint32_t kNtGnuBuildId = 3;

struct Segment {
    std::uint32_t type = 0;
    std::uint64_t offset = 0;
    std::uint64_t vaddr = 0;
    std::uint64_t fileSize = 0;
};

// Bounds-checked little-endian reads over the file's bytes; every failure names the file.
class Reader {
  public:
    Reader(std::string data, fs::path path) : data_(std::move(data)), path_(std::move(path)) {}

    std::uint64_t read(std::uint64_t offset, std::size_t width) const {
        require(offset, width, "field");
        std::uint64_t value = 0;
        for (std::size_t i = width; i-- > 0;) {
            value = (value << 8) | static_cast<unsigned char>(data_[offset + i]);
        }
        return value;
    }
    std::string_view bytes(std::uint64_t offset, std::uint64_t size) const {
        require(offset, size, "data");
        return std::string_view(data_).substr(offset, size);
    }
    std::string cString(std::uint64_t offset) const {
        require(offset, 1, "string");
        const auto end = data_.find('\0', offset);
        if (end == std::string::npos) fail("unterminated string");
        return data_.substr(offset, end - offset);
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw ParseError("malformed ELF file " + quote(path_.string()) + ": " + what);
    }

  private:
    void require(std::uint64_t offset, std::uint64_t size, const char* what) const {
        if (offset > data_.size() || size > data_.size() - offset) {
            fail(std::string(what) + " at offset " + std::to_string(offset) +
                 " lies beyond the end of the file");
        }
    }
    std::string data_;
    fs::path path_;
};

std::string toHex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        hex += digits[byte >> 4];
        hex += digits[byte & 15];
    }
    return hex;
}

class Parser {
  public:
    explicit Parser(const Reader& r) : r_(r) {}

    ElfInfo parse() {
        if (r_.bytes(0, 4) != std::string_view("\x7f"
                                               "ELF",
                                               4))
            r_.fail("no ELF magic");
        const auto cls = r_.read(4, 1);
        if (cls != 1 && cls != 2) r_.fail("unknown ELF class " + std::to_string(cls));
        if (r_.read(5, 1) != 1) r_.fail("not little-endian");
        info_.is64 = cls == 2;
        info_.machine = static_cast<unsigned>(r_.read(18, 2));
        readSegments();
        for (const auto& segment : segments_) {
            if (segment.type == kPtInterp) info_.interpreter = r_.cString(segment.offset);
            if (segment.type == kPtDynamic) readDynamic(segment);
        }
        info_.buildId = findBuildId();
        return std::move(info_);
    }

  private:
    std::size_t word() const { return info_.is64 ? 8 : 4; }

    void readSegments() {
        const std::uint64_t phoff = r_.read(info_.is64 ? 32 : 28, word());
        const std::uint64_t phentsize = r_.read(info_.is64 ? 54 : 42, 2);
        const std::uint64_t phnum = r_.read(info_.is64 ? 56 : 44, 2);
        for (std::uint64_t i = 0; i < phnum && phoff != 0; ++i) {
            const std::uint64_t at = phoff + i * phentsize;
            Segment s;
            s.type = static_cast<std::uint32_t>(r_.read(at, 4));
            s.offset = r_.read(at + (info_.is64 ? 8 : 4), word());
            s.vaddr = r_.read(at + (info_.is64 ? 16 : 8), word());
            s.fileSize = r_.read(at + (info_.is64 ? 32 : 16), word());
            segments_.push_back(s);
        }
    }

    // File offset of a virtual address, through the PT_LOAD segment holding it.
    std::uint64_t fileOffset(std::uint64_t vaddr) const {
        for (const auto& s : segments_) {
            if (s.type == kPtLoad && vaddr >= s.vaddr && vaddr - s.vaddr < s.fileSize) {
                return s.offset + (vaddr - s.vaddr);
            }
        }
        r_.fail("address " + std::to_string(vaddr) + " of the string table is in no segment");
    }

    void readDynamic(const Segment& dynamic) {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;
        std::optional<std::uint64_t> strtab;
        const std::size_t entrySize = 2 * word();
        for (std::uint64_t at = dynamic.offset; at + entrySize <= dynamic.offset + dynamic.fileSize;
             at += entrySize) {
            const auto tag = r_.read(at, word());
            const auto value = r_.read(at + word(), word());
            if (tag == kDtNull) break;
            if (tag == kDtStrtab) strtab = fileOffset(value);
            entries.emplace_back(tag, value);
        }
        if (!strtab) {
            if (!entries.empty()) r_.fail("dynamic section without a string table");
            return;
        }
        std::vector<std::string> rpath;
        for (const auto& [tag, value] : entries) {
            if (tag == kDtNeeded) info_.needed.push_back(r_.cString(*strtab + value));
            if (tag == kDtSoname) info_.soname = r_.cString(*strtab + value);
            if (tag == kDtRunpath) info_.runPaths = split(r_.cString(*strtab + value));
            if (tag == kDtRpath) rpath = split(r_.cString(*strtab + value));
        }
        if (info_.runPaths.empty()) info_.runPaths = rpath;
    }

    static std::vector<std::string> split(const std::string& list) {
        std::vector<std::string> parts;
        std::istringstream in(list);
        for (std::string part; std::getline(in, part, ':');) {
            if (!part.empty()) parts.push_back(part);
        }
        return parts;
    }

    // Note areas: SHT_NOTE sections when there are section headers, else PT_NOTE segments.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> noteAreas() const {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> areas;
        const std::uint64_t shoff = r_.read(info_.is64 ? 40 : 32, word());
        const std::uint64_t shentsize = r_.read(info_.is64 ? 58 : 46, 2);
        const std::uint64_t shnum = r_.read(info_.is64 ? 60 : 48, 2);
        for (std::uint64_t i = 0; i < shnum && shoff != 0; ++i) {
            const std::uint64_t at = shoff + i * shentsize;
            if (r_.read(at + 4, 4) != kShtNote) continue;
            areas.emplace_back(r_.read(at + (info_.is64 ? 24 : 16), word()),
                               r_.read(at + (info_.is64 ? 32 : 20), word()));
        }
        if (!areas.empty()) return areas;
        for (const auto& s : segments_) {
            if (s.type == kPtNote) areas.emplace_back(s.offset, s.fileSize);
        }
        return areas;
    }

    std::optional<std::string> findBuildId() const {
        for (const auto& [offset, size] : noteAreas()) {
            for (std::uint64_t at = offset; at + 12 <= offset + size;) {
                const auto nameSize = r_.read(at, 4);
                const auto descSize = r_.read(at + 4, 4);
                const auto type = r_.read(at + 8, 4);
                const auto nameAt = at + 12;
                const auto descAt = nameAt + ((nameSize + 3) & ~std::uint64_t{3});
                if (type == kNtGnuBuildId &&
                    r_.bytes(nameAt, nameSize) == std::string_view("GNU\0", 4)) {
                    return toHex(r_.bytes(descAt, descSize));
                }
                at = descAt + ((descSize + 3) & ~std::uint64_t{3});
            }
        }
        return std::nullopt;
    }

    const Reader& r_;
    ElfInfo info_;
    std::vector<Segment> segments_;
};

} // namespace

ElfInfo readElf(const fs::path& path) {
    const Reader reader(util::readFile(path), path);
    return Parser(reader).parse();
}

bool isElf(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    return in.read(magic, 4) && std::memcmp(magic,
                                            "\x7f"
                                            "ELF",
                                            4) == 0;
}

} // namespace xenbuild::util
