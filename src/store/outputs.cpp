#include "xenbuild/store/outputs.hpp"

#include "store/fsutil.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fault_point.hpp"
#include "xenbuild/util/file.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace fs = std::filesystem;

namespace xenbuild::store {

std::string outputId(const std::string& buildKey, const std::string& name) {
    const auto fingerprint = util::sha256("output:" + buildKey + ":" + sanitiseName(name));
    return fingerprint.nix32().substr(0, 32) + "-" + sanitiseName(name);
}

std::vector<Entry> commitOutputs(Store& store, const std::vector<OutputCommit>& outputs,
                                 const std::string& buildKey) {
    // Like Store::add: gc.lock shared (gc waits for the commit), and each output's own lock, which
    // Store::open's sweep checks before removing metadata that has no entry yet.
    auto gcLock = FileLock::acquire(store.lockPath("gc"), FileLock::Mode::Shared);
    std::vector<FileLock> locks;
    std::vector<Entry> entries;
    for (const auto& output : outputs) {
        locks.push_back(FileLock::acquire(store.lockPath(output.id)));
        if (!fs::is_directory(output.staged)) {
            throw StoreError("internal: output " + quote(output.id) + " was not staged at " +
                             quote(output.staged.string()));
        }
        detail::makeReadOnly(output.staged);
        EntryInfo info;
        info.kind = EntryKind::Tree;
        info.name = output.name;
        info.hash = narHash(output.staged);
        info.time = static_cast<std::int64_t>(std::time(nullptr));
        info.buildKey = buildKey;
        info.fingerprint = fingerprintOf(output.staged);
        entries.push_back(Entry{output.id, store.pathOf(output.id), info});
    }
    if (!outputs.empty()) detail::syncFileSystem(outputs.front().staged);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        util::writeFileAtomic(store.dir() / ".meta" / (outputs[i].id + ".json"),
                              detail::metaJson(entries[i].info).dump(2) + "\n");
        util::faultPoint("commit:meta:" + entries[i].info.name);
        if (std::rename(outputs[i].staged.c_str(), entries[i].path.c_str()) != 0) {
            throwSystemError("cannot move build output into place", entries[i].path.string());
        }
        util::faultPoint("commit:moved:" + entries[i].info.name);
    }
    detail::syncDirectory(store.dir());
    return entries;
}

} // namespace xenbuild::store
