#include "xenbuild/update/xen_tree.hpp"

#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include <cctype>
#include <regex>
#include <sstream>

namespace xenbuild::update {

namespace {

std::string trimmed(std::string_view text) {
    const auto begin = text.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) return {};
    const auto end = text.find_last_not_of(" \t\r");
    return std::string(text.substr(begin, end - begin + 1));
}

std::string expand(const std::string& value, const std::map<std::string, std::string>& vars,
                   int depth = 0) {
    static const std::regex reference(R"(\$[({]([A-Za-z0-9_]+)[)}])");
    if (depth > 8) return value;
    std::string out;
    auto begin = std::sregex_iterator(value.begin(), value.end(), reference);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        out += value.substr(last, static_cast<std::size_t>(it->position()) - last);
        const auto found = vars.find((*it)[1].str());
        if (found != vars.end()) out += expand(found->second, vars, depth + 1);
        last = static_cast<std::size_t>(it->position() + it->length());
    }
    return out + value.substr(last);
}

} // namespace

const std::vector<PinSource>& pinSources() {
    static const std::vector<PinSource> sources = {
        {"qemu", kConfigMk, "QEMU_UPSTREAM_REVISION"},
        {"seabios", kConfigMk, "SEABIOS_UPSTREAM_REVISION"},
        {"ovmf", kConfigMk, "OVMF_UPSTREAM_REVISION"},
        {"minios", kConfigMk, "MINIOS_UPSTREAM_REVISION"},
        {"ipxe", kEtherbootMakefile, "IPXE_GIT_TAG"},
    };
    return sources;
}

std::map<std::string, std::string> makefileVariables(std::string_view text) {
    static const std::regex assignment(R"(^\s*([A-Za-z0-9_]+)\s*([?:]?=)\s*(.*)$)");
    std::map<std::string, std::string> raw;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        std::smatch match;
        if (!std::regex_match(line, match, assignment)) continue;
        const std::string name = match[1].str();
        if (match[2].str() == "?=" && raw.count(name) != 0) continue;
        raw[name] = trimmed(match[3].str());
    }
    std::map<std::string, std::string> expanded;
    for (const auto& [name, value] : raw)
        expanded[name] = expand(value, raw);
    return expanded;
}

std::vector<ComponentPin> readComponentPins(const std::map<std::string, std::string>& files) {
    std::map<std::string, std::map<std::string, std::string>> variables;
    for (const auto& [file, text] : files)
        variables[file] = makefileVariables(text);
    std::vector<ComponentPin> pins;
    for (const auto& source : pinSources()) {
        const auto& vars = variables[std::string(source.file)];
        const auto found = vars.find(source.variable);
        if (found == vars.end() || found->second.empty()) continue;
        pins.push_back({.component = source.component,
                        .value = found->second,
                        .where = std::string(source.file) + ":" + source.variable});
    }
    return pins;
}

recipe::SupportDates parseSupportDates(std::string_view text, const std::string& what) {
    std::map<std::string, std::string> fields;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        const std::string t = trimmed(line);
        const auto colon = t.find(':');
        if (colon == std::string::npos) continue;
        fields.try_emplace(t.substr(0, colon), trimmed(std::string_view(t).substr(colon + 1)));
    }
    auto get = [&](const std::string& key) {
        const auto found = fields.find(key);
        if (found == fields.end()) {
            throw ParseError(what + " has no " + quote(key + ":") + " line");
        }
        const auto date = util::parseDate(found->second);
        if (!date) {
            throw ParseError(what + ": " + quote(key + ": " + found->second) +
                             " is not a date (YYYY-MM-DD)");
        }
        return *date;
    };
    return {.initialRelease = get("Initial-Release"),
            .supportedUntil = get("Supported-Until"),
            .securitySupportUntil = get("Security-Support-Until")};
}

} // namespace xenbuild::update
