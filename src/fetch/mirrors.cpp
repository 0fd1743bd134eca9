#include "xenbuild/fetch/mirrors.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/xdg.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>

namespace xenbuild::fetch {

namespace {

std::string strip(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r");
    if (begin == std::string::npos) return {};
    const auto end = text.find_last_not_of(" \t\r");
    return text.substr(begin, end - begin + 1);
}

std::optional<MirrorRule> parseRule(const std::string& text) {
    auto separator = text.find('=');
    if (separator == std::string::npos) separator = text.find_first_of(" \t");
    if (separator == std::string::npos) return std::nullopt;
    const MirrorRule rule{.from = strip(text.substr(0, separator)),
                          .to = strip(text.substr(separator + 1))};
    if (rule.from.empty() || rule.to.empty()) return std::nullopt;
    return rule;
}

} // namespace

void Mirrors::add(const std::string& rule) {
    auto parsed = parseRule(rule);
    if (!parsed) {
        throw UsageError("invalid mirror rule " + quote(rule) +
                         ": expected FROM=TO, e.g. https://xenbits.xenproject.org/=file:///srv/"
                         "mirror/");
    }
    add(std::move(*parsed));
}

void Mirrors::add(MirrorRule rule) {
    rules_.push_back(std::move(rule));
}

void Mirrors::loadFile(const std::filesystem::path& path, bool optional) {
    std::ifstream in(path);
    if (!in) {
        if (optional && !std::filesystem::exists(path)) return;
        throwSystemError("cannot read mirror config", path.string());
    }
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string text = strip(line);
        if (text.empty() || text[0] == '#') continue;
        auto rule = parseRule(text);
        if (!rule) {
            throw ParseError(path.string() + ":" + std::to_string(number) +
                             ": invalid mirror rule " + quote(text) + ": expected FROM=TO");
        }
        add(std::move(*rule));
    }
}

std::string Mirrors::rewrite(const std::string& url) const {
    const MirrorRule* best = nullptr;
    for (const auto& rule : rules_) {
        if (url.rfind(rule.from, 0) == 0 &&
            (best == nullptr || rule.from.size() > best->from.size())) {
            best = &rule;
        }
    }
    return best == nullptr ? url : best->to + url.substr(best->from.size());
}

std::filesystem::path Mirrors::defaultConfigFile() {
    if (const char* env = std::getenv("XENBUILD_MIRRORS"); env != nullptr && *env != '\0') {
        return env;
    }
    const auto config = util::xdgConfigHome();
    return config.empty() ? config : config / "xenbuild" / "mirrors";
}

bool isLocalUrl(const std::string& url) {
    return url.rfind("file://", 0) == 0 || url.rfind('/', 0) == 0 || url.rfind("./", 0) == 0 ||
           url.rfind("../", 0) == 0;
}

} // namespace xenbuild::fetch
