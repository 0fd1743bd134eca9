#include "xenbuild/store/plan_paths.hpp"

namespace xenbuild::store {

std::string patchStoreName(const recipe::PatchRef& patch) {
    std::string path = patch.url.substr(0, patch.url.find_first_of("?#"));
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    const auto slash = path.find_last_of('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    return base.empty() ? patch.id : base;
}

std::vector<PlannedEntry> planEntries(const recipe::BuildPlan& plan, const Store& store) {
    std::vector<PlannedEntry> entries;
    auto add = [&](recipe::InputRole role, std::string name, EntryKind kind, const util::Hash& hash,
                   const std::string& storeName) {
        const std::string id = entryId(kind, hash, storeName);
        entries.push_back({.role = role,
                           .name = std::move(name),
                           .id = id,
                           .path = store.pathOf(id),
                           .present = store.lookupId(id).has_value()});
    };
    for (const auto& source : plan.sources) {
        add(recipe::InputRole::Source, source.name, EntryKind::Tree, source.hash, source.name);
    }
    for (const auto& patch : plan.patches) {
        add(recipe::InputRole::Patch, patch.id, EntryKind::File, patch.sha256,
            patchStoreName(patch));
    }
    return entries;
}

} // namespace xenbuild::store
