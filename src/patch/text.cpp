#include "patch/text.hpp"

namespace xenbuild::patch::detail {

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    lines.reserve(text.size() / 32 + 1);
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t nl = text.find('\n', start);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        lines.push_back(text.substr(start, end - start));
        start = end;
    }
    return lines;
}

std::string_view stripLineEnd(std::string_view line) {
    if (line.ends_with('\n')) line.remove_suffix(1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
}

namespace {

int octalDigit(char c) {
    return c >= '0' && c <= '7' ? c - '0' : -1;
}

// Decodes the escape at quoted[i] (just after the backslash); advances i past it.
std::optional<char> unescape(std::string_view quoted, std::size_t& i) {
    const char c = quoted[i++];
    switch (c) {
    case 'a':
        return '\a';
    case 'b':
        return '\b';
    case 't':
        return '\t';
    case 'n':
        return '\n';
    case 'v':
        return '\v';
    case 'f':
        return '\f';
    case 'r':
        return '\r';
    case '"':
    case '\\':
        return c;
    default:
        break;
    }
    if (octalDigit(c) < 0 || i + 2 > quoted.size()) return std::nullopt;
    const int d1 = octalDigit(quoted[i]);
    const int d2 = octalDigit(quoted[i + 1]);
    if (d1 < 0 || d2 < 0) return std::nullopt;
    i += 2;
    return static_cast<char>(((octalDigit(c) * 8) + d1) * 8 + d2);
}

} // namespace

std::optional<std::string> unquoteC(std::string_view quoted) {
    if (quoted.size() < 2 || quoted.front() != '"') return std::nullopt;
    std::string out;
    for (std::size_t i = 1; i < quoted.size();) {
        const char c = quoted[i++];
        if (c == '"')
            return i == quoted.size() || quoted[i] == '\t' ? std::optional(out) : std::nullopt;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i >= quoted.size()) return std::nullopt;
        const auto decoded = unescape(quoted, i);
        if (!decoded) return std::nullopt;
        out += *decoded;
    }
    return std::nullopt;
}

} // namespace xenbuild::patch::detail
