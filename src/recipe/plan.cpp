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

namespace {

// What reaches the build, shared by the hash input and the printed plan (sources aside: the
// hash input lists them in staging order, the printed plan keys them by name).
nlohmann::json buildFields(const BuildPlan& plan) {
    nlohmann::json patchList = nlohmann::json::array();
    for (const auto& p : plan.patches)
        patchList.push_back(patchJson(p));
    return {{"pname", plan.pname},
            {"version", plan.version},
            {"branch", plan.branch},
            {"patches", patchList},
            {"configureFlags", plan.configureFlags},
            {"makeFlags", plan.makeFlags},
            {"makeTargets", plan.makeTargets},
            {"env", plan.env},
            {"outputs", plan.outputs},
            {"checks", checksJson(plan.checks)}};
}

} // namespace

nlohmann::json BuildPlan::hashInput() const {
    nlohmann::json sourceList = nlohmann::json::array();
    for (const auto& s : sources) {
        auto entry = sourceJson(s);
        entry["name"] = s.name;
        sourceList.push_back(std::move(entry));
    }
    auto json = buildFields(*this);
    json["format"] = planFormat;
    json["sources"] = std::move(sourceList);
    return json;
}

nlohmann::json BuildPlan::toJson() const {
    nlohmann::json sourceMap = nlohmann::json::object();
    nlohmann::json sourceOrder = nlohmann::json::array();
    for (const auto& s : sources) {
        sourceMap[s.name] = sourceJson(s);
        sourceOrder.push_back(s.name);
    }
    auto json = buildFields(*this);
    json["name"] = name;
    json["variant"] = variant;
    json["args"] = args;
    json["sources"] = std::move(sourceMap);
    json["stagingOrder"] = std::move(sourceOrder);
    json["meta"] = metaJson(meta);
    json["hash"] = hash.sri();
    return json;
}

util::Hash computePlanHash(const BuildPlan& plan) {
    return util::sha256(plan.hashInput().dump());
}

} // namespace xenbuild::recipe
