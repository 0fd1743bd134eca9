#include "xenbuild/cache/narinfo.hpp"

#include "xenbuild/util/error.hpp"

#include <charconv>
#include <map>
#include <set>
#include <sstream>

namespace xenbuild::cache {

namespace {

constexpr std::size_t kHashPartLength = 32;

bool isNix32Char(char c) {
    // Nix's base32 alphabet: digits and lower-case letters without e, o, u, t.
    return (c >= '0' && c <= '9') ||
           (c >= 'a' && c <= 'z' && c != 'e' && c != 'o' && c != 'u' && c != 't');
}

bool isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.' || c == '_' || c == '=';
}

std::string joinReferences(const std::vector<std::string>& references) {
    std::string joined;
    for (const auto& reference : references) {
        if (!joined.empty()) joined += ' ';
        joined += reference;
    }
    return joined;
}

} // namespace

bool isStoreBaseName(const std::string& name) {
    if (name.size() <= kHashPartLength + 1 || name.size() > 211) return false;
    for (std::size_t i = 0; i < kHashPartLength; ++i) {
        if (!isNix32Char(name[i])) return false;
    }
    if (name[kHashPartLength] != '-' || name[kHashPartLength + 1] == '.') return false;
    for (std::size_t i = kHashPartLength + 1; i < name.size(); ++i) {
        if (!isNameChar(name[i])) return false;
    }
    return true;
}

std::string hashPart(const std::string& baseName) {
    return baseName.substr(0, kHashPartLength);
}

std::string NarInfo::baseName() const {
    return storePath.substr(storePath.rfind('/') + 1);
}

std::string NarInfo::fingerprint() const {
    const std::string dir = storePath.substr(0, storePath.rfind('/') + 1);
    std::string refs;
    for (const auto& reference : references) {
        if (!refs.empty()) refs += ',';
        refs += dir + reference;
    }
    return "1;" + storePath + ";sha256:" + narHash.nix32() + ";" + std::to_string(narSize) + ";" +
           refs;
}

std::string NarInfo::format() const {
    std::string text = "StorePath: " + storePath + "\n";
    text += "URL: " + url + "\n";
    text += "Compression: " + compression + "\n";
    text += "FileHash: sha256:" + fileHash.nix32() + "\n";
    text += "FileSize: " + std::to_string(fileSize) + "\n";
    text += "NarHash: sha256:" + narHash.nix32() + "\n";
    text += "NarSize: " + std::to_string(narSize) + "\n";
    text += "References: " + joinReferences(references) + "\n";
    for (const auto& sig : sigs)
        text += "Sig: " + sig + "\n";
    return text;
}

NarInfo parseNarInfo(const std::string& text, const std::string& origin) {
    auto fail = [&](std::size_t line, const std::string& problem) {
        return ParseError("malformed narinfo " + quote(origin) +
                          (line != 0 ? " line " + std::to_string(line) : std::string()) + ": " +
                          problem);
    };
    if (text.size() > kMaxNarInfoBytes) {
        throw fail(0, "larger than " + std::to_string(kMaxNarInfoBytes) + " bytes");
    }
    NarInfo info;
    std::set<std::string> seen;
    std::istringstream in(text);
    std::string line;
    std::size_t number = 0;
    auto size = [&](const std::string& value) {
        std::uint64_t parsed = 0;
        const auto* end = value.data() + value.size();
        const auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
        if (ec != std::errc() || ptr != end || value.empty() ||
            (value.size() > 1 && value[0] == '0')) {
            throw fail(number, "not a size: " + quote(value));
        }
        return parsed;
    };
    auto hash = [&](const std::string& value) {
        if (value.rfind("sha256:", 0) != 0)
            throw fail(number, "not a sha256 hash: " + quote(value));
        try {
            return util::Hash::parse(value);
        } catch (const ParseError&) {
            throw fail(number, "not a sha256 hash: " + quote(value));
        }
    };
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        // "Key: value"; "Key:" alone is an empty value (an empty References line whose
        // trailing space a server or editor dropped).
        const auto colon = line.find(':');
        if (colon == std::string::npos || colon == 0 ||
            (colon + 1 < line.size() && line[colon + 1] != ' ')) {
            throw fail(number, "expected 'Key: value'");
        }
        const std::string key = line.substr(0, colon);
        const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
        if (key != "Sig" && !seen.insert(key).second) throw fail(number, "repeated " + key);
        if (key == "StorePath") {
            const auto slash = value.rfind('/');
            if (value.empty() || value[0] != '/' || slash == std::string::npos ||
                !isStoreBaseName(value.substr(slash + 1)) ||
                value.find("/../") != std::string::npos || value.find('\0') != std::string::npos) {
                throw fail(number, "not a store path: " + quote(value));
            }
            info.storePath = value;
        } else if (key == "URL") {
            // Relative, inside the cache: "nar/<name>" of safe characters only.
            const std::string name = value.rfind("nar/", 0) == 0 ? value.substr(4) : "";
            bool ok = !name.empty() && name[0] != '.';
            for (const char c : name)
                ok = ok && isNameChar(c);
            if (!ok) throw fail(number, "URL must be 'nar/NAME' inside the cache: " + quote(value));
            info.url = value;
        } else if (key == "Compression") {
            if (value != "zstd" && value != "none") {
                throw fail(number, "unsupported compression " + quote(value) + " (zstd or none)");
            }
            info.compression = value;
        } else if (key == "FileHash") {
            info.fileHash = hash(value);
        } else if (key == "FileSize") {
            info.fileSize = size(value);
        } else if (key == "NarHash") {
            info.narHash = hash(value);
        } else if (key == "NarSize") {
            info.narSize = size(value);
        } else if (key == "References") {
            std::istringstream refs(value);
            std::string reference;
            while (refs >> reference) {
                if (!isStoreBaseName(reference)) {
                    throw fail(number, "not a store path name: " + quote(reference));
                }
                info.references.push_back(reference);
            }
        } else if (key == "Sig") {
            if (value.find(':') == std::string::npos) throw fail(number, "Sig must be NAME:BASE64");
            info.sigs.push_back(value);
        }
        // Other fields (Deriver, System, CA, ...) are ignored, as Nix does.
    }
    for (const char* required :
         {"StorePath", "URL", "FileHash", "FileSize", "NarHash", "NarSize"}) {
        if (!seen.contains(required)) throw fail(0, std::string("no ") + required + " field");
    }
    // Nix defaults a missing Compression to bzip2, which we do not read: required here.
    if (!seen.contains("Compression")) throw fail(0, "no Compression field");
    return info;
}

} // namespace xenbuild::cache
