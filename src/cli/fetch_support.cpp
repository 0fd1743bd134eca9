#include "cli/fetch_support.hpp"

#include "xenbuild/fetch/prefetch.hpp"

#include <nlohmann/json.hpp>

namespace xenbuild::cli {

namespace {

nlohmann::json itemJson(const fetch::PrefetchedItem& item) {
    return {{"role", recipe::toString(item.role)},
            {"name", item.name},
            {"url", item.url},
            {"rev", item.rev},
            {"hash", item.hash.sri()},
            {"path", item.path.string()},
            {"fromStore", item.fromStore}};
}

} // namespace

store::Store openStore(const GlobalOptions& global, bool checkContent) {
    store::StoreOptions options;
    options.checkContent = checkContent;
    return store::Store::open(global.storeDir.empty() ? store::defaultStoreDir() : global.storeDir,
                              options);
}

fetch::FetchOptions fetchOptions(const GlobalOptions& global) {
    fetch::FetchOptions options;
    const auto config = fetch::Mirrors::defaultConfigFile();
    if (!config.empty()) options.mirrors.loadFile(config, true);
    for (const auto& rule : global.mirrors)
        options.mirrors.add(rule);
    options.offline = global.offline;
    for (const auto& limit : global.fetchLimits)
        options.limits.set(limit);
    return options;
}

void runPrefetchPlans(const std::vector<recipe::BuildPlan>& plans, const GlobalOptions& global,
                      bool json, bool checkContent) {
    auto store = openStore(global, checkContent);
    const auto options = fetchOptions(global);
    Output output(global, json);
    const auto results = fetch::prefetchPlans(plans, store, options, output.progress());
    output.finish();
    if (json) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& result : results) {
            auto& items = out[result.plan] = nlohmann::json::array();
            for (const auto& item : result.items)
                items.push_back(itemJson(item));
        }
        output.json(out);
        return;
    }
    for (const auto& result : results) {
        for (const auto& item : result.items) {
            output.line(result.plan + ' ' + std::string(recipe::toString(item.role)) + ' ' +
                        item.name + ' ' + item.path.string());
        }
    }
}

} // namespace xenbuild::cli
