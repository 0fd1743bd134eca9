#include "xenbuild/builder/xen_version.hpp"

#include "xenbuild/util/archive.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <cctype>

namespace xenbuild::builder {

namespace {

bool isVersionChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '+' ||
           c == '~' || c == '_';
}

// "4.17.5" at the start of `text`: digits '.' digits, then version characters.
std::optional<std::string> versionAt(std::string_view text) {
    std::size_t end = 0;
    while (end < text.size() && isVersionChar(text[end]))
        ++end;
    const std::string_view candidate = text.substr(0, end);
    const auto dot = candidate.find('.');
    if (dot == 0 || dot == std::string_view::npos || dot + 1 >= candidate.size())
        return std::nullopt;
    for (std::size_t i = 0; i < dot; ++i) {
        if (std::isdigit(static_cast<unsigned char>(candidate[i])) == 0) return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(candidate[dot + 1])) == 0) return std::nullopt;
    return std::string(candidate);
}

// The banner: " Xen <version>\n".
std::optional<std::string> findBanner(std::string_view image) {
    for (auto at = image.find(" Xen "); at != std::string_view::npos;
         at = image.find(" Xen ", at + 1)) {
        const auto rest = image.substr(at + 5);
        auto version = versionAt(rest);
        if (version && rest.size() > version->size() && rest[version->size()] == '\n') {
            return version;
        }
    }
    return std::nullopt;
}

// The EFI loader string, UTF-16LE: "Xen <version> (".
std::optional<std::string> findEfiLoader(std::string_view image) {
    const std::string_view marker("X\0e\0n\0 \0", 8);
    for (auto at = image.find(marker); at != std::string_view::npos;
         at = image.find(marker, at + 1)) {
        std::string narrow;
        for (auto i = at + marker.size(); i + 1 < image.size() && image[i + 1] == '\0'; i += 2) {
            if (!isVersionChar(image[i])) break;
            narrow += image[i];
        }
        if (auto version = versionAt(narrow); version && *version == narrow) return version;
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> findXenVersion(std::string_view image) {
    if (auto banner = findBanner(image)) return banner;
    return findEfiLoader(image);
}

std::optional<std::string> hypervisorVersion(const std::filesystem::path& path) {
    std::string head = util::readFile(path);
    const bool gzip = head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b';
    if (!gzip) return findXenVersion(head);
    return findXenVersion(
        translateError<BuildError, ArchiveError>([&] { return util::gunzipFile(path); }));
}

} // namespace xenbuild::builder
