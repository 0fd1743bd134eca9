#include "xenbuild/recipe/json.hpp"

#include "xenbuild/util/error.hpp"

#include "xenbuild/util/file.hpp"

#include <algorithm>

namespace xenbuild::recipe {

namespace {

constexpr int maxDepth = 200;
constexpr std::size_t kMaxExcerpt = 100; // bytes of a long line shown under an error

// Length of the well-formed UTF-8 sequence starting at `pos` (RFC 3629: no overlong forms, no
// surrogates, at most U+10FFFF), or 0.
std::size_t utf8SequenceLength(const std::string& text, std::size_t pos) {
    auto byte = [&text](std::size_t i) {
        return i < text.size() ? static_cast<unsigned char>(text[i]) : 0U;
    };
    const unsigned lead = byte(pos);
    std::size_t length = 0;
    unsigned low = 0x80, high = 0xBF; // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (byte(pos + 1) < low || byte(pos + 1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(pos + i) < 0x80 || byte(pos + i) > 0xBF) return 0;
    }
    return length;
}

class Parser {
  public:
    explicit Parser(JsonDocument& doc) : doc_(doc), text_(doc.text) {}

    void parseDocument() {
        skipSpace();
        doc_.value = parseValue("", 0);
        skipSpace();
        if (pos_ < text_.size()) fail("unexpected " + describeHere() + " after the JSON value");
    }

  private:
    JsonDocument& doc_;
    const std::string& text_;
    std::size_t pos_ = 0;
    Position where_{};

    [[noreturn]] void fail(const std::string& message) const { failAt(where_, message); }
    [[noreturn]] void failAt(Position at, const std::string& message) const {
        throw ParseError(doc_.describeAt(at, message));
    }

    bool atEnd() const { return pos_ >= text_.size(); }
    char peek() const { return atEnd() ? '\0' : text_[pos_]; }

    void advance() {
        if (text_[pos_] == '\n') {
            ++where_.line;
            where_.column = 1;
        } else {
            ++where_.column;
        }
        ++pos_;
    }

    std::string describeHere() const {
        if (atEnd()) return "end of file";
        const char c = peek();
        if (c == '\n') return "end of line";
        if (static_cast<unsigned char>(c) < 0x20) return "control character";
        return "'" + std::string(1, c) + "'";
    }

    void skipComment() {
        const Position start = where_;
        advance(); // '/'
        if (peek() == '/') {
            while (!atEnd() && peek() != '\n')
                advance();
            return;
        }
        if (peek() != '*') fail("expected '//' or '/*' to start a comment");
        advance();
        while (!atEnd()) {
            if (peek() == '*' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
                advance();
                advance();
                return;
            }
            advance();
        }
        failAt(start, "unterminated /* comment");
    }

    void skipSpace() {
        while (!atEnd()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                advance();
            } else if (c == '/') {
                skipComment();
            } else {
                return;
            }
        }
    }

    void expect(char c, const std::string& context) {
        if (peek() != c)
            fail("expected '" + std::string(1, c) + "' " + context + ", got " + describeHere());
        advance();
    }

    // After a member or element: the closing bracket, or else an error. When the offending token
    // is on a later line, the caret goes right after the value, where the ',' is missing.
    void expectClose(char close, const std::string& what, Position valueEnd) {
        if (peek() == close) {
            advance();
            return;
        }
        std::string message = "expected ',' or '" + std::string(1, close) + "' after " + what +
                              ", got " + describeHere();
        if (!atEnd() && where_.line > valueEnd.line) {
            failAt(valueEnd, message + " on line " + std::to_string(where_.line));
        }
        fail(message);
    }

    nlohmann::json parseValue(const std::string& pointer, int depth) {
        if (depth > maxDepth) fail("nesting deeper than " + std::to_string(maxDepth) + " levels");
        doc_.positions[pointer] = where_;
        const char c = peek();
        if (c == '{') return parseObject(pointer, depth);
        if (c == '[') return parseArray(pointer, depth);
        if (c == '"') return parseString();
        if (c == '-' || (c >= '0' && c <= '9')) return parseNumber();
        if (c >= 'a' && c <= 'z') return parseLiteral();
        fail("expected a JSON value, got " + describeHere());
    }

