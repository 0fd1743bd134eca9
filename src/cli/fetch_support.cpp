#include "cli/fetch_support.hpp"

#include "xenbuild/fetch/prefetch.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>

#include <unistd.h>

namespace xenbuild::cli {

namespace {

using util::ProgressEvent;

class PlainProgress final : public util::ProgressObserver {
  public:
    void onEvent(const ProgressEvent& event) override {
        std::lock_guard lock(mutex_);
        switch (event.kind) {
        case ProgressEvent::Kind::Started:
            std::cerr << event.activity << ": fetching " << event.text << '\n';
            break;
        case ProgressEvent::Kind::Finished:
            std::cerr << event.activity << ": done " << event.text << '\n';
            break;
        case ProgressEvent::Kind::Failed:
            std::cerr << event.activity << ": failed\n";
            break;
        default:
            break;
        }
    }

  private:
    std::mutex mutex_;
};

std::string humanBytes(std::uint64_t bytes) {
    if (bytes < 10 * 1024) return std::to_string(bytes) + " B";
    if (bytes < 10 * 1024 * 1024) return std::to_string(bytes / 1024) + " KiB";
    return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

// One status line rewritten in place: "[done/started] activity: progress".
class TerminalProgress final : public util::ProgressObserver {
  public:
    void onEvent(const ProgressEvent& event) override {
        std::lock_guard lock(mutex_);
        if (event.kind == ProgressEvent::Kind::Started) ++started_;
        if (event.kind == ProgressEvent::Kind::Finished) ++finished_;
        if (event.kind == ProgressEvent::Kind::Failed) {
            std::cerr << "\r\033[K" << event.activity << ": failed\n";
        }
        std::string detail = event.text;
        if (event.kind == ProgressEvent::Kind::Progress) {
            detail =
                event.unit == "bytes"
                    ? humanBytes(event.done) + (event.total ? " / " + humanBytes(event.total) : "")
                    : std::to_string(event.done) +
                          (event.total ? "/" + std::to_string(event.total) : std::string()) + " " +
                          event.unit + " (" + event.text + ")";
        }
        std::string line = "[" + std::to_string(finished_) + "/" + std::to_string(started_) + "] " +
                           event.activity + ": " + detail;
        if (line.size() > 120) line.resize(120);
        std::cerr << "\r\033[K" << line << std::flush;
        dirty_ = true;
    }
    ~TerminalProgress() override {
        if (dirty_) std::cerr << "\r\033[K" << std::flush;
    }

  private:
    std::mutex mutex_;
    unsigned started_ = 0;
    unsigned finished_ = 0;
    bool dirty_ = false;
};

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

std::unique_ptr<util::ProgressObserver> makeProgressView(const GlobalOptions& global) {
    if (global.quiet) return std::make_unique<util::NullProgress>();
    if (::isatty(STDERR_FILENO) != 0) return std::make_unique<TerminalProgress>();
    return std::make_unique<PlainProgress>();
}

void runPrefetchPlans(const std::vector<recipe::BuildPlan>& plans, const GlobalOptions& global,
                      bool json, bool checkContent) {
    auto store = openStore(global, checkContent);
    const auto options = fetchOptions(global);
    std::vector<fetch::PrefetchResult> results;
    {
        auto view = makeProgressView(global);
        results = fetch::prefetchPlans(plans, store, options, *view);
    }
    if (json) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& result : results) {
            auto& items = out[result.plan] = nlohmann::json::array();
            for (const auto& item : result.items)
                items.push_back(itemJson(item));
        }
        std::cout << out.dump(2) << '\n';
        return;
    }
    for (const auto& result : results) {
        for (const auto& item : result.items) {
            std::cout << result.plan << ' ' << recipe::toString(item.role) << ' ' << item.name
                      << ' ' << item.path.string() << '\n';
        }
    }
}

} // namespace xenbuild::cli
