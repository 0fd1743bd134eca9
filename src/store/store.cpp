// Store layout, lookup and atomic addition of entries.

#include "xenbuild/store/store.hpp"

#include "store/fsutil.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/log.hpp"
#include "xenbuild/util/xdg.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <sys/statvfs.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::store {

namespace {

constexpr std::size_t idHashLength = 32;

bool isEntryId(const std::string& name) {
    return name.size() > idHashLength + 1 && name[idHashLength] == '-' && name[0] != '.';
}

std::optional<EntryKind> parseKind(const std::string& text) {
    if (text == "tree") return EntryKind::Tree;
    if (text == "file") return EntryKind::File;
    return std::nullopt;
}

// Removes the temporaries of one add() when it fails or finishes.
class TempGuard {
  public:
    explicit TempGuard(std::vector<fs::path> paths) : paths_(std::move(paths)) {}
    ~TempGuard() {
        for (const auto& path : paths_) {
            try {
                util::removeReadOnly(path);
            } catch (const std::exception& e) {
                util::logger()->warn("{}", e.what());
            }
        }
    }
    TempGuard(const TempGuard&) = delete;
    TempGuard& operator=(const TempGuard&) = delete;

  private:
    std::vector<fs::path> paths_;
};

bool isEmptyDirectory(const fs::path& path) {
    return fs::is_directory(fs::symlink_status(path)) && fs::is_empty(path);
}

} // namespace

namespace detail {

nlohmann::json metaJson(const EntryInfo& info) {
    nlohmann::json json = {{"kind", toString(info.kind)},
                           {"name", info.name},
                           {"hash", info.hash.sri()},
                           {"url", info.url},
                           {"rev", info.rev},
                           {"time", info.time}};
    if (!info.buildKey.empty()) json["buildKey"] = info.buildKey;
    if (info.fingerprint) {
        json["fingerprint"] = {{"files", info.fingerprint->files},
                               {"bytes", info.fingerprint->bytes},
                               {"newest", info.fingerprint->newest},
                               {"digest", info.fingerprint->digest}};
    }
    return json;
}

EntryInfo fromMetaJson(const nlohmann::json& json) {
    EntryInfo info;
    info.kind = parseKind(json.at("kind").get<std::string>()).value_or(EntryKind::Tree);
    info.name = json.at("name").get<std::string>();
    info.hash = util::Hash::parse(json.at("hash").get<std::string>());
    info.url = json.value("url", "");
    info.rev = json.value("rev", "");
    info.time = json.value("time", std::int64_t{0});
    info.buildKey = json.value("buildKey", "");
    if (const auto found = json.find("fingerprint"); found != json.end()) {
        info.fingerprint = Fingerprint{.files = found->at("files").get<std::uint64_t>(),
                                       .bytes = found->at("bytes").get<std::uint64_t>(),
                                       .newest = found->at("newest").get<std::int64_t>(),
                                       .digest = found->at("digest").get<std::string>()};
    }
    return info;
}

} // namespace detail

std::string toString(EntryKind kind) {
    return kind == EntryKind::Tree ? "tree" : "file";
}

fs::path defaultStoreDir() {
    if (const char* env = std::getenv("XENBUILD_STORE"); env != nullptr && *env != '\0') {
        return env;
    }
    const fs::path cache = util::xdgCacheHome();
    if (cache.empty()) {
        throw StoreError("cannot find a store directory: HOME is not set; pass " +
                         mention(Setting::StoreDirectory) + " DIR or set XENBUILD_STORE");
    }
    return cache / "xenbuild";
}

std::string sanitiseName(const std::string& name) {
    std::string out;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == '_' ||
                        c == '=';
        out += ok ? c : '_';
    }
    if (out.empty()) out = "source";
    if (out[0] == '.') out[0] = '_';
    return out;
}

std::string entryId(EntryKind kind, const util::Hash& hash, const std::string& name) {
    const std::string clean = sanitiseName(name);
    const auto fingerprint = util::sha256(toString(kind) + ":sha256:" + hash.hex() + ":" + clean);
    return fingerprint.nix32().substr(0, idHashLength) + "-" + clean;
}

