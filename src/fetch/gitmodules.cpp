// .gitmodules parsing and submodule URL resolution (plain text, no libgit2).

#include "fetch/git.hpp"

#include <sstream>

namespace xenbuild::fetch::detail {

std::map<std::string, std::string> parseGitmodules(const std::string& text) {
    std::map<std::string, std::map<std::string, std::string>> sections;
    std::istringstream in(text);
    std::string line;
    std::string current;
    while (std::getline(in, line)) {
        const auto begin = line.find_first_not_of(" \t");
        if (begin == std::string::npos || line[begin] == '#' || line[begin] == ';') continue;
        line = line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1);
        if (line[0] == '[') {
            current = line;
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        auto key = line.substr(0, line.find_last_not_of(" \t", eq - 1) + 1);
        auto value = line.substr(line.find_first_not_of(" \t", eq + 1) == std::string::npos
                                     ? line.size()
                                     : line.find_first_not_of(" \t", eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        sections[current][key] = value;
    }
    std::map<std::string, std::string> urls;
    for (auto& [name, keys] : sections) {
        if (keys.count("path") != 0 && keys.count("url") != 0) urls[keys["path"]] = keys["url"];
    }
    return urls;
}

std::string resolveSubmoduleUrl(const std::string& parent, const std::string& url) {
    if (url.rfind("./", 0) != 0 && url.rfind("../", 0) != 0) return url;
    std::string base = parent;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    std::string rest = url;
    while (true) {
        if (rest.rfind("./", 0) == 0) {
            rest = rest.substr(2);
        } else if (rest.rfind("../", 0) == 0) {
            const auto cut = base.find_last_of("/:");
            base = cut == std::string::npos ? "" : base.substr(0, cut);
            rest = rest.substr(3);
        } else {
            break;
        }
    }
    return base + "/" + rest;
}

} // namespace xenbuild::fetch::detail
