// The SPDX 2.3 document of a bundle (sbom.hpp).

#include "xenbuild/bundle/sbom.hpp"

#include "describe.hpp"
#include "xenbuild/util/error.hpp"

#include <nlohmann/json.hpp>

namespace xenbuild::bundle {

using nlohmann::json;

namespace {

constexpr const char* kNoAssertion = "NOASSERTION";
constexpr const char* kDocumentId = "SPDXRef-DOCUMENT";

json relationship(const std::string& from, const char* type, const std::string& to) {
    return {{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

json sha256Checksum(const util::Hash& hash) {
    return json::array({{{"algorithm", "SHA256"}, {"checksumValue", hash.hex()}}});
}

json annotation(const BuildInfo& build, const std::string& comment) {
    return {{"annotationType", "OTHER"},
            {"annotator", "Tool: " + detail::toolName()},
            {"annotationDate", detail::finishedAt(build)},
            {"comment", comment}};
}

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
    std::string text;
    for (const auto& item : items)
        text += (text.empty() ? "" : separator) + item;
    return text;
}

json mainPackage(const BuildInfo& build, const std::string& id) {
    const auto& plan = build.plan;
    json package = {{"SPDXID", id},
                    {"name", plan.pname},
                    {"versionInfo", plan.version},
                    {"downloadLocation", kNoAssertion},
                    {"filesAnalyzed", false},
                    {"licenseConcluded", kNoAssertion},
                    {"licenseDeclared", plan.meta.licenses.empty()
                                            ? std::string(kNoAssertion)
                                            : joined(plan.meta.licenses, " AND ")},
                    {"copyrightText", kNoAssertion},
                    {"builtDate", detail::finishedAt(build)},
                    {"comment", "package " + plan.name + " (variant " + plan.variant + ", branch " +
                                    plan.branch + "), plan hash " + plan.hash.sri() +
                                    ", build key " + build.result.key}};
    if (!plan.meta.homepage.empty()) package["homepage"] = plan.meta.homepage;
    if (!plan.meta.description.empty()) package["summary"] = plan.meta.description;
    const auto deviations = detail::deviations(build);
    if (!deviations.empty()) {
        package["annotations"] = json::array();
        for (const auto& sentence : deviations)
            package["annotations"].push_back(annotation(build, sentence));
    }
    return package;
}

json archivePackage(const BuildInfo& build, const BundleFile& archive) {
    return {{"SPDXID", spdxId("Archive", archive.output)},
            {"name", archive.name},
            {"packageFileName", archive.name},
            {"versionInfo", build.plan.version},
            {"downloadLocation", kNoAssertion},
            {"filesAnalyzed", false},
            {"primaryPackagePurpose", "ARCHIVE"},
            {"checksums", sha256Checksum(archive.sha256)},
            {"comment", "the " + quote(archive.output) + " output of " + build.plan.name +
                            " as a tar.zst archive"}};
}

json sourcePackage(const BuildInfo& build, const recipe::SourcePin& source) {
    json package = {{"SPDXID", spdxId("Source", source.name)},
                    {"name", source.name},
                    {"filesAnalyzed", false},
                    {"primaryPackagePurpose", "SOURCE"}};
    const auto overridden = build.result.sourceOverrides.find(source.name);
    if (overridden != build.result.sourceOverrides.end()) {
        const auto hash = build.overrideHashes.find(source.name);
        package["versionInfo"] = "local directory";
        package["downloadLocation"] = kNoAssertion;
        if (hash != build.overrideHashes.end()) package["checksums"] = sha256Checksum(hash->second);
        package["sourceInfo"] =
            "OVERRIDDEN: built from the local directory " + quote(overridden->second) +
            " instead of git commit " + source.rev + " of " + source.url +
            "; the checksum is the SHA-256 of the directory's NAR serialisation";
        return package;
    }
    package["versionInfo"] = source.tag.empty() ? source.rev : source.tag;
    package["downloadLocation"] = detail::gitLocation(source);
    package["checksums"] = sha256Checksum(source.hash);
    package["sourceInfo"] = "git commit " + source.rev +
                            (source.tag.empty() ? "" : " (tag " + source.tag + ")") + " of " +
                            source.url +
                            "; the checksum is the SHA-256 of the checked-out tree's NAR "
                            "serialisation (nix hash path: " +
                            source.hash.sri() + ")";
    return package;
}

json patchPackage(const BuildInfo& build, const recipe::PatchRef& patch) {
    json package = {{"SPDXID", spdxId("Patch", patch.id)},
                    {"name", patch.id},
                    {"downloadLocation", patch.local ? std::string(kNoAssertion) : patch.url},
                    {"filesAnalyzed", false},
                    {"primaryPackagePurpose", "SOURCE"},
                    {"checksums", sha256Checksum(patch.sha256)}};
    const auto advisory = build.advisories.find(patch.id);
    if (advisory != build.advisories.end() && !advisory->second.title.empty())
        package["summary"] = advisory->second.title;
    const std::string status = detail::patchStatus(build, patch.id);
    package["sourceInfo"] = (patch.local ? "local patch shipped with the recipes, applied to "
                                         : "upstream patch, applied to ") +
                            quote(patch.project) + (status.empty() ? "" : " (" + status + ")");
    const std::string fixes = detail::fixText(build, patch);
    if (fixes.empty()) return package;
    json refs = json::array();
    if (!patch.local)
        refs.push_back({{"referenceCategory", "SECURITY"},
                        {"referenceType", "fix"},
                        {"referenceLocator", patch.url},
                        {"comment", fixes}});
    if (advisory != build.advisories.end()) {
        for (const auto& cve : advisory->second.cves)
            refs.push_back({{"referenceCategory", "SECURITY"},
                            {"referenceType", "advisory"},
                            {"referenceLocator", "https://www.cve.org/CVERecord?id=" + cve},
                            {"comment", cve + ", fixed by " + patch.id}});
    }
    if (!refs.empty()) package["externalRefs"] = refs;
    const bool notApplied = status.starts_with("failed");
    package["annotations"] = json::array(
        {annotation(build, (notApplied ? "SECURITY FIX NOT APPLIED (skipped as inapplicable): "
                                       : "security fix: ") +
                               fixes)});
    return package;
}

json toolPackage(const std::string& name, const std::string& version, const std::string& comment) {
    json package = {{"SPDXID", spdxId("Tool", name)}, {"name", name},
                    {"versionInfo", version},         {"downloadLocation", kNoAssertion},
                    {"filesAnalyzed", false},         {"primaryPackagePurpose", "APPLICATION"}};
    if (!comment.empty()) package["comment"] = comment;
    return package;
}

} // namespace

std::string spdxId(const std::string& kind, const std::string& name) {
    std::string id = "SPDXRef-" + kind + "-";
    for (char c : name) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '.' || c == '-';
        id += allowed ? c : '-';
    }
    return id;
}

json spdxDocument(const BuildInfo& build, const std::vector<BundleFile>& archives) {
    const auto& plan = build.plan;
    const std::string mainId = spdxId("Package", plan.name);
    json packages = json::array({mainPackage(build, mainId)});
    json relationships = json::array({relationship(kDocumentId, "DESCRIBES", mainId)});
    for (const auto& archive : archives) {
        packages.push_back(archivePackage(build, archive));
        relationships.push_back(
            relationship(mainId, "CONTAINS", spdxId("Archive", archive.output)));
    }
    for (const auto& source : plan.sources) {
        packages.push_back(sourcePackage(build, source));
        relationships.push_back(
            relationship(mainId, "GENERATED_FROM", spdxId("Source", source.name)));
    }
    for (const auto& patch : build.appliedSeries) {
        packages.push_back(patchPackage(build, patch));
        const bool known = plan.source(patch.project) != nullptr;
        relationships.push_back(relationship(spdxId("Patch", patch.id), "PATCH_APPLIED",
                                             known ? spdxId("Source", patch.project) : mainId));
    }
    const std::string toolchainHash = build.result.toolchain.hash.sri();
    for (const auto& [tool, version] : build.result.toolchain.versions) {
        packages.push_back(toolPackage(tool, version, "toolchain hash " + toolchainHash));
        relationships.push_back(relationship(spdxId("Tool", tool), "BUILD_TOOL_OF", mainId));
    }
    packages.push_back(toolPackage("xenbuild", XENBUILD_VERSION, ""));
    relationships.push_back(relationship(spdxId("Tool", "xenbuild"), "BUILD_TOOL_OF", mainId));

    json document = {
        {"spdxVersion", "SPDX-2.3"},
        {"dataLicense", "CC0-1.0"},
        {"SPDXID", kDocumentId},
        {"name", plan.name + "-" + plan.version},
        {"documentNamespace", "urn:xenbuild:spdx:" + plan.name + ":" + build.result.key},
        {"creationInfo",
         {{"created", detail::finishedAt(build)},
          {"creators", json::array({"Tool: " + detail::toolName()})}}},
        {"documentDescribes", json::array({mainId})},
        {"packages", packages},
        {"relationships", relationships}};
    const auto deviations = detail::deviations(build);
    if (!deviations.empty()) {
        std::string comment = "WARNING: this build deviates from its plan. ";
        for (const auto& sentence : deviations)
            comment += sentence + ". ";
        comment.pop_back();
        document["comment"] = comment;
    }
    return document;
}

} // namespace xenbuild::bundle