Store Store::open(const fs::path& dir, StoreOptions options) {
    if (dir.empty()) throw StoreError("no store directory given");
    std::error_code error;
    const fs::path root = fs::absolute(dir, error).lexically_normal();
    for (const char* sub : {".meta", ".locks", ".tmp", "gcroots", "roots/plans", "git"}) {
        fs::create_directories(root / sub, error);
        if (error) {
            throw StoreError("cannot create store directory " + quote((root / sub).string()) +
                             ": " + error.message());
        }
    }
    Store store(root, options);
    store.sweepTemporaries();
    return store;
}

fs::path Store::gitCacheDir(const std::string& url) const {
    return dir_ / "git" / (util::sha256(url).nix32().substr(0, idHashLength) + ".git");
}

fs::path Store::lockPath(const std::string& key) const {
    return dir_ / ".locks" / (sanitiseName(key) + ".lock");
}

void Store::sweepTemporaries() {
    std::error_code error;
    for (const auto& item : fs::directory_iterator(dir_ / ".tmp", error)) {
        const std::string name = item.path().filename().string();
        const std::string key = name.substr(0, name.find('~'));
        auto lock = FileLock::tryAcquire(lockPath(key));
        if (!lock) continue; // its owner is alive
        util::logger()->info("removing leftover temporary {}", item.path().string());
        util::removeReadOnly(item.path());
    }
    // Metadata without an entry (killed between the two renames) and metadata temporaries.
    for (const auto& item : fs::directory_iterator(dir_ / ".meta", error)) {
        const std::string name = item.path().filename().string();
        const std::string id = name.substr(0, name.find(".json"));
        const bool temporary = name.find(".tmp~") != std::string::npos;
        if (!temporary && fs::exists(fs::symlink_status(pathOf(id)))) continue;
        auto lock = FileLock::tryAcquire(lockPath(id));
        if (lock && (temporary || !fs::exists(fs::symlink_status(pathOf(id))))) {
            fs::remove(item.path(), error);
        }
    }
}

std::optional<EntryInfo> Store::readMeta(const std::string& id) const {
    const fs::path path = dir_ / ".meta" / (id + ".json");
    std::error_code error;
    if (!fs::exists(path, error)) return std::nullopt;
    try {
        return detail::fromMetaJson(nlohmann::json::parse(util::readFile(path)));
    } catch (const std::exception& e) {
        util::logger()->warn("unreadable metadata {}: {}", path.string(), e.what());
        return std::nullopt;
    }
}

void Store::writeMeta(const std::string& id, const EntryInfo& info) {
    util::writeFileAtomic(dir_ / ".meta" / (id + ".json"), detail::metaJson(info).dump(2) + "\n");
}

std::optional<Entry> Store::lookupId(const std::string& id) const {
    const fs::path path = pathOf(id);
    std::error_code error;
    if (!isEntryId(id) || !fs::exists(fs::symlink_status(path, error))) return std::nullopt;
    Entry entry{id, path, {}};
    if (auto info = readMeta(id)) {
        entry.info = *info;
    } else {
        entry.info.name = id.substr(idHashLength + 1);
        entry.info.kind = fs::is_directory(path) ? EntryKind::Tree : EntryKind::File;
    }
    return entry;
}

std::vector<Entry> Store::list() const {
    std::vector<Entry> entries;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(dir_, error)) {
        if (auto entry = lookupId(item.path().filename().string())) entries.push_back(*entry);
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.info.name != b.info.name ? a.info.name < b.info.name : a.id < b.id;
    });
    return entries;
}

