#include "meta.hpp"

namespace xenbuild::recipe::detail {

namespace {

bool anyInternal(const EvalContext& ctx) {
    for (const char* name :
         {"withInternalQEMU", "withInternalSeaBIOS", "withInternalOVMF", "withInternalIPXE"}) {
        const auto it = ctx.args.find(name);
        if (it != ctx.args.end() && it->second == true) return true;
    }
    return false;
}

std::string advisoryEntry(const PatchInfo& patch) {
    std::string text =
        "Xen Security Advisory #" + std::to_string(*patch.xsa) + ": " + patch.title + ".\n";
    if (!patch.description.empty()) text += patch.description + "\n";
    if (patch.cves.empty()) return text + "Fixes: no CVE was assigned.";
    text += "Fixes:";
    for (const auto& cve : patch.cves)
        text += "\n* " + cve;
    return text;
}

std::string longDescription(const RecipeSet& set, const Variant& variant, const EvalContext& ctx,
                            const std::vector<PatchRef>& patches) {
    const auto& meta = ctx.doc.value.at("meta");
    std::string text = variant.longDescription;
    if (const auto qemu = ctx.args.find("withInternalQEMU");
        qemu != ctx.args.end() && qemu->second == false) {
        text += "\n\n" +
                ctx.interpolate(meta.at("hostQemuNote").get<std::string>(), "/meta/hostQemuNote");
    }
    const auto includes = ctx.stringItems(meta.at("includes"), "/meta/includes");
    if (!includes.empty()) {
        text += "\n\nIncludes:";
        for (const auto& item : includes)
            text += "\n* " + item;
    }
    text += "\n\n" + ctx.interpolate(meta.at("advisoriesHeader").get<std::string>(),
                                     "/meta/advisoriesHeader");
    bool any = false;
    for (const auto& patch : patches) {
        if (!patch.xsa || patch.local) continue;
        text += "\n\n" + advisoryEntry(set.patches().at(patch.id));
        any = true;
    }
    if (!any) text += "\n\n(none)";
    return text;
}

} // namespace

std::string securitySupportStatus(const SupportDates& support, const std::string& today) {
    return daysSinceEpoch(today, "today's date") <=
                   daysSinceEpoch(support.securitySupportUntil, "security support end")
               ? "supported"
               : "unsupported";
}

Meta renderMeta(const RecipeSet& set, const BranchFile& branch, const Variant& variant,
                const EvalContext& ctx, const std::vector<PatchRef>& patches,
                const std::string& today) {
    const auto& spec = ctx.doc.value.at("meta");
    Meta meta;
    meta.description = spec.at("description").get<std::string>();
    if (anyInternal(ctx)) meta.description += spec.at("internalSuffix").get<std::string>();
    meta.description += " (" + variant.description + ")";
    meta.longDescription = longDescription(set, variant, ctx, patches);
    meta.branch = branch.branch;
    meta.version = branch.version;
    meta.homepage = spec.at("homepage").get<std::string>();
    meta.licenses = spec.at("licenses").get<std::vector<std::string>>();
    meta.securitySupport = securitySupportStatus(branch.support, today);
    meta.securitySupportUntil = branch.support.securitySupportUntil;
    for (const auto& patch : patches) {
        if (patch.xsa && !patch.local) meta.xsas.push_back(*patch.xsa);
    }
    return meta;
}

} // namespace xenbuild::recipe::detail
