// Store integrity: fingerprints recorded at commit, the check of every entry a fetch or build
// uses, the full check of `store verify`, and `store repair`.

#include "store/fsutil.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/log.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <set>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::store {

struct Store::Checked {
    std::mutex mutex;
    std::set<std::string> ids;

    bool contains(const std::string& id) {
        std::lock_guard lock(mutex);
        return ids.count(id) != 0;
    }
    void insert(const std::string& id) {
        std::lock_guard lock(mutex);
        ids.insert(id);
    }
    void erase(const std::string& id) {
        std::lock_guard lock(mutex);
        ids.erase(id);
    }
};

Store::Store(fs::path dir, StoreOptions options)
    : dir_(std::move(dir)), options_(options), checked_(std::make_shared<Checked>()) {}

namespace {

std::int64_t nanoseconds(const struct timespec& time) {
    return static_cast<std::int64_t>(time.tv_sec) * 1000000000 + time.tv_nsec;
}

// Appends the lstat data of `path` (and of everything below it) to the fingerprint.
void addNode(const fs::path& path, const std::string& relative, bool root, util::Sha256& digest,
             Fingerprint& fingerprint) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throwSystemError("cannot inspect", path.string());
    ++fingerprint.files;
    if (S_ISREG(st.st_mode)) fingerprint.bytes += static_cast<std::uint64_t>(st.st_size);
    fingerprint.newest = std::max(fingerprint.newest, nanoseconds(st.st_mtim));
    const std::string record = relative + '\0' + std::to_string(st.st_mode) + ' ' +
                               std::to_string(st.st_size) + ' ' +
                               std::to_string(nanoseconds(st.st_mtim)) + ' ' +
                               (root ? "-" : std::to_string(nanoseconds(st.st_ctim))) + ' ' +
                               std::to_string(st.st_ino) + '\n';
    digest.update(record);
    if (!S_ISDIR(st.st_mode)) return;
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& child : fs::directory_iterator(path, error))
        names.push_back(child.path().filename().string());
    if (error) {
        throw SystemError("cannot list " + quote(path.string()) + ": " + error.message());
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        addNode(path / name, relative.empty() ? name : relative + "/" + name, false, digest,
                fingerprint);
    }
}

std::string fileType(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return "missing";
    if (S_ISDIR(st.st_mode)) return "a directory";
    if (S_ISREG(st.st_mode)) return "a regular file";
    if (S_ISLNK(st.st_mode)) return "a symbolic link";
    return "a special file";
}

// "it is a directory, expected a regular file" when the entry's root has the wrong type.
std::optional<std::string> typeProblem(const Entry& entry) {
    const std::string type = fileType(entry.path);
    const char* expected = entry.info.kind == EntryKind::Tree ? "a directory" : "a regular file";
    if (type == expected) return std::nullopt;
    return "it is " + type + ", expected " + expected;
}

util::Hash contentHash(const Entry& entry) {
    return entry.info.kind == EntryKind::Tree ? narHash(entry.path) : util::sha256File(entry.path);
}

std::string utcTime(std::int64_t nanos) {
    const auto seconds = static_cast<std::time_t>(nanos / 1000000000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%03d UTC",
                  static_cast<int>((nanos % 1000000000) / 1000000));
    return std::string(text) + fraction;
}

std::string plural(std::uint64_t count, const char* what) {
    return std::to_string(count) + " " + what + (count == 1 ? "" : "s");
}

// What differs between the fingerprint recorded at commit and the current one.
std::string describeChange(const Fingerprint& recorded, const Fingerprint& now) {
    if (recorded.files != now.files || recorded.bytes != now.bytes) {
        return plural(now.files, "file") + " and " + plural(now.bytes, "byte") + " now, " +
               plural(recorded.files, "file") + " and " + plural(recorded.bytes, "byte") +
               " when it was added";
    }
    if (recorded.newest != now.newest) {
        return "a file was modified at " + utcTime(now.newest) + " (the newest file was from " +
               utcTime(recorded.newest) + " when it was added)";
    }
    if (recorded.digest != now.digest) {
        return "file names, modes, inode numbers or change times differ from when it was added";
    }
    return "sizes and times are unchanged, but the data on disk changed";
}

} // namespace

Fingerprint fingerprintOf(const fs::path& path) {
    Fingerprint fingerprint;
    util::Sha256 digest;
    addNode(path, "", true, digest, fingerprint);
    fingerprint.digest = digest.finish().hex();
    return fingerprint;
}

namespace detail {

std::string verifyEntry(const Entry& entry) {
    if (entry.info.hash == util::Hash{}) return "metadata missing or unreadable";
    const std::string expectedId = entry.info.buildKey.empty()
                                       ? entryId(entry.info.kind, entry.info.hash, entry.info.name)
                                       : outputId(entry.info.buildKey, entry.info.name);
    if (expectedId != entry.id) {
        return "metadata does not match the entry name";
    }
    if (auto problem = typeProblem(entry)) return *problem;
    try {
        const auto actual = contentHash(entry);
        if (actual != entry.info.hash) {
            return "content changed: expected " + entry.info.hash.sri() + ", actual " +
                   actual.sri();
        }
    } catch (const Error& e) {
        return std::string("cannot be read: ") + e.what();
    }
    return {};
}

} // namespace detail

