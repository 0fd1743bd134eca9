// The SLSA v1.0 provenance of a bundle and its DSSE envelope (provenance.hpp).

#include "xenbuild/bundle/provenance.hpp"

#include "describe.hpp"

#include <nlohmann/json.hpp>

namespace xenbuild::bundle {

using nlohmann::json;

namespace {

json sourceDependency(const BuildInfo& build, const recipe::SourcePin& source) {
    const auto overridden = build.result.sourceOverrides.find(source.name);
    if (overridden != build.result.sourceOverrides.end()) {
        json dependency = {{"name", source.name},
                           {"uri", "file://" + overridden->second},
                           {"annotations",
                            {{"overridden", true},
                             {"replaces", detail::gitLocation(source)},
                             {"note", "local directory given with --override-source"}}}};
        const auto hash = build.overrideHashes.find(source.name);
        dependency["digest"] = json::object();
        if (hash != build.overrideHashes.end()) {
            dependency["digest"]["narSha256"] = hash->second.hex();
            dependency["annotations"]["narHash"] = hash->second.sri();
        }
        return dependency;
    }
    json annotations = {{"narHash", source.hash.sri()}};
    if (!source.tag.empty()) annotations["tag"] = source.tag;
    if (!source.stageAt.empty()) annotations["stageAt"] = source.stageAt;
    return {{"name", source.name},
            {"uri", detail::gitLocation(source)},
            {"digest", {{"gitCommit", source.rev}, {"narSha256", source.hash.hex()}}},
            {"annotations", annotations}};
}

json patchDependency(const BuildInfo& build, const recipe::PatchRef& patch) {
    json annotations = {{"project", patch.project}, {"local", patch.local}};
    const std::string status = detail::patchStatus(build, patch.id);
    if (!status.empty()) annotations["status"] = status;
    const auto advisory = build.advisories.find(patch.id);
    if (advisory != build.advisories.end()) annotations["cves"] = advisory->second.cves;
    if (const std::string fixes = detail::fixText(build, patch); !fixes.empty())
        annotations["securityFix"] = fixes;
    return {{"name", patch.id},
            {"uri", patch.url},
            {"digest", {{"sha256", patch.sha256.hex()}}},
            {"annotations", annotations}};
}

json externalParameters(const BuildInfo& build) {
    json overrides = json::object();
    for (const auto& [name, dir] : build.result.sourceOverrides) {
        overrides[name] = {{"directory", dir}};
        if (const auto hash = build.overrideHashes.find(name); hash != build.overrideHashes.end())
            overrides[name]["narHash"] = hash->second.sri();
    }
    json parameters = {{"package", build.plan.name},
                       {"plan", build.plan.toJson()},
                       {"planHash", build.plan.hash.sri()},
                       {"sourceOverrides", overrides},
                       {"excludedPatches", build.result.excludedPatches}};
    if (const auto deviations = detail::deviations(build); !deviations.empty())
        parameters["deviations"] = deviations;
    return parameters;
}

json internalParameters(const BuildInfo& build) {
    json statuses = json::object();
    for (const auto& applied : build.result.patches)
        statuses[applied.id] = applied.status;
    return {{"buildKey", build.result.key},
            {"sandbox", build.result.sandboxMode},
            {"toolchain", build.result.toolchain.toJson()},
            {"patchStatus", statuses},
            {"skippedPatches", build.result.skippedPatches}};
}

} // namespace

json provenanceStatement(const BuildInfo& build, const std::vector<BundleFile>& archives,
                         const std::string& builderId) {
    json subjects = json::array();
    for (const auto& archive : archives)
        subjects.push_back(
            {{"name", archive.name}, {"digest", {{"sha256", archive.sha256.hex()}}}});
    json dependencies = json::array();
    for (const auto& source : build.plan.sources)
        dependencies.push_back(sourceDependency(build, source));
    for (const auto& patch : build.appliedSeries)
        dependencies.push_back(patchDependency(build, patch));
    json versions = {{"xenbuild", XENBUILD_VERSION}};
    for (const auto& [tool, version] : build.result.toolchain.versions)
        versions[tool] = version;
    return {{"_type", kStatementType},
            {"subject", subjects},
            {"predicateType", kProvenanceType},
            {"predicate",
             {{"buildDefinition",
               {{"buildType", kBuildType},
                {"externalParameters", externalParameters(build)},
                {"internalParameters", internalParameters(build)},
                {"resolvedDependencies", dependencies}}},
              {"runDetails",
               {{"builder", {{"id", builderId}, {"version", versions}}},
                {"metadata",
                 {{"invocationId", build.result.key},
                  {"startedOn", detail::startedAt(build)},
                  {"finishedOn", detail::finishedAt(build)}}}}}}}};
}

std::string dssePae(std::string_view payloadType, std::string_view payload) {
    return "DSSEv1 " + std::to_string(payloadType.size()) + " " + std::string(payloadType) + " " +
           std::to_string(payload.size()) + " " + std::string(payload);
}

json dsseEnvelope(std::string_view payloadType, std::string_view payload,
                  const std::vector<DsseSignature>& signatures) {
    auto base64 = [](std::string_view bytes) {
        return util::toBase64(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    };
    json envelope = {
        {"payloadType", payloadType}, {"payload", base64(payload)}, {"signatures", json::array()}};
    for (const auto& signature : signatures)
        envelope["signatures"].push_back(
            {{"keyid", signature.keyid}, {"sig", base64(signature.sig)}});
    return envelope;
}

} // namespace xenbuild::bundle