    nlohmann::json parseObject(const std::string& pointer, int depth) {
        nlohmann::json object = nlohmann::json::object();
        advance(); // '{'
        skipSpace();
        if (peek() == '}') {
            advance();
            return object;
        }
        while (true) {
            if (peek() != '"') fail("expected a string key in object, got " + describeHere());
            const Position keyAt = where_;
            std::string key = parseString();
            if (object.contains(key)) failAt(keyAt, "duplicate key " + quoteShort(key));
            skipSpace();
            expect(':', "after object key");
            skipSpace();
            const std::string member = appendPointer(pointer, key);
            doc_.keyPositions[member] = keyAt;
            object[key] = parseValue(member, depth + 1);
            const Position valueEnd = where_;
            skipSpace();
            if (peek() == ',') {
                advance();
                skipSpace();
                if (peek() == '}') fail("trailing comma before '}'");
                continue;
            }
            expectClose('}', "object member", valueEnd);
            return object;
        }
    }

    nlohmann::json parseArray(const std::string& pointer, int depth) {
        nlohmann::json array = nlohmann::json::array();
        advance(); // '['
        skipSpace();
        if (peek() == ']') {
            advance();
            return array;
        }
        while (true) {
            array.push_back(
                parseValue(appendPointer(pointer, std::to_string(array.size())), depth + 1));
            const Position valueEnd = where_;
            skipSpace();
            if (peek() == ',') {
                advance();
                skipSpace();
                if (peek() == ']') fail("trailing comma before ']'");
                continue;
            }
            expectClose(']', "array element", valueEnd);
            return array;
        }
    }

    unsigned parseHex4() {
        unsigned value = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = peek();
            unsigned digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                digit = static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                digit = static_cast<unsigned>(c - 'A' + 10);
            } else {
                fail("expected 4 hex digits after '\\u', got " + describeHere());
            }
            value = value * 16 + digit;
            advance();
        }
        return value;
    }

    static void appendUtf8(std::string& out, unsigned cp) {
        auto byte = [&out](unsigned v) { out.push_back(static_cast<char>(v)); };
        if (cp < 0x80) {
            byte(cp);
        } else if (cp < 0x800) {
            byte(0xC0 | (cp >> 6));
            byte(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            byte(0xE0 | (cp >> 12));
            byte(0x80 | ((cp >> 6) & 0x3F));
            byte(0x80 | (cp & 0x3F));
        } else {
            byte(0xF0 | (cp >> 18));
            byte(0x80 | ((cp >> 12) & 0x3F));
            byte(0x80 | ((cp >> 6) & 0x3F));
            byte(0x80 | (cp & 0x3F));
        }
    }

    unsigned parseUnicodeEscape() {
        const Position at = where_;
        unsigned cp = parseHex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) failAt(at, "unpaired low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (peek() != '\\') failAt(at, "unpaired high surrogate in \\u escape");
            advance();
            expect('u', "to continue a surrogate pair");
            const unsigned low = parseHex4();
            if (low < 0xDC00 || low > 0xDFFF) failAt(at, "invalid surrogate pair in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        return cp;
    }

    void parseEscape(std::string& out) {
        advance(); // '\'
        const char c = peek();
        static constexpr std::string_view from = "\"\\/bfnrt";
        static constexpr std::string_view to = "\"\\/\b\f\n\r\t";
        if (const auto index = from.find(c); c != '\0' && index != std::string_view::npos) {
            out.push_back(to[index]);
            advance();
        } else if (c == 'u') {
            advance();
            appendUtf8(out, parseUnicodeEscape());
        } else {
            fail("invalid escape sequence, got " + describeHere() + " after '\\'");
        }
    }

    std::string parseString() {
        const Position start = where_;
        advance(); // '"'
        std::string out;
        while (true) {
            if (atEnd()) failAt(start, "unterminated string");
            const char c = peek();
            if (c == '"') {
                advance();
                return out;
            }
            if (c == '\\') {
                parseEscape(out);
            } else if (static_cast<unsigned char>(c) < 0x20) {
                fail("unescaped " + describeHere() + " in string");
            } else if (static_cast<unsigned char>(c) >= 0x80) {
                const std::size_t length = utf8SequenceLength(text_, pos_);
                if (length == 0) fail("invalid UTF-8 in string");
                out.append(text_, pos_, length);
                for (std::size_t i = 0; i < length; ++i)
                    advance();
            } else {
                out.push_back(c);
                advance();
            }
        }
    }

    nlohmann::json parseNumber() {
        const Position start = where_;
        const std::size_t begin = pos_;
        auto digits = [this] {
            std::size_t count = 0;
            for (; peek() >= '0' && peek() <= '9'; ++count)
                advance();
            return count;
        };
        if (peek() == '-') advance();
        if (peek() == '0') {
            advance();
        } else if (digits() == 0) {
            fail("expected a digit, got " + describeHere());
        }
        if (peek() == '.') {
            advance();
            if (digits() == 0) fail("expected a digit after '.', got " + describeHere());
        }
        if (peek() == 'e' || peek() == 'E') {
            advance();
            if (peek() == '+' || peek() == '-') advance();
            if (digits() == 0) fail("expected a digit in the exponent, got " + describeHere());
        }
        try {
            return nlohmann::json::parse(text_.substr(begin, pos_ - begin));
        } catch (const nlohmann::json::exception&) {
            failAt(start, "number out of range");
        }
    }

    nlohmann::json parseLiteral() {
        const Position start = where_;
        std::string word;
        while (peek() >= 'a' && peek() <= 'z') {
            word.push_back(peek());
            advance();
        }
        if (word == "true") return true;
        if (word == "false") return false;
        if (word == "null") return nullptr;
        failAt(start, "expected a JSON value, got " + quoteShort(word));
    }
};

std::string lineAt(const std::string& text, std::size_t line) {
    std::size_t begin = 0;
    for (std::size_t current = 1; current < line; ++current) {
        begin = text.find('\n', begin);
        if (begin == std::string::npos) return {};
        ++begin;
    }
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    if (end > begin && text[end - 1] == '\r') --end;
    return text.substr(begin, end - begin);
}

bool isContinuationByte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The part of `line` shown under an error, and the offset of the caret in it. Lines longer than
// kMaxExcerpt bytes (a minified file, a hostile 50 MB line) are cut around the column, with
// "..." marking each cut.
std::pair<std::string, std::size_t> excerptAround(const std::string& line, std::size_t column) {
    const std::size_t at = column > 0 ? column - 1 : 0; // 0-based byte offset of the caret
    if (line.size() <= kMaxExcerpt) return {line, at};
    // A window of kMaxExcerpt bytes with the caret a third of the way in, moved inwards to
    // UTF-8 character boundaries so that no character is cut in half.
    std::size_t begin = at > kMaxExcerpt / 3 ? at - kMaxExcerpt / 3 : 0;
    begin = std::min(begin, line.size() - kMaxExcerpt);
    std::size_t end = begin + kMaxExcerpt;
    while (begin > 0 && begin < line.size() && isContinuationByte(line[begin]))
        ++begin;
    while (end < line.size() && isContinuationByte(line[end]))
        --end;
    const std::string before = begin > 0 ? "..." : "";
    const std::string after = end < line.size() ? "..." : "";
    const std::size_t caret = std::min(at, line.size());
    return {before + line.substr(begin, end - begin) + after,
            before.size() + (caret > begin ? caret - begin : 0)};
}

} // namespace

