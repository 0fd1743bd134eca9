#include "xenbuild/recipe/branch_file.hpp"

#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <cstdio>

namespace xenbuild::recipe {

namespace fs = std::filesystem;

namespace {

SourceEntry parseSource(const nlohmann::json& value) {
    return SourceEntry{.rev = value.at("rev").get<std::string>(),
                       .tag = value.value("tag", std::string{}),
                       .hash = value.at("hash").get<std::string>()};
}

nlohmann::ordered_json renderSource(const SourceEntry& source) {
    nlohmann::ordered_json out;
    out["rev"] = source.rev;
    if (!source.tag.empty()) out["tag"] = source.tag;
    out["hash"] = source.hash;
    return out;
}

// The date at `pointer`; ParseError at its position when it is not one (2024-02-30).
std::chrono::year_month_day dateAt(const JsonDocument& document, const std::string& pointer) {
    const auto& value = document.value.at(nlohmann::json::json_pointer(pointer));
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    const auto date = value.is_string() ? util::parseDate(text) : std::nullopt;
    if (!date) throw ParseError(document.describeAt(pointer, util::dateProblem(text)));
    return *date;
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
    branch.support =
        SupportDates{.initialRelease = dateAt(document, "/support/initialRelease"),
                     .supportedUntil = dateAt(document, "/support/supportedUntil"),
                     .securitySupportUntil = dateAt(document, "/support/securitySupportUntil")};
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
    out["support"] = {
        {"initialRelease", util::formatDate(branch.support.initialRelease)},
        {"supportedUntil", util::formatDate(branch.support.supportedUntil)},
        {"securitySupportUntil", util::formatDate(branch.support.securitySupportUntil)}};
    return out.dump(2) + "\n";
}

void writeBranchFile(const fs::path& path, const BranchFile& branch) {
    util::writeFileAtomic(path, renderBranchJson(branch));
}

} // namespace xenbuild::recipe
