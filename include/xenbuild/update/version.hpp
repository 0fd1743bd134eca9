#pragma once
// Xen release versions and the RELEASE-x.y.z tags that name them, ordered numerically
// (4.17.10 after 4.17.9, 4.19 after 4.9). Release candidates (RELEASE-4.19.0-rc1) are not
// releases.

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::update {

struct Version {
    std::vector<unsigned> parts; // {4, 17, 10}

    // "4.17.10" -> {4, 17, 10}; nullopt unless dot-separated decimal numbers.
    static std::optional<Version> parse(std::string_view text);
    std::string str() const;
    // The release branch: the first two parts ("4.17" for 4.17.10).
    std::string branch() const;

    friend bool operator==(const Version&, const Version&) = default;
    friend std::strong_ordering operator<=>(const Version& a, const Version& b) {
        return a.parts <=> b.parts;
    }
};

inline constexpr std::string_view kReleaseTagPrefix = "RELEASE-";

// "RELEASE-4.19.0" -> 4.19.0; nullopt for anything else, including release candidates and
// versions without exactly three parts.
std::optional<Version> parseReleaseTag(std::string_view tag);

// "4.19" -> true; a branch name is exactly two numeric parts.
bool isBranchName(std::string_view text);

// Orders branch names numerically ("4.9" < "4.19"); both must satisfy isBranchName.
bool branchLess(const std::string& a, const std::string& b);

// The newest release of every branch among `tags` (other tags are ignored), keyed by branch.
struct Release {
    Version version;
    std::string tag; // "RELEASE-4.19.1"
};
std::vector<Release> newestReleases(const std::vector<std::string>& tags);

} // namespace xenbuild::update
