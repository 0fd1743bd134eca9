#include "xenbuild/store/outputs.hpp"

#include "store/fsutil.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace fs = std::filesystem;

namespace xenbuild::store {

std::string outputId(const std::string& buildKey, const std::string& name) {
    const auto fingerprint = util::sha256("output:" + buildKey + ":" + sanitiseName(name));
    return fingerprint.nix32().substr(0, 32) + "-" + sanitiseName(name);
}

Entry commitOutput(Store& store, const std::string& id, const fs::path& staged,
                   const std::string& name, const std::string& buildKey) {
    if (!fs::is_directory(staged)) {
        throw StoreError("internal: output " + quote(id) + " was not staged at " +
                         quote(staged.string()));
    }
    detail::makeReadOnly(staged);
    EntryInfo info;
    info.kind = EntryKind::Tree;
    info.name = name;
    info.hash = narHash(staged);
    info.time = static_cast<std::int64_t>(std::time(nullptr));
    info.buildKey = buildKey;
    detail::syncFileSystem(staged);
    const nlohmann::json meta = {{"kind", toString(info.kind)},
                                 {"name", info.name},
                                 {"hash", info.hash.sri()},
                                 {"buildKey", buildKey},
                                 {"url", ""},
                                 {"rev", ""},
                                 {"time", info.time}};
    detail::writeFileAtomic(store.dir() / ".meta" / (id + ".json"), meta.dump(2) + "\n");
    if (std::rename(staged.c_str(), store.pathOf(id).c_str()) != 0) {
        throwSystemError("cannot move build output into place", store.pathOf(id).string());
    }
    detail::syncDirectory(store.dir());
    return Entry{id, store.pathOf(id), info};
}

} // namespace xenbuild::store
