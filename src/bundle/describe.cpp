#include "describe.hpp"

#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

namespace xenbuild::bundle::detail {

std::string toolName() {
    return std::string("xenbuild-") + XENBUILD_VERSION;
}

std::vector<std::string> deviations(const BuildInfo& build) {
    std::vector<std::string> sentences;
    for (const auto& [name, dir] : build.result.sourceOverrides) {
        const auto* source = build.plan.source(name);
        const auto hash = build.overrideHashes.find(name);
        std::string text = "SOURCE OVERRIDDEN: source " + quote(name) +
                           " was built from the local directory " + quote(dir);
        if (hash != build.overrideHashes.end()) text += " (NAR hash " + hash->second.sri() + ")";
        if (source != nullptr)
            text += ", not from git commit " + source->rev + " of " + source->url;
        sentences.push_back(text);
    }
    for (const auto& patch : build.excludedPatches) {
        const std::string fixes = fixText(build, patch);
        sentences.push_back(
            "PATCH EXCLUDED: patch " + quote(patch.id) + " was left out of the series on request" +
            (fixes.empty() ? "" : "; this build does NOT carry its fix (" + fixes + ")"));
    }
    return sentences;
}

std::string gitLocation(const recipe::SourcePin& source) {
    const bool hasScheme = source.url.starts_with("git+") || source.url.starts_with("git://");
    return (hasScheme ? "" : "git+") + source.url + "@" + source.rev;
}

std::string fixText(const BuildInfo& build, const recipe::PatchRef& patch) {
    const auto found = build.advisories.find(patch.id);
    if (found == build.advisories.end() && !patch.xsa) return "";
    const auto& cves =
        found != build.advisories.end() ? found->second.cves : std::vector<std::string>{};
    if (cves.empty()) return patch.id + " (no CVE assigned)";
    std::string text = patch.id + " fixes ";
    for (std::size_t i = 0; i < cves.size(); ++i)
        text += (i == 0 ? "" : ", ") + cves[i];
    return text;
}

std::string patchStatus(const BuildInfo& build, const std::string& id) {
    for (const auto& applied : build.result.patches)
        if (applied.id == id) return applied.status;
    return "";
}

std::string finishedAt(const BuildInfo& build) {
    return build.result.finishedAt ? util::formatTimestamp(*build.result.finishedAt) : "";
}

std::string startedAt(const BuildInfo& build) {
    return build.result.startedAt ? util::formatTimestamp(*build.result.startedAt) : "";
}

} // namespace xenbuild::bundle::detail