void Store::checkForUse(Entry& entry, const std::optional<util::Hash>& expected) const {
    if (checked_->contains(entry.id)) return;
    auto refuse = [&](const std::string& problem) {
        throw StoreError("store entry " + quote(entry.path.string()) + " is corrupt: " + problem +
                         "; it was not used. Run `xenbuild store repair " + entry.path.string() +
                         "` to remove it, and the next prefetch or build makes it again");
    };
    const bool missingMeta = entry.info.hash == util::Hash{};
    if (missingMeta) {
        if (!expected) refuse("its metadata (" + (dir_ / ".meta").string() + ") is missing");
        entry.info.hash = *expected;
    }
    const std::string expectedId = entry.info.buildKey.empty()
                                       ? entryId(entry.info.kind, entry.info.hash, entry.info.name)
                                       : outputId(entry.info.buildKey, entry.info.name);
    if (expectedId != entry.id) refuse("its metadata does not match its name");

    std::optional<Fingerprint> now;
    try {
        now = fingerprintOf(entry.path);
    } catch (const Error& e) {
        refuse(std::string("it cannot be read: ") + e.what());
    }
    const bool fingerprintMatches = entry.info.fingerprint && *entry.info.fingerprint == *now;
    if (fingerprintMatches && !options_.checkContent) {
        checked_->insert(entry.id);
        return;
    }
    if (auto problem = typeProblem(entry)) refuse(*problem);
    util::Hash actual;
    try {
        actual = contentHash(entry);
    } catch (const Error& e) {
        refuse(std::string("it cannot be read: ") + e.what());
    }
    if (actual != entry.info.hash) {
        const std::string change = entry.info.fingerprint
                                       ? describeChange(*entry.info.fingerprint, *now)
                                       : "no fingerprint was recorded";
        refuse(change + "; content hash " + actual.sri() + ", expected " + entry.info.hash.sri());
    }
    if (!fingerprintMatches) {
        // Intact content under new times or inodes (a copied store, a touched file), or an entry
        // from an older version: record the fingerprint so the next use is cheap again.
        util::logger()->info("store entry {} is intact; recording its fingerprint again",
                             entry.path.string());
        entry.info.fingerprint = now;
        if (missingMeta) entry.info.time = static_cast<std::int64_t>(std::time(nullptr));
        try {
            util::writeFileAtomic(dir_ / ".meta" / (entry.id + ".json"),
                                  detail::metaJson(entry.info).dump(2) + "\n");
        } catch (const Error& e) {
            util::logger()->warn("cannot record the fingerprint of {}: {}", entry.path.string(),
                                 e.what());
        }
    }
    checked_->insert(entry.id);
}

std::optional<Entry> Store::lookup(EntryKind kind, const util::Hash& hash,
                                   const std::string& name) const {
    auto entry = lookupId(entryId(kind, hash, name));
    if (entry) {
        entry->info.kind = kind;
        checkForUse(*entry, hash);
    }
    return entry;
}

std::optional<Entry> Store::lookupChecked(const std::string& id) const {
    auto entry = lookupId(id);
    if (entry) checkForUse(*entry, std::nullopt);
    return entry;
}

std::vector<VerifyIssue> Store::verify(util::ProgressObserver& observer) const {
    const auto entries = list();
    std::vector<VerifyIssue> issues;
    std::uint64_t done = 0;
    for (const auto& entry : entries) {
        observer.onEvent({util::ProgressEvent::Kind::Progress, "store verify", entry.id, done,
                          entries.size(), "entries"});
        if (auto problem = detail::verifyEntry(entry); !problem.empty()) {
            issues.push_back({entry, problem});
        }
        ++done;
    }
    return issues;
}

void Store::removeEntry(const Entry& entry, const std::string& why) {
    // Rename first so the entry disappears atomically, then delete at leisure.
    const fs::path doomed =
        dir_ / ".tmp" / (entry.id + "~" + why + "~" + std::to_string(::getpid()));
    if (::rename(entry.path.c_str(), doomed.c_str()) != 0) {
        throwSystemError("cannot remove store entry", entry.path.string());
    }
    std::error_code error;
    fs::remove(dir_ / ".meta" / (entry.id + ".json"), error);
    checked_->erase(entry.id);
    util::removeReadOnly(doomed);
}

std::vector<RepairOutcome> Store::repair(const std::vector<std::string>& ids,
                                         util::ProgressObserver& observer) {
    auto gcLock =
        FileLock::acquire(lockPath("gc"), FileLock::Mode::Exclusive, "fetches in progress");
    std::vector<Entry> entries;
    if (ids.empty()) {
        entries = list();
    } else {
        for (const auto& id : ids) {
            auto entry = lookupId(id);
            if (!entry)
                throw StoreError("no entry " + quote(id) + " in the store " + quote(dir_.string()));
            entries.push_back(*entry);
        }
    }
    std::vector<RepairOutcome> outcomes;
    std::uint64_t done = 0;
    for (auto& entry : entries) {
        observer.onEvent({util::ProgressEvent::Kind::Progress, "store repair", entry.id, done++,
                          entries.size(), "entries"});
        auto lock = FileLock::acquire(lockPath(entry.id));
        RepairOutcome outcome{.entry = entry, .problem = detail::verifyEntry(entry)};
        if (!outcome.problem.empty()) {
            removeEntry(entry, "repair");
            outcome.removed = true;
        } else {
            const auto now = fingerprintOf(entry.path);
            if (!entry.info.fingerprint || *entry.info.fingerprint != now) {
                entry.info.fingerprint = now;
                writeMeta(entry.id, entry.info);
                outcome.refreshed = true;
            }
            checked_->insert(entry.id);
        }
        outcomes.push_back(std::move(outcome));
    }
    return outcomes;
}

} // namespace xenbuild::store
