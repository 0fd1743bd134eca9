#include "xenbuild/update/version.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace xenbuild::update {

std::optional<Version> Version::parse(std::string_view text) {
    Version version;
    while (true) {
        const auto dot = text.find('.');
        const std::string_view part = text.substr(0, dot);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || part.size() > 6 || ec != std::errc() ||
            end != part.data() + part.size()) {
            return std::nullopt;
        }
        version.parts.push_back(value);
        if (dot == std::string_view::npos) break;
        text.remove_prefix(dot + 1);
    }
    return version;
}

std::string Version::str() const {
    std::string out;
    for (const unsigned part : parts) {
        if (!out.empty()) out += '.';
        out += std::to_string(part);
    }
    return out;
}

std::string Version::branch() const {
    Version head;
    head.parts.assign(parts.begin(),
                      parts.begin() + std::min<std::ptrdiff_t>(2, std::ssize(parts)));
    return head.str();
}

std::optional<Version> parseReleaseTag(std::string_view tag) {
    if (!tag.starts_with(kReleaseTagPrefix)) return std::nullopt;
    auto version = Version::parse(tag.substr(kReleaseTagPrefix.size()));
    if (!version || version->parts.size() != 3) return std::nullopt;
    return version;
}

bool isBranchName(std::string_view text) {
    const auto version = Version::parse(text);
    return version && version->parts.size() == 2;
}

bool branchLess(const std::string& a, const std::string& b) {
    const auto va = Version::parse(a);
    const auto vb = Version::parse(b);
    if (va && vb) return *va < *vb;
    return a < b;
}

std::vector<Release> newestReleases(const std::vector<std::string>& tags) {
    std::map<std::string, Release, decltype(&branchLess)> newest(&branchLess);
    for (const auto& tag : tags) {
        const auto version = parseReleaseTag(tag);
        if (!version) continue;
        auto [it, inserted] = newest.try_emplace(version->branch(), Release{*version, tag});
        if (!inserted && it->second.version < *version) it->second = {*version, tag};
    }
    std::vector<Release> out;
    out.reserve(newest.size());
    for (auto& [branch, release] : newest)
        out.push_back(std::move(release));
    return out;
}

} // namespace xenbuild::update
