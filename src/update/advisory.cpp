#include "xenbuild/update/advisory.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <regex>

namespace xenbuild::update {
namespace {

// libstdc++'s default regex executor recurses once per character: a long line overflowed the
// stack. The breadth-first executor (no back-references) does not.
constexpr auto kRegex = std::regex::ECMAScript | std::regex_constants::__polynomial;

// The advisory as numbered lines (1-based in messages), trailing whitespace and CR removed.
struct Lines {
    std::vector<std::string> text;
    const std::string& source;

    [[noreturn]] void fail(std::size_t index, const std::string& why) const {
        throw ParseError("advisory " + quote(source) + ", line " + std::to_string(index + 1) +
                         ": " + why);
    }
};

// Signatures over a SHA-1 (or older) digest can be forged with a chosen-prefix collision; gpg
// still accepts them, xenbuild does not. Xen Project advisories are signed over SHA256.
void refuseWeakDigest(const fetch::SignatureInfo& signature, const std::string& what) {
    for (const char* weak : {"SHA1", "MD5", "RIPEMD160"}) {
        if (signature.digest == weak) {
            throw SignatureError(what + " is clear-signed over a " + signature.digest +
                                 " digest, which xenbuild refuses (" + signature.digest +
                                 " signatures can be forged); Xen Project advisories are "
                                 "signed over SHA256");
        }
    }
}

// std::regex recurses once per character matched: no line or header longer than this is given
// to it (real ones are under 200 bytes).
constexpr std::size_t kMaxRegexInput = 1024;

// quote(text), cut to 80 bytes: a hostile line is not echoed whole.
std::string shortQuote(const std::string& text) {
    return quote(text.size() <= 80 ? text : text.substr(0, 77) + "...");
}

std::string trim(std::string_view text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return "";
    const auto end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> splitLines(std::string_view text) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        const auto end = line.find_last_not_of(" \t\r");
        lines.push_back(end == std::string::npos ? "" : line.substr(0, end + 1));
    }
    return lines;
}

// The lines from `index` up to the next blank line, trimmed and joined by single spaces.
std::string joinBlock(const Lines& lines, std::size_t& index) {
    std::string joined;
    for (; index < lines.text.size() && !lines.text[index].empty(); ++index)
        joined += (joined.empty() ? "" : " ") + trim(lines.text[index]);
    return joined;
}

std::size_t skipBlank(const Lines& lines, std::size_t index) {
    while (index < lines.text.size() && lines.text[index].empty())
        ++index;
    return index;
}

bool isUnderline(const std::string& line) {
    return line.size() >= 3 && line.find_first_not_of('=') == std::string::npos;
}

// A decimal number from 1 to `max`, or a failure at `index` naming `what`.
int number(const Lines& lines, std::size_t index, const std::string& digits, const char* what,
           int max) {
    int value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc{} || end != digits.data() + digits.size() || value < 1 || value > max) {
        lines.fail(index, std::string(what) + " " + digits.substr(0, 20) +
                              (digits.size() > 20 ? "..." : "") + " is out of range (1 to " +
                              std::to_string(max) + ")");
    }
    return value;
}

// "XSA-458", "version 2" and the CVE ids from the header block.
void parseHeader(const Lines& lines, std::size_t& index, Advisory& advisory) {
    index = skipBlank(lines, 0);
    const std::size_t start = index;
    const std::string header = joinBlock(lines, index);
    if (header.size() > kMaxRegexInput)
        lines.fail(start, "the header block is longer than " + std::to_string(kMaxRegexInput) +
                              " bytes; expected 'Xen Security Advisory ... / XSA-<number>' and "
                              "'version <number>'");
    static const std::regex xsa(R"(Xen Security Advisory\b.*\bXSA-([0-9]+))", kRegex);
    static const std::regex version(R"(\bversion ([0-9]+)\b)", kRegex);
    static const std::regex cve(R"(CVE-[0-9]{4}-[0-9]{4,})", kRegex);
    std::smatch match;
    if (!std::regex_search(header, match, xsa))
        lines.fail(start, "expected the header 'Xen Security Advisory ... / XSA-<number>'");
    advisory.number = number(lines, start, match[1].str(), "advisory number", kMaxXsaNumber);
    if (!std::regex_search(header, match, version))
        lines.fail(start, "expected 'version <number>' under the advisory header");
    advisory.version = number(lines, start, match[1].str(), "advisory version", 9999);
    for (auto it = std::sregex_iterator(header.begin(), header.end(), cve);
         it != std::sregex_iterator(); ++it)
        advisory.cves.push_back(it->str());
}

