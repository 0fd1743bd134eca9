#include "xenbuild/fetch/tag_signature.hpp"

#include "xenbuild/util/error.hpp"

#include <cctype>

namespace xenbuild::fetch {
namespace {

constexpr std::string_view kSignatureStart = "-----BEGIN PGP SIGNATURE-----";

struct TagHeaders {
    std::string object;
    std::string type;
    std::string tag;
    std::string tagger;
    std::string message;
};

bool isObjectId(std::string_view id) {
    if (id.size() != 40 && id.size() != 64) return false;
    for (char c : id)
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0 || std::isupper(c) != 0) return false;
    return true;
}

// "Name <mail> 1700000000 +0000" -> "Name <mail>".
std::string taggerIdentity(std::string_view value) {
    const auto close = value.rfind('>');
    return std::string(close == std::string_view::npos ? value : value.substr(0, close + 1));
}

[[noreturn]] void malformed(const std::string& why) {
    throw ParseError("not a git tag object: " + why);
}

TagHeaders parseHeaders(std::string_view payload) {
    TagHeaders headers;
    std::size_t pos = 0;
    while (pos < payload.size()) {
        auto eol = payload.find('\n', pos);
        if (eol == std::string_view::npos) eol = payload.size();
        const std::string_view line = payload.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.empty()) break; // end of headers
        const auto space = line.find(' ');
        const std::string_view key = line.substr(0, space);
        const std::string value(space == std::string_view::npos ? "" : line.substr(space + 1));
        if (key == "object")
            headers.object = value;
        else if (key == "type")
            headers.type = value;
        else if (key == "tag")
            headers.tag = value;
        else if (key == "tagger")
            headers.tagger = taggerIdentity(value);
    }
    if (pos < payload.size()) headers.message = std::string(payload.substr(pos));
    if (!isObjectId(headers.object))
        malformed("missing or invalid 'object' header (expected a hex object id)");
    if (headers.type.empty()) malformed("missing 'type' header");
    if (headers.tag.empty()) malformed("missing 'tag' header");
    return headers;
}

} // namespace

TagObjectParts splitTagObject(std::string_view rawTag) {
    // git's parse_signed_buffer: the last line that starts a signature begins it.
    std::size_t start = std::string_view::npos;
    for (std::size_t pos = rawTag.find(kSignatureStart); pos != std::string_view::npos;
         pos = rawTag.find(kSignatureStart, pos + 1))
        if (pos == 0 || rawTag[pos - 1] == '\n') start = pos;
    if (start == std::string_view::npos) return {rawTag, {}};
    return {rawTag.substr(0, start), rawTag.substr(start)};
}

VerifiedTag verifyTagObject(std::string_view rawTag, const SignatureVerifier& verifier,
                            std::string_view expectedName) {
    const TagObjectParts parts = splitTagObject(rawTag);
    TagHeaders headers = parseHeaders(parts.payload);
    const std::string what =
        "tag " + quote(expectedName.empty() ? headers.tag : std::string(expectedName));
    if (parts.signature.empty())
        throw SignatureError(what + " is not signed: its tag object has no " +
                             quote(std::string(kSignatureStart)) +
                             " block (create release tags with 'git tag -s')");
    if (!expectedName.empty() && headers.tag != expectedName)
        throw SignatureError(what + " points to a tag object named " + quote(headers.tag) +
                             ": a signed tag was moved to another name");
    SignatureInfo signature = verifier.verifyDetached(parts.payload, parts.signature, what);
    return VerifiedTag{std::move(headers.tag),     std::move(headers.object),
                       std::move(headers.type),    std::move(headers.tagger),
                       std::move(headers.message), std::move(signature)};
}

} // namespace xenbuild::fetch
