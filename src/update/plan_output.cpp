// How an update plan is shown: a summary for people, JSON for machines, diffs for --dry-run.

#include "xenbuild/update/unified_diff.hpp"
#include "xenbuild/update/updater.hpp"
#include "xenbuild/util/date.hpp"

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace xenbuild::update {

namespace {

std::string shortRev(const std::string& rev) {
    return rev.empty() ? "(none)" : rev.substr(0, 12);
}

std::string describe(const ComponentChange& change) {
    std::string line = "  " + change.name + ": ";
    const auto side = [](const std::string& rev, const std::string& tag) {
        return tag.empty() ? shortRev(rev) : tag + " (" + shortRev(rev) + ")";
    };
    line += side(change.oldRev, change.oldTag) + " -> " + side(change.newRev, change.newTag);
    return line + (change.fetched ? "" : ", same commit, hash kept");
}

std::string headline(const BranchReport& report) {
    if (report.added) return report.branch + ": added at " + report.newVersion;
    if (report.oldVersion == report.newVersion) return report.branch + ": " + report.newVersion;
    return report.branch + ": " + report.oldVersion + " -> " + report.newVersion;
}

void appendList(std::string& out, const std::string& label, const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    out += "  " + label + ":";
    for (const auto& id : ids)
        out += " " + id;
    out += "\n";
}

nlohmann::json toJson(const ComponentChange& change) {
    return {{"name", change.name},     {"oldRev", change.oldRev}, {"newRev", change.newRev},
            {"oldTag", change.oldTag}, {"newTag", change.newTag}, {"fetched", change.fetched}};
}

} // namespace

std::string UpdatePlan::summary(SettingNames names) const {
    std::string out;
    for (const auto& report : branches) {
        out += headline(report) + "\n";
        for (const auto& change : report.components)
            out += describe(change) + "\n";
        if (report.pastSupport) {
            out += "  security support ended " + util::formatDate(report.securitySupportUntil) +
                   (report.removed ? ": branch removed\n"
                                   : ": past support (remove it with " +
                                         std::string(names(Setting::Prune)) + ")\n");
        }
        if (!report.dropped.empty()) {
            appendList(out, "dropped, contained in the release", report.dropped);
        } else {
            appendList(out,
                       "contained in the release (drop with " +
                           std::string(names(Setting::DropApplied)) + ")",
                       report.alreadyApplied);
        }
        appendList(out, "no longer apply", report.failing);
        appendList(out, "local patches kept", report.localPatches);
    }
    out += "latest: " + (latest.empty() ? std::string("(none)") : latest) + "\n";
    out += files.empty() ? "recipes are up to date\n"
                         : std::to_string(files.size()) + " file(s) changed\n";
    return out;
}

nlohmann::json UpdatePlan::toJson() const {
    nlohmann::json out = {{"latest", latest},
                          {"branches", nlohmann::json::array()},
                          {"files", nlohmann::json::array()}};
    for (const auto& r : branches) {
        nlohmann::json components = nlohmann::json::array();
        for (const auto& change : r.components)
            components.push_back(update::toJson(change));
        const std::string until = util::formatDate(r.securitySupportUntil);
        out["branches"].push_back({{"branch", r.branch},
                                   {"oldVersion", r.oldVersion},
                                   {"newVersion", r.newVersion},
                                   {"added", r.added},
                                   {"pastSupport", r.pastSupport},
                                   {"removed", r.removed},
                                   {"securitySupportUntil", until},
                                   {"components", components},
                                   {"alreadyApplied", r.alreadyApplied},
                                   {"dropped", r.dropped},
                                   {"failing", r.failing},
                                   {"localPatches", r.localPatches}});
    }
    for (const auto& file : files) {
        out["files"].push_back({{"path", file.path.string()},
                                {"change", !file.oldText   ? "added"
                                           : !file.newText ? "removed"
                                                           : "modified"}});
    }
    return out;
}

std::string UpdatePlan::diff(const fs::path& base) const {
    std::string out;
    for (const auto& file : files) {
        const std::string name = file.path.lexically_relative(base).generic_string();
        out += unifiedDiff(file.oldText.value_or(""), file.newText.value_or(""),
                           file.oldText ? "a/" + name : "/dev/null",
                           file.newText ? "b/" + name : "/dev/null");
    }
    return out;
}

} // namespace xenbuild::update