std::string quoteShort(const std::string& text) {
    constexpr std::size_t limit = 60;
    if (text.size() <= limit) return quote(text);
    std::size_t end = limit - 3;
    while (end > 0 && isContinuationByte(text[end]))
        --end;
    return quote(text.substr(0, end) + "...");
}

std::string appendPointer(const std::string& pointer, const std::string& token) {
    std::string out = pointer + "/";
    for (const char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Position JsonDocument::positionOf(const std::string& pointer) const {
    std::string current = pointer;
    while (true) {
        if (const auto it = positions.find(current); it != positions.end()) return it->second;
        if (current.empty()) return Position{};
        current.erase(current.rfind('/'));
    }
}

Position JsonDocument::keyPositionOf(const std::string& pointer) const {
    if (const auto it = keyPositions.find(pointer); it != keyPositions.end()) return it->second;
    return positionOf(pointer);
}

std::string JsonDocument::describeAt(Position position, const std::string& message) const {
    auto [line, offset] = excerptAround(lineAt(text, position.line), position.column);
    // One byte for one byte, so that the caret still points at the column: a control character
    // of a hostile file must not reach the terminal.
    std::replace_if(
        line.begin(), line.end(),
        [](char c) { return c != '\t' && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f); },
        '?');
    std::string caret;
    for (std::size_t i = 0; i < offset && i < line.size(); ++i) {
        caret.push_back(line[i] == '\t' ? '\t' : ' ');
    }
    return path + ":" + std::to_string(position.line) + ":" + std::to_string(position.column) +
           ": " + message + "\n  " + line + "\n  " + caret + "^";
}

std::string JsonDocument::describeAt(const std::string& pointer, const std::string& message) const {
    return describeAt(positionOf(pointer), message);
}

JsonDocument parseJson(std::string text, std::string path) {
    JsonDocument doc;
    doc.path = std::move(path);
    doc.text = std::move(text);
    Parser parser(doc);
    parser.parseDocument();
    return doc;
}

JsonDocument loadJsonFile(const std::filesystem::path& path) {
    return parseJson(
        util::readRegularFile(path, {.what = "recipe file", .maxBytes = kMaxRecipeBytes}),
        path.string());
}

} // namespace xenbuild::recipe