// Section name -> index of its first body line, for headings underlined with '='.
std::map<std::string, std::size_t> findSections(const Lines& lines) {
    std::map<std::string, std::size_t> sections;
    for (std::size_t i = 1; i < lines.text.size(); ++i)
        if (isUnderline(lines.text[i]) && !lines.text[i - 1].empty())
            sections.emplace(trim(lines.text[i - 1]), i + 1);
    return sections;
}

std::string parseDescription(const Lines& lines, std::size_t body) {
    std::string description;
    std::size_t index = skipBlank(lines, body);
    while (index < lines.text.size()) {
        if (index + 1 < lines.text.size() && isUnderline(lines.text[index + 1])) break;
        const std::string paragraph = joinBlock(lines, index);
        description += (description.empty() ? "" : "\n") + paragraph;
        index = skipBlank(lines, index);
    }
    return description;
}

// Every `$ sha256sum ...` block: "<64 hex>  <file>" lines up to a line holding only "$".
std::vector<AdvisoryPatch> parsePatches(const Lines& lines) {
    static const std::regex entry(R"(([0-9a-fA-F]{64}) [ *](\S+))", kRegex);
    std::vector<AdvisoryPatch> patches;
    for (std::size_t i = 0; i < lines.text.size(); ++i) {
        if (lines.text[i].rfind("$ sha256sum", 0) != 0) continue;
        for (++i; i < lines.text.size() && trim(lines.text[i]) != "$"; ++i) {
            std::smatch match;
            if (lines.text[i].size() > kMaxRegexInput ||
                !std::regex_match(lines.text[i], match, entry))
                lines.fail(i, "malformed line " + shortQuote(lines.text[i]) +
                                  " in the sha256sum block: expected '<64 hex digits>  <file>'");
            patches.push_back({match[2].str(), util::Hash::parse(match[1].str())});
        }
        if (i == lines.text.size())
            lines.fail(i - 1, "the sha256sum block does not end with a '$' line");
    }
    return patches;
}

} // namespace

std::string normaliseTitle(std::string_view headline) {
    std::string title = trim(headline);
    const std::string_view firstWord = std::string_view(title).substr(0, title.find(' '));
    const bool plainWord =
        !firstWord.empty() && std::all_of(firstWord.begin(), firstWord.end(),
                                          [](char c) { return c >= 'a' && c <= 'z'; });
    if (plainWord) title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    return title;
}

Advisory parseAdvisoryText(std::string_view text, const std::string& source) {
    const Lines lines{splitLines(text), source};
    Advisory advisory;
    std::size_t index = 0;
    parseHeader(lines, index, advisory);
    index = skipBlank(lines, index);
    const std::size_t headlineStart = index;
    advisory.headline = joinBlock(lines, index);
    const bool isHeading = index > headlineStart && isUnderline(lines.text[index - 1]);
    if (advisory.headline.empty() || isHeading)
        lines.fail(headlineStart, "expected the advisory's title after its header");
    advisory.title = normaliseTitle(advisory.headline);
    const auto sections = findSections(lines);
    const auto issue = sections.find("ISSUE DESCRIPTION");
    if (issue == sections.end())
        throw ParseError("advisory " + quote(source) + " has no 'ISSUE DESCRIPTION' section");
    advisory.description = parseDescription(lines, issue->second);
    if (advisory.description.empty())
        lines.fail(issue->second - 1, "the 'ISSUE DESCRIPTION' section is empty");
    advisory.patches = parsePatches(lines);
    return advisory;
}

Advisory readAdvisory(std::string_view clearsigned, const fetch::SignatureVerifier& verifier,
                      const std::string& source) {
    const std::string what = "advisory " + quote(source);
    auto verified = verifier.verifyClearsigned(clearsigned, what);
    refuseWeakDigest(verified.signature, what);
    Advisory advisory = parseAdvisoryText(verified.text, source);
    advisory.signature = std::move(verified.signature);
    return advisory;
}

Advisory readAdvisoryFile(const std::filesystem::path& path,
                          const fetch::SignatureVerifier& verifier) {
    return readAdvisory(
        util::readRegularFile(path, {.what = "advisory", .maxBytes = kMaxAdvisoryBytes}), verifier,
        path.string());
}

} // namespace xenbuild::update
