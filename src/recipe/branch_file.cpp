#include "xenbuild/recipe/branch_file.hpp"

#include "xenbuild/util/error.hpp"

#include <array>
#include <cstdio>
#include <fstream>

namespace xenbuild::recipe {

namespace fs = std::filesystem;

namespace {

constexpr std::array<const char*, 5> canonicalSourceOrder = {"xen", "qemu", "seabios", "ovmf",
                                                             "ipxe"};

std::size_t sourceRank(const std::string& name) {
    for (std::size_t i = 0; i < canonicalSourceOrder.size(); ++i) {
        if (name == canonicalSourceOrder[i]) return i;
    }
    return canonicalSourceOrder.size();
}

SourceEntry parseSource(const nlohmann::json& value) {
    return SourceEntry{value.at("url").get<std::string>(), value.at("rev").get<std::string>(),
                       value.value("tag", std::string{}), value.at("hash").get<std::string>(),
                       value.at("submodules").get<bool>()};
}

nlohmann::ordered_json renderSource(const SourceEntry& source) {
    nlohmann::ordered_json out;
    out["url"] = source.url;
    out["rev"] = source.rev;
    if (!source.tag.empty()) out["tag"] = source.tag;
    out["hash"] = source.hash;
    out["submodules"] = source.submodules;
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
    branch.latest = v.at("latest").get<bool>();
    for (const auto& [name, source] : v.at("sources").items()) {
        branch.sources.emplace_back(name, parseSource(source));
    }
    std::stable_sort(branch.sources.begin(), branch.sources.end(),
                     [](const auto& a, const auto& b) {
                         return std::pair(sourceRank(a.first), a.first) <
                                std::pair(sourceRank(b.first), b.first);
                     });
    branch.patches = v.at("patches").get<std::vector<std::string>>();
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
    auto sources = branch.sources;
    std::stable_sort(sources.begin(), sources.end(), [](const auto& a, const auto& b) {
        return std::pair(sourceRank(a.first), a.first) < std::pair(sourceRank(b.first), b.first);
    });
    nlohmann::ordered_json out;
    out["kind"] = "branch";
    out["branch"] = branch.branch;
    out["version"] = branch.version;
    out["latest"] = branch.latest;
    out["sources"] = nlohmann::ordered_json::object();
    for (const auto& [name, source] : sources)
        out["sources"][name] = renderSource(source);
    out["patches"] = branch.patches;
    out["support"] = {{"initialRelease", branch.support.initialRelease},
                      {"supportedUntil", branch.support.supportedUntil},
                      {"securitySupportUntil", branch.support.securitySupportUntil}};
    return out.dump(2) + "\n";
}

void writeBranchFile(const fs::path& path, const BranchFile& branch) {
    const std::string text = renderBranchJson(branch);
    const fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".tmp");
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throwSystemError("cannot create", temporary.string());
        out << text;
        out.flush();
        if (!out) {
            std::error_code ignored;
            fs::remove(temporary, ignored);
            throwSystemError("cannot write", temporary.string());
        }
    }
    std::error_code error;
    fs::rename(temporary, path, error);
    if (error) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw SystemError("cannot rename " + quote(temporary.string()) + " to " +
                          quote(path.string()) + ": " + error.message());
    }
}

} // namespace xenbuild::recipe
