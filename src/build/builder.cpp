#include "xenbuild/build/builder.hpp"

#include "checks.hpp"
#include "install_layout.hpp"
#include "record.hpp"
#include "stage.hpp"
#include "xenbuild/build/pe.hpp"
#include "xenbuild/fetch/prefetch.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/store/plan_paths.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/log.hpp"

#include <thread>

namespace fs = std::filesystem;

namespace xenbuild::build {

using Event = util::ProgressEvent;

std::string detail::outputName(const recipe::BuildPlan& plan, const std::string& output) {
    const std::string base = plan.pname + "-" + plan.version;
    return output == "out" ? base : base + "-" + output;
}

namespace {

unsigned defaultCores() {
    const unsigned found = std::thread::hardware_concurrency();
    return found == 0 ? 1 : found;
}

// The build's lock, held from before the cache check and staging until the outputs are
// committed and recorded: a second process building the same key waits here (and says so),
// then finds the record and reuses the outputs.
store::FileLock lockBuild(store::Store& store, const std::string& planName, const std::string& key,
                          util::ProgressObserver& observer) {
    const fs::path path = store.lockPath("build-" + key);
    if (auto lock = store::FileLock::tryAcquire(path)) return std::move(*lock);
    observer.onEvent({Event::Kind::Message, "build " + planName,
                      "waiting for another process building it (lock " + path.string() + ")", 0, 0,
                      ""});
    return store::FileLock::acquire(path);
}

} // namespace

Builder::Builder(store::Store& store, sandbox::Sandbox& sandbox, BuildOptions options,
                 util::ProgressObserver& observer)
    : store_(store), sandbox_(sandbox), options_(std::move(options)), observer_(observer),
      toolchain_(identifyToolchain()) {
    for (const auto& [name, dir] : options_.sourceOverrides) {
        if (!fs::is_directory(dir)) {
            throw UsageError(mention(Setting::SourceOverride) + " " + name + "=" +
                             quote(dir.string()) + ": not a directory");
        }
        overrideHashes_[name] = store::narHash(dir);
    }
    if (options_.cores == 0) options_.cores = defaultCores();
}

std::string Builder::buildKey(const recipe::BuildPlan& plan) const {
    util::Sha256 hasher;
    // The store directory is part of the key: outputs embed their own store paths (configure
    // prefixes), so the same plan built for another store is a different output.
    hasher.update("xenbuild-build-v1\nstore=" + store_.dir().string() +
                  "\nplan=" + plan.hash.sri() + "\ntoolchain=" + toolchain_.hash.sri() + "\n");
    for (const auto& [name, hash] : overrideHashes_) {
        hasher.update("override " + name + "=" + hash.sri() + "\n");
    }
    if (options_.skipInapplicablePatches) hasher.update("skip-inapplicable-patches\n");
    for (const auto& id : options_.excludedPatches)
        hasher.update("exclude-patch " + id + "\n");
    return hasher.finish().nix32();
}

std::vector<OutputInfo> Builder::outputPaths(const recipe::BuildPlan& plan) const {
    const std::string key = buildKey(plan);
    std::vector<OutputInfo> outputs;
    for (const auto& output : plan.outputs) {
        outputs.push_back(
            {output, store_.pathOf(store::outputId(key, detail::outputName(plan, output)))});
    }
    return outputs;
}

recipe::BuildPlan Builder::effectivePlan(const recipe::BuildPlan& plan) const {
    recipe::BuildPlan effective = plan;
    for (const auto& id : options_.excludedPatches) {
        if (id == "all") {
            std::erase_if(effective.patches, [](const recipe::PatchRef& p) { return !p.local; });
            continue;
        }
        const auto before = effective.patches.size();
        std::erase_if(effective.patches, [&](const recipe::PatchRef& p) { return p.id == id; });
        if (effective.patches.size() == before) {
            std::string known;
            for (const auto& p : plan.patches)
                known += (known.empty() ? "" : ", ") + p.id;
            throw UsageError(
                mention(Setting::ExcludedPatch) + " " + quote(id) + ": " + quote(plan.name) +
                " has no such patch (its patches: " + (known.empty() ? "none" : known) + ")");
        }
    }
    return effective;
}

BuildResult Builder::build(const recipe::BuildPlan& requested) {
    const recipe::BuildPlan plan = effectivePlan(requested);
    const std::string key = buildKey(plan);
    return withContext("while building " + quote(plan.name), [&] {
        auto lock = lockBuild(store_, plan.name, key, observer_);
        protectFromGc(plan);
        if (auto cached = detail::readRecord(store_, key); cached && !options_.rebuild) {
            if (detail::outputsPresent(store_, *cached)) {
                cached->cached = true;
                observer_.onEvent(
                    {Event::Kind::Finished, "build " + plan.name, "cached", 0, 0, ""});
                return *cached;
            }
        }
        return runBuild(plan, key);
    });
}

void Builder::protectFromGc(const recipe::BuildPlan& plan) {
    std::vector<std::string> ids;
    for (const auto& entry : store::planEntries(plan, store_))
        ids.push_back(entry.id);
    for (const auto& output : outputPaths(plan))
        ids.push_back(output.path.filename().string());
    std::lock_guard guard(tempRootsMutex_);
    if (!tempRoots_) tempRoots_ = std::make_unique<store::TempRoots>(store_);
    tempRoots_->add(ids);
}

std::optional<BuildResult> Builder::lastResult(const recipe::BuildPlan& plan) const {
    return detail::readRecord(store_, buildKey(plan));
}

} // namespace xenbuild::build

namespace xenbuild::build {

void linkResults(const BuildResult& result, const fs::path& base, store::Store& store) {
    for (const auto& output : result.outputs) {
        const fs::path link =
            output.name == "out" ? base : fs::path(base.string() + "-" + output.name);
        const fs::path temporary = link.string() + ".xenbuild-tmp";
        std::error_code ignored;
        fs::remove(temporary, ignored);
        fs::create_symlink(output.path, temporary);
        fs::rename(temporary, link); // replaces an older link atomically
        store.addRoot(util::sha256(fs::absolute(link).string()).nix32().substr(0, 16) + "-" +
                          link.filename().string(),
                      fs::absolute(link));
    }
}

} // namespace xenbuild::build
