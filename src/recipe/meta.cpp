#include "meta.hpp"

namespace xenbuild::recipe::detail {

namespace {

// "<title line>\n<description>\nFixes:\n* CVE-…" for one applied advisory; the title line is
// the recipe's template with ${advisory.id}, ${advisory.number} and ${advisory.title}.
std::string advisoryEntry(const EvalContext& ctx, const std::string& title,
                          const std::string& pointer, const PatchInfo& patch) {
    EvalContext local = ctx;
    local.vars["advisory.id"] = patch.id;
    local.vars["advisory.number"] = std::to_string(*patch.xsa);
    local.vars["advisory.title"] = patch.title;
    std::string text = local.interpolate(title, pointer) + "\n";
    if (!patch.description.empty()) text += patch.description + "\n";
    if (patch.cves.empty()) return text + "Fixes: no CVE was assigned.";
    text += "Fixes:";
    for (const auto& cve : patch.cves)
        text += "\n* " + cve;
    return text;
}

// The paragraphs of one item of meta.longDescription (see docs/recipe-format.md).
std::vector<std::string> paragraphsOf(const RecipeSet& set, const EvalContext& ctx,
                                      const nlohmann::json& item, const std::string& at,
                                      const std::vector<PatchRef>& patches) {
    const bool special =
        item.is_object() && (item.contains("heading") || item.contains("advisories"));
    if (!special) return ctx.itemStrings(item, at);
    if (item.contains("if") && !ctx.condition(item.at("if").get<std::string>(), at + "/if")) {
        return {};
    }
    if (item.contains("heading")) {
        const auto lines = ctx.stringItems(item.at("items"), at + "/items");
        if (lines.empty()) return {};
        std::string text = ctx.interpolate(item.at("heading").get<std::string>(), at + "/heading");
        for (const auto& line : lines)
            text += "\n* " + line;
        return {text};
    }
    std::vector<std::string> out;
    const auto title = item.at("advisories").get<std::string>();
    for (const auto& patch : patches) {
        if (!patch.xsa || patch.local) continue;
        out.push_back(advisoryEntry(ctx, title, at + "/advisories", set.patches().at(patch.id)));
    }
    if (out.empty())
        out.push_back(ctx.interpolate(item.at("none").get<std::string>(), at + "/none"));
    return out;
}

std::string longDescription(const RecipeSet& set, const EvalContext& ctx,
                            const std::vector<PatchRef>& patches) {
    const auto& items = ctx.doc.value.at("meta").at("longDescription");
    std::string text;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string at = "/meta/longDescription/" + std::to_string(i);
        for (const auto& paragraph : paragraphsOf(set, ctx, items[i], at, patches)) {
            if (paragraph.empty()) continue;
            text += (text.empty() ? "" : "\n\n") + paragraph;
        }
    }
    return text;
}

} // namespace

SecuritySupport securitySupportStatus(const SupportDates& support,
                                      const std::chrono::year_month_day& today) {
    return today <= support.securitySupportUntil ? SecuritySupport::Supported
                                                 : SecuritySupport::Unsupported;
}

Meta renderMeta(const RecipeSet& set, const BranchFile& branch, const EvalContext& ctx,
                const std::vector<PatchRef>& patches, const std::chrono::year_month_day& today) {
    const auto& spec = ctx.doc.value.at("meta");
    Meta meta;
    for (const auto& fragment : ctx.stringItems(spec.at("description"), "/meta/description"))
        meta.description += fragment;
    meta.longDescription = longDescription(set, ctx, patches);
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
