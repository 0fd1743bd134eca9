// SHA256SUMS, written and read (checksums.hpp).

#include "xenbuild/bundle/checksums.hpp"

#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <set>

namespace xenbuild::bundle {

std::string formatChecksums(std::vector<ChecksumLine> lines) {
    std::sort(lines.begin(), lines.end(),
              [](const ChecksumLine& a, const ChecksumLine& b) { return a.name < b.name; });
    std::string text;
    for (const auto& line : lines)
        text += line.sha256.hex() + "  " + line.name + "\n";
    return text;
}

namespace {

bool isHex(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

bool isPlainName(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of(std::string_view("/\\\0\r", 4)) == std::string_view::npos;
}

} // namespace

std::vector<ChecksumLine> parseChecksums(std::string_view text,
                                         std::vector<std::string>& problems) {
    std::vector<ChecksumLine> lines;
    std::set<std::string> seen;
    std::size_t number = 0;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++number;
        const std::string where = "SHA256SUMS line " + std::to_string(number) + ": ";
        if (line.size() < 67 || !isHex(line.substr(0, 64)) || line[64] != ' ' ||
            (line[65] != ' ' && line[65] != '*')) {
            problems.push_back(where + "expected '<64 hex digits>  <file name>', got " +
                               quote(std::string(line.substr(0, 100))));
            continue;
        }
        const std::string name(line.substr(66));
        if (!isPlainName(name)) {
            problems.push_back(where + quote(name) + " is not a file name in the bundle directory");
            continue;
        }
        if (!seen.insert(name).second) {
            problems.push_back(where + quote(name) + " is listed twice");
            continue;
        }
        lines.push_back({name, util::Hash::parse(line.substr(0, 64))});
    }
    return lines;
}

} // namespace xenbuild::bundle
