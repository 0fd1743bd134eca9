#include "xenbuild/recipe/plan.hpp"

#include "xenbuild/util/date.hpp"

#include <nlohmann/json.hpp>

#include <array>

namespace xenbuild::recipe {

namespace {

constexpr std::array<std::string_view, 2> kStageAs = {"tree", "tarball"};
constexpr std::array<std::string_view, 2> kInputRoles = {"source", "patch"};
constexpr std::array<std::string_view, 3> kParamTypes = {"bool", "string", "path"};
constexpr std::array<std::string_view, 2> kSecuritySupport = {"supported", "unsupported"};
constexpr std::array<std::string_view, 8> kCheckKinds = {
    "pe32plus",      "pkg-config", "hypervisor-version", "seabios",
    "uefi-firmware", "option-rom", "program-version",    "elf"};

template <typename Enum, std::size_t N>
std::string_view spelling(const std::array<std::string_view, N>& names, Enum value) {
    return names.at(static_cast<std::size_t>(value));
}

template <typename Enum, std::size_t N>
std::optional<Enum> parseSpelling(const std::array<std::string_view, N>& names,
                                  std::string_view text) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == text) return static_cast<Enum>(i);
    }
    return std::nullopt;
}

} // namespace

std::string_view toString(StageAs value) {
    return spelling(kStageAs, value);
}

std::string_view toString(InputRole value) {
    return spelling(kInputRoles, value);
}

std::string_view toString(ParamType value) {
    return spelling(kParamTypes, value);
}

std::string_view toString(SecuritySupport value) {
    return spelling(kSecuritySupport, value);
}

std::string_view toString(CheckKind kind) {
    return spelling(kCheckKinds, kind);
}

std::optional<StageAs> parseStageAs(std::string_view text) {
    return parseSpelling<StageAs>(kStageAs, text);
}

std::optional<ParamType> parseParamType(std::string_view text) {
    return parseSpelling<ParamType>(kParamTypes, text);
}

std::optional<CheckKind> parseCheckKind(std::string_view text) {
    return parseSpelling<CheckKind>(kCheckKinds, text);
}

bool holdsType(const ParamValue& value, ParamType type) {
    return std::holds_alternative<bool>(value) == (type == ParamType::Bool);
}

std::string paramText(const ParamValue& value) {
    if (const bool* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
    return std::get<std::string>(value);
}

nlohmann::json paramJson(const ParamValue& value) {
    return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

nlohmann::json Check::paramsJson() const {
    struct ToJson {
        nlohmann::json operator()(const Pe32PlusParams& p) const { return {{"path", p.path}}; }
        nlohmann::json operator()(const PkgConfigParams& p) const {
            return {{"path", p.path}, {"modules", p.modules}, {"prefix", p.prefix}};
        }
        nlohmann::json operator()(const HypervisorVersionParams& p) const {
            return {{"path", p.path}, {"version", p.version}};
        }
        nlohmann::json operator()(const SeabiosParams& p) const {
            return {{"path", p.path},
                    {"source", p.source},
                    {"extraVersion", p.extraVersion},
                    {"sizesKiB", p.sizesKiB}};
        }
        nlohmann::json operator()(const UefiFirmwareParams& p) const {
            return {{"path", p.path}, {"sizesKiB", p.sizesKiB}};
        }
        nlohmann::json operator()(const OptionRomParams& p) const { return {{"path", p.path}}; }
        nlohmann::json operator()(const ProgramVersionParams& p) const {
            return {{"path", p.path},
                    {"args", p.args},
                    {"source", p.source},
                    {"versionFile", p.versionFile},
                    {"libraryPath", p.libraryPath}};
        }
        nlohmann::json operator()(const ElfParams& p) const {
            return {{"path", p.path}, {"class", p.elfClass}};
        }
    };
    return std::visit(ToJson{}, params);
}

namespace {

// Bumped whenever the meaning of a plan changes, so old and new plans never share a hash.
// 2: outputs hold install (FHS) paths, split by outputPaths.
constexpr const char* planFormat = "xenbuild-plan-2";

nlohmann::json sourceJson(const SourcePin& source) {
    return {{"url", source.url},
            {"rev", source.rev},
            {"tag", source.tag},
            {"hash", source.hash.sri()},
            {"submodules", source.submodules},
            {"stageAt", source.stageAt},
            {"stageAs", toString(source.stageAs)}};
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
        out.push_back({{"kind", toString(check.kind())}, {"params", check.paramsJson()}});
    return out;
}

nlohmann::json metaJson(const Meta& meta) {
    return {{"description", meta.description},
            {"longDescription", meta.longDescription},
            {"branch", meta.branch},
            {"version", meta.version},
            {"homepage", meta.homepage},
            {"licenses", meta.licenses},
            {"securitySupport", toString(meta.securitySupport)},
            {"securitySupportUntil", util::formatDate(meta.securitySupportUntil)},
            {"xsas", meta.xsas}};
}

} // namespace

const SourcePin* BuildPlan::source(const std::string& sourceName) const {
    for (const auto& s : sources) {
        if (s.name == sourceName) return &s;
    }
    return nullptr;
}

std::vector<std::string> BuildPlan::inTree() const {
    std::vector<std::string> names;
    for (std::size_t i = 1; i < sources.size(); ++i)
        names.push_back(sources[i].name);
    return names;
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
            {"outputPaths", plan.outputPaths},
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
    nlohmann::json argsJson = nlohmann::json::object();
    for (const auto& [argName, value] : args)
        argsJson[argName] = paramJson(value);
    json["args"] = std::move(argsJson);
    json["sources"] = std::move(sourceMap);
    json["stagingOrder"] = std::move(sourceOrder);
    json["inTree"] = inTree();
    json["meta"] = metaJson(meta);
    json["hash"] = hash.sri();
    return json;
}

util::Hash computePlanHash(const BuildPlan& plan) {
    return util::sha256(plan.hashInput().dump());
}

} // namespace xenbuild::recipe
