#include "xenbuild/util/error.hpp"

#include <cerrno>
#include <cstring>

namespace xenbuild {

namespace {

constexpr char kMentionStart = '\x1e';
constexpr char kMentionEnd = '\x1f';
constexpr int kSettings = static_cast<int>(Setting::BaseRevision) + 1;

} // namespace

std::string_view conceptName(Setting setting) {
    switch (setting) {
    case Setting::RecipeDirectory:
        return "the recipe directory setting";
    case Setting::StoreDirectory:
        return "the store directory setting";
    case Setting::Offline:
        return "offline mode";
    case Setting::Mirror:
        return "the mirror rule";
    case Setting::FetchLimit:
        return "the fetch-limit setting";
    case Setting::NoSandbox:
        return "the sandbox off";
    case Setting::BuildArgument:
        return "build argument";
    case Setting::SourceOverride:
        return "source override";
    case Setting::ExcludedPatch:
        return "excluded patch";
    case Setting::NewBranch:
        return "new branch";
    case Setting::AdvisoryBranch:
        return "advisory branch";
    case Setting::Dom0Kernel:
        return "the dom0 kernel path";
    case Setting::Dom0Modules:
        return "the dom0 modules path";
    case Setting::Prune:
        return "the prune setting";
    case Setting::DropApplied:
        return "the drop-applied setting";
    case Setting::BaseRevision:
        return "the base revision";
    }
    return "a setting";
}

std::string mention(Setting setting) {
    return std::string(1, kMentionStart) + std::to_string(static_cast<int>(setting)) + kMentionEnd;
}

std::string spellSettings(std::string_view text, SettingNames names) {
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto start = text.find(kMentionStart, at);
        const auto end = start == std::string_view::npos ? start : text.find(kMentionEnd, start);
        if (end == std::string_view::npos) break;
        const auto digits = text.substr(start + 1, end - start - 1);
        // At most two digits: text from hostile input may hold the markers around anything (a
        // long digit run overflowed here, found by the json fuzz target).
        int index = 0;
        bool valid = !digits.empty() && digits.size() <= 2;
        for (const char c : valid ? digits : std::string_view{}) {
            valid = valid && c >= '0' && c <= '9';
            index = index * 10 + (c - '0');
        }
        out.append(text.substr(at, start - at));
        if (valid && index < kSettings) {
            out.append(names(static_cast<Setting>(index)));
        } else {
            out.append(text.substr(start, end + 1 - start));
        }
        at = end + 1;
    }
    out.append(text.substr(at));
    return out;
}

std::string Error::describeMentions() const {
    std::string text;
    for (auto it = trace_.rbegin(); it != trace_.rend(); ++it) {
        text += *it;
        text += ":\n  ";
    }
    return text + message_;
}

std::string Error::describe(SettingNames names) const {
    return spellSettings(describeMentions(), names);
}

void throwSystemError(const std::string& what, const std::string& path) {
    const int saved = errno;
    throw SystemError(what + " " + quote(path) + ": " + std::strerror(saved));
}

std::string escapeControl(std::string_view text, std::string_view keep) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte >= 0x20 && byte != 0x7f) || keep.find(c) != std::string_view::npos) {
            out.push_back(c);
            continue;
        }
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\x";
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0xf]);
    }
    return out;
}

std::string quote(const std::string& value) {
    return "'" + escapeControl(value) + "'";
}

} // namespace xenbuild
