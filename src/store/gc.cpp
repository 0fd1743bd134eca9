// Store maintenance: verification, gc roots and garbage collection.

#include "store/fsutil.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/store/temp_roots.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/log.hpp"

#include <nlohmann/json.hpp>

#include <set>

#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::store {

namespace {

// The entry id a path points into, if it lies inside the store.
std::optional<std::string> entryIdOf(const fs::path& store, const fs::path& target) {
    std::error_code error;
    const fs::path resolved = fs::canonical(target, error);
    if (error) return std::nullopt;
    const fs::path root = fs::canonical(store, error);
    const fs::path relative = resolved.lexically_relative(root);
    if (error || relative.empty() || *relative.begin() == "..") return std::nullopt;
    return relative.begin()->string();
}

// A root being written (`<name>.tmp~<pid>`); one left by a killed process is removed by gc.
bool isWriteTemporary(const fs::path& path) {
    return path.filename().string().find(".tmp~") != std::string::npos;
}

// Removes root temporaries of killed writers. The caller holds gc.lock exclusively, so no
// writer (they hold it shared) is active.
void removeWriteTemporaries(const fs::path& dir) {
    std::error_code error;
    std::vector<fs::path> leftovers;
    for (const auto& item : fs::directory_iterator(dir, error)) {
        if (isWriteTemporary(item.path())) leftovers.push_back(item.path());
    }
    for (const auto& path : leftovers)
        fs::remove(path, error);
}

} // namespace

void Store::addRoot(const std::string& name, const fs::path& target) {
    // Shared with other writers, exclusive with gc: a gc sees the root or ran before it existed.
    auto gcLock = FileLock::acquire(lockPath("gc"), FileLock::Mode::Shared);
    const fs::path link = dir_ / "gcroots" / sanitiseName(name);
    const fs::path temp = link.string() + ".tmp~" + std::to_string(::getpid());
    std::error_code error;
    fs::remove(temp, error);
    fs::create_symlink(fs::absolute(target), temp, error);
    if (error) {
        throw StoreError("cannot create gc root " + quote(link.string()) + ": " + error.message());
    }
    fs::rename(temp, link, error);
    if (error)
        throw StoreError("cannot create gc root " + quote(link.string()) + ": " + error.message());
}

void Store::addPlanRoot(const std::string& key, const std::string& planName,
                        const std::vector<std::string>& ids) {
    auto gcLock = FileLock::acquire(lockPath("gc"), FileLock::Mode::Shared);
    const nlohmann::json json = {{"plan", planName}, {"entries", ids}};
    util::writeFileAtomic(dir_ / "roots" / "plans" / (sanitiseName(key) + ".json"),
                          json.dump(2) + "\n");
}

std::vector<std::string> Store::liveRoots(std::chrono::seconds planRootAge) const {
    std::vector<std::string> live = liveTempRoots(dir_); // entries of running builds
    std::error_code error;
    for (const auto& link : fs::directory_iterator(dir_ / "gcroots", error)) {
        if (isWriteTemporary(link.path())) continue;
        if (auto id = entryIdOf(dir_, link.path())) live.push_back(*id);
    }
    const auto now = fs::file_time_type::clock::now();
    for (const auto& file : fs::directory_iterator(dir_ / "roots" / "plans", error)) {
        if (isWriteTemporary(file.path())) continue;
        if (now - fs::last_write_time(file.path(), error) > planRootAge) continue;
        try {
            const auto json = nlohmann::json::parse(util::readFile(file.path()));
            for (const auto& id : json.at("entries"))
                live.push_back(id.get<std::string>());
        } catch (const std::exception& e) {
            util::logger()->warn("ignoring unreadable plan root {}: {}", file.path().string(),
                                 e.what());
        }
    }
    return live;
}

GcResult Store::gc(const GcOptions& options) {
    auto gcLock =
        FileLock::acquire(lockPath("gc"), FileLock::Mode::Exclusive, "fetches in progress");
    const auto roots = liveRoots(options.planRootAge);
    const std::set<std::string> live(roots.begin(), roots.end());
    GcResult result;
    for (auto& entry : list()) {
        if (live.count(entry.id) != 0) {
            result.kept.push_back(std::move(entry));
            continue;
        }
        result.bytes += detail::diskUsage(entry.path);
        if (!options.dryRun) removeEntry(entry, "gc");
        result.removed.push_back(std::move(entry));
    }
    if (!options.dryRun) {
        sweepTemporaries();
        removeWriteTemporaries(dir_ / "gcroots");
        removeWriteTemporaries(dir_ / "roots" / "plans");
    }
    return result;
}

} // namespace xenbuild::store
