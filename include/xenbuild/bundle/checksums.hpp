#pragma once
// SHA256SUMS in the form `sha256sum` writes and `sha256sum -c` checks: "<64 hex>  <name>\n",
// sorted by name.

#include "xenbuild/util/hash.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::bundle {

struct ChecksumLine {
    std::string name;
    util::Hash sha256;
};

// The file's text: one line per entry, sorted by name.
std::string formatChecksums(std::vector<ChecksumLine> lines);

// The entries of a SHA256SUMS text ("  " or " *" between digest and name). Lines that do not
// parse, names that are not plain file names and names listed twice are reported in `problems`
// ("SHA256SUMS line 3: ...") and left out.
std::vector<ChecksumLine> parseChecksums(std::string_view text, std::vector<std::string>& problems);

} // namespace xenbuild::bundle
