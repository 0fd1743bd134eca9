#include "xenbuild/recipe/branch_file.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <cstdio>

namespace xenbuild::recipe {

namespace fs = std::filesystem;

namespace {

SourceEntry parseSource(const nlohmann::json& value) {
    return SourceEntry{value.at("rev").get<std::string>(), value.value("tag", std::string{}),
                       value.at("hash").get<std::string>()};
}

nlohmann::ordered_json renderSource(const SourceEntry& source) {
    nlohmann::ordered_json out;
    out["rev"] = source.rev;
    if (!source.tag.empty()) out["tag"] = source.tag;
    out["hash"] = source.hash;
    return out;
}

} // namespace

BranchFile parseBranchFile(const JsonDocument& document) {
    const auto& v = document.value;
    if (!v.is_object() || v.value("kind", std::string{}) != "branch") {
        throw ParseError(document.describeAt("/kind", "expected a file of kind \"branch\""));
    }
    BranchFile branch;
    branch.branch = v.at("branch").get<std::string>();
    branch.version = v.at("version").get<std::string>();
    for (const auto& [name, source] : v.at("sources").items()) {
        branch.sources.emplace_back(name, parseSource(source));
    }
    // The order of the file (the parsed object is sorted by key).
    auto line = [&document](const std::string& name) {
        const Position at = document.keyPositionOf(appendPointer("/sources", name));
        return std::pair(at.line, at.column);
    };
    std::stable_sort(
        branch.sources.begin(), branch.sources.end(),
        [&line](const auto& a, const auto& b) { return line(a.first) < line(b.first); });
    const auto& support = v.at("support");
    branch.support = SupportDates{support.at("initialRelease").get<std::string>(),
                                  support.at("supportedUntil").get<std::string>(),
                                  support.at("securitySupportUntil").get<std::string>()};
    if (branch.version.rfind(branch.branch + ".", 0) != 0) {
        throw ParseError(document.describeAt("/version", "version " + quote(branch.version) +
                                                             " is not on branch " + branch.branch));
    }
    return branch;
}

std::string renderBranchJson(const BranchFile& branch) {
    nlohmann::ordered_json out;
    out["kind"] = "branch";
    out["branch"] = branch.branch;
    out["version"] = branch.version;
    out["sources"] = nlohmann::ordered_json::object();
    for (const auto& [name, source] : branch.sources)
        out["sources"][name] = renderSource(source);
    out["support"] = {{"initialRelease", branch.support.initialRelease},
                      {"supportedUntil", branch.support.supportedUntil},
                      {"securitySupportUntil", branch.support.securitySupportUntil}};
    return out.dump(2) + "\n";
}

void writeBranchFile(const fs::path& path, const BranchFile& branch) {
    util::writeFileAtomic(path, renderBranchJson(branch));
}

} // namespace xenbuild::recipe