Entry Store::add(const AddRequest& request, const Producer& producer) {
    auto gcLock = FileLock::acquire(lockPath("gc"), FileLock::Mode::Shared, "store gc or repair");
    const std::string key =
        request.expected ? entryId(request.kind, *request.expected, request.name) : request.lockKey;
    if (key.empty()) throw StoreError("internal: add() without expected hash or lock key");
    auto lock = FileLock::acquire(lockPath(key), FileLock::Mode::Exclusive, request.what);
    if (request.expected) {
        if (auto existing = lookupId(key)) {
            existing->info.kind = request.kind;
            checkForUse(*existing, request.expected);
            return *existing;
        }
    }
    const std::string base = sanitiseName(key) + "~" + std::to_string(::getpid());
    const fs::path dest = dir_ / ".tmp" / (base + "~new");
    const fs::path scratch = dir_ / ".tmp" / (base + "~scratch");
    util::removeReadOnly(dest);
    util::removeReadOnly(scratch);
    TempGuard guard({dest, scratch});
    try {
        fs::create_directories(scratch);
        const std::string rev = producer(dest, scratch);
        util::removeReadOnly(scratch);
        return commit(request, dest, rev.empty() ? request.rev : rev);
    } catch (const HashMismatch&) {
        throw;
    } catch (const std::exception& e) {
        // Checked before the guard frees the temporaries: a full disk is still full here.
        if (auto full = noSpaceMessage(e.what())) {
            throw StoreError(
                "no space left on device for the store " + quote(dir_.string()) +
                " while fetching " + request.what + " from " + quote(request.url) + " (" + *full +
                "); nothing was added. Free space (e.g. `xenbuild "
                "store gc`) or use a store on a larger file system (" +
                mention(Setting::StoreDirectory) + " DIR), then run the command again");
        }
        throw;
    }
}

std::optional<std::string> Store::noSpaceMessage(const std::string& error) const {
    struct statvfs st {};
    const bool statOk = ::statvfs(dir_.c_str(), &st) == 0;
    const auto freeBytes = statOk ? static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize : 0;
    const bool saysFull = error.find(std::strerror(ENOSPC)) != std::string::npos;
    if (saysFull) return error;
    if (!statOk || freeBytes >= 1024 * 1024) return std::nullopt;
    return error + "; only " + std::to_string(freeBytes / 1024) + " KiB free";
}

Entry Store::commit(const AddRequest& request, const fs::path& dest, const std::string& rev) {
    std::error_code error;
    const auto status = fs::symlink_status(dest, error);
    const bool isTree = request.kind == EntryKind::Tree;
    if (isTree ? !fs::is_directory(status) : !fs::is_regular_file(status)) {
        throw StoreError("internal: fetching " + request.what + " produced no " +
                         (isTree ? "directory" : "file"));
    }
    if (isTree && !request.allowEmpty && isEmptyDirectory(dest)) {
        throw FetchError("fetching " + request.what + " from " + quote(request.url) +
                         " produced an empty tree; check the URL and revision");
    }
    const auto started = std::chrono::steady_clock::now();
    detail::makeReadOnly(dest);
    const util::Hash actual = isTree ? narHash(dest) : util::sha256File(dest);
    util::logger()->debug("hashed {} in {} ms", request.what,
                          std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count());
    if (request.expected && actual != *request.expected) {
        throw HashMismatch("hash mismatch for " + request.what + " from " + quote(request.url) +
                           (rev.empty() ? "" : " at rev " + quote(rev)) + ":\n  expected: " +
                           request.expected->sri() + "\n  actual:   " + actual.sri());
    }
    const std::string id = entryId(request.kind, actual, request.name);
    std::optional<FileLock> idLock; // add() holds the id's lock already when the hash was known
    if (!request.expected) idLock.emplace(FileLock::acquire(lockPath(id)));
    if (auto existing = lookupId(id)) {
        existing->info.kind = request.kind;
        checkForUse(*existing, actual);
        return *existing;
    }
    const EntryInfo info{.kind = request.kind,
                         .name = request.name,
                         .hash = actual,
                         .url = request.url,
                         .rev = rev,
                         .time = static_cast<std::int64_t>(std::time(nullptr)),
                         .fingerprint = fingerprintOf(dest)};
    if (options_.durable) detail::syncFileSystem(dest);
    writeMeta(id, info);
    if (::rename(dest.c_str(), pathOf(id).c_str()) != 0) {
        throwSystemError("cannot move new entry into place", pathOf(id).string());
    }
    if (options_.durable) detail::syncDirectory(dir_);
    return Entry{id, pathOf(id), info};
}

} // namespace xenbuild::store
