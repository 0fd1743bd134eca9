#include "xenbuild/recipe/plan.hpp"

namespace xenbuild::recipe {

namespace {

// Bumped whenever the meaning of a plan changes, so old and new plans never share a hash.
constexpr const char* planFormat = "xenbuild-plan-1";

nlohmann::json sourceJson(const SourcePin& source) {
    return {{"url", source.url},
            {"rev", source.rev},
            {"tag", source.tag},
            {"hash", source.hash.sri()},
            {"submodules", source.submodules},
            {"stageAt", source.stageAt},
            {"stageAs", source.stageAs}};
}

nlohmann::json patchJson(const PatchRef& patch) {
    nlohmann::json out = {{"id", patch.id},     {"project", patch.project},
                          {"url", patch.url},   {"sha256", patch.sha256.hex()},
                          {"fuzz", patch.fuzz}, {"local", patch.local}};
    out["xsa"] = patch.xsa ? nlohmann::json(*patch.xsa) : nlohmann::json(nullptr);
    return out;
}

nlohmann::json checksJson(const std::vector<Check>& checks) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& check : checks)
        out.push_back({{"kind", check.kind}, {"params", check.params}});
    return out;
}

nlohmann::json metaJson(const Meta& meta) {
    return {{"description", meta.description},
            {"longDescription", meta.longDescription},
            {"branch", meta.branch},
            {"version", meta.version},
            {"homepage", meta.homepage},
            {"licenses", meta.licenses},
            {"securitySupport", meta.securitySupport},
            {"securitySupportUntil", meta.securitySupportUntil},
            {"xsas", meta.xsas}};
}

} // namespace

const SourcePin* BuildPlan::source(const std::string& sourceName) const {
    for (const auto& s : sources) {
        if (s.name == sourceName) return &s;
    }
    return nullptr;
}

nlohmann::json BuildPlan::hashInput() const {
    nlohmann::json sourceList = nlohmann::json::array();
    for (const auto& s : sources) {
        auto entry = sourceJson(s);
        entry["name"] = s.name;
        sourceList.push_back(std::move(entry));
    }
    nlohmann::json patchList = nlohmann::json::array();
    for (const auto& p : patches)
        patchList.push_back(patchJson(p));
    return {{"format", planFormat},
            {"pname", pname},
            {"version", version},
            {"branch", branch},
            {"sources", sourceList},
            {"patches", patchList},
            {"configureFlags", configureFlags},
            {"makeFlags", makeFlags},
            {"makeTargets", makeTargets},
            {"env", env},
            {"outputs", outputs},
            {"checks", checksJson(checks)}};
}

nlohmann::json BuildPlan::toJson() const {
    nlohmann::json sourceMap = nlohmann::json::object();
    nlohmann::json sourceOrder = nlohmann::json::array();
    for (const auto& s : sources) {
        sourceMap[s.name] = sourceJson(s);
        sourceOrder.push_back(s.name);
    }
    nlohmann::json patchList = nlohmann::json::array();
    for (const auto& p : patches)
        patchList.push_back(patchJson(p));
    return {{"name", name},
            {"pname", pname},
            {"version", version},
            {"branch", branch},
            {"variant", variant},
            {"args", args},
            {"sources", sourceMap},
            {"stagingOrder", sourceOrder},
            {"patches", patchList},
            {"configureFlags", configureFlags},
            {"makeFlags", makeFlags},
            {"makeTargets", makeTargets},
            {"env", env},
            {"outputs", outputs},
            {"checks", checksJson(checks)},
            {"meta", metaJson(meta)},
            {"hash", hash.sri()}};
}

util::Hash computePlanHash(const BuildPlan& plan) {
    return util::sha256(plan.hashInput().dump());
}

} // namespace xenbuild::recipe
