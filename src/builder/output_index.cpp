#include "xenbuild/builder/output_index.hpp"

#include "record.hpp"
#include "xenbuild/builder/build_key.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/store/store.hpp"

#include <fstream>

namespace fs = std::filesystem;

namespace xenbuild::builder {

namespace {

fs::path newestLink(const store::Store& store, const std::string& kind, const std::string& name) {
    return store.dir() / "builds" / (kind + "-" + name + ".json");
}

// `link` -> <key>.json, replaced atomically (a temporary of the build, then a rename).
void pointAt(const store::Store& store, const std::string& key, const fs::path& link) {
    const fs::path temporary =
        detail::temporaryPath(store, key, link.filename().string() + "~link");
    std::error_code ignored;
    fs::remove(temporary, ignored);
    fs::create_symlink(key + ".json", temporary);
    fs::rename(temporary, link);
}

// The key a newest-result link points at, if it is one.
std::optional<std::string> linkedKey(const fs::path& link) {
    std::error_code error;
    const fs::path target = fs::read_symlink(link, error);
    if (error || target.extension() != ".json" || target.has_parent_path()) return std::nullopt;
    return target.stem().string();
}

} // namespace

OutputIndex::OutputIndex(const store::Store& store) : store_(store) {}

std::vector<OutputInfo> OutputIndex::outputPaths(const recipe::BuildPlan& plan,
                                                 const std::string& key) const {
    std::vector<OutputInfo> outputs;
    for (const auto& output : plan.outputs) {
        outputs.push_back({output, store_.pathOf(store::outputId(key, outputName(plan, output)))});
    }
    return outputs;
}

std::optional<BuildResult> OutputIndex::result(const std::string& key) const {
    return detail::readRecord(store_, key);
}

std::optional<BuildResult> OutputIndex::newest(const std::string& planKey) const {
    const auto key = linkedKey(newestLink(store_, "plan", planKey));
    return key ? result(*key) : std::nullopt;
}

std::optional<BuildResult> OutputIndex::newestOfPackage(const std::string& planName) const {
    const auto key = linkedKey(newestLink(store_, "package", planName));
    return key ? result(*key) : std::nullopt;
}

bool OutputIndex::outputsPresent(const BuildResult& result) const {
    return detail::outputsPresent(store_, result);
}

fs::path OutputIndex::logPath(const std::string& key) const {
    return detail::logPath(store_, key);
}

fs::path OutputIndex::latestLogPath(const std::string& planName) const {
    return builder::latestLogPath(store_, planName);
}

fs::path OutputIndex::startLog(const std::string& key, const std::string& planName) const {
    fs::path log = logPath(key);
    fs::create_directories(log.parent_path());
    std::ofstream(log, std::ios::trunc)
        << "xenbuild: building " << planName << " (key " << key << ")\n";
    detail::linkLatestLog(store_, key, planName, log);
    return log;
}

void OutputIndex::record(const BuildResult& result, const std::string& planKey) const {
    detail::writeRecord(store_, result);
    markNewest(result, planKey);
}

void OutputIndex::markNewest(const BuildResult& result, const std::string& planKey) const {
    pointAt(store_, result.key, newestLink(store_, "plan", planKey));
    pointAt(store_, result.key, newestLink(store_, "package", result.plan));
}

} // namespace xenbuild::builder
