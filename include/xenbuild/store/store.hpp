#pragma once
// The content-addressed store: a directory of immutable entries named `<hash>-<name>`, where
// <hash> is 32 Nix-base32 characters derived from the entry's kind, content hash and name.
//
//   <store>/<id>                 entries (read-only trees or files)
//   <store>/.meta/<id>.json      metadata: kind, name, hash, url, rev, time, fingerprint
//   <store>/.locks/<key>.lock    per-entry flock locks, plus gc.lock
//   <store>/.tmp/<key>~<pid>~*   temporaries (entries being built); swept when unlocked
//   <store>/gcroots/<name>       symlinks (possibly via result links) to entries: kept by gc
//   <store>/roots/plans/*.json   entries referenced by recently prefetched plans: kept by gc
//   <store>/git/<urlhash>.git    bare repository caches of the git fetcher
//
// An entry appears atomically: it is built in a temporary, hashed, checked against the expected
// hash, flushed to disk and renamed into place while its lock is held, so a killed process never
// leaves a visible partial entry and two processes asking for the same entry do the work once.
//
// Nothing modifies an entry once it is committed, so the sizes, times and inode numbers of its
// files stay as they were: a fingerprint of them is recorded at commit, and an entry is checked
// against it (a few lstat calls, no reading) every time a fetch or a build uses it. A changed
// fingerprint, or StoreOptions::checkContent, makes the check re-hash the content; an entry
// whose content does not match its hash is refused (StoreError naming the entry, what changed
// and `xenbuild store repair`), never used.

#include "xenbuild/util/hash.hpp"
#include "xenbuild/util/progress.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::store {

enum class EntryKind { Tree, File };

std::string toString(EntryKind kind); // "tree" / "file"

// What changes when anything in an entry is modified, cheap to take: the lstat data of every
// file, directory and symlink (sizes, modification and change times, inode numbers, modes,
// names). Only the root's change time is left out: the commit's rename sets it.
struct Fingerprint {
    std::uint64_t files = 0; // files, directories and symlinks, the root included
    std::uint64_t bytes = 0; // total size of the regular files
    std::int64_t newest = 0; // newest modification time, nanoseconds since the epoch
    std::string digest;      // sha256 (hex) over each node's path and lstat data
    friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

// Throws SystemError naming the path when something cannot be inspected.
Fingerprint fingerprintOf(const std::filesystem::path& path);

struct EntryInfo {
    EntryKind kind = EntryKind::Tree;
    std::string name;      // readable name, e.g. "xen" or "xsa460.patch"
    util::Hash hash;       // NAR sha256 (tree) or flat sha256 (file)
    std::string url;       // where it was fetched from (informative)
    std::string rev;       // commit for git sources, empty otherwise
    std::int64_t time = 0; // seconds since the epoch when it was added
    // Build outputs only: the build key their (input-addressed) id derives from. `hash` is
    // still the content's NAR hash, which `store verify` checks.
    std::string buildKey;
    // Recorded at commit; missing for entries added by older versions (recorded on first use).
    std::optional<Fingerprint> fingerprint;
};

struct Entry {
    std::string id;             // "<32 nix32 chars>-<name>"
    std::filesystem::path path; // <store>/<id>
    EntryInfo info;
};

struct AddRequest {
    EntryKind kind = EntryKind::Tree;
    std::string name;
    std::optional<util::Hash> expected; // checked before the entry becomes visible
    std::string url;
    std::string rev;
    // Identifies the work for locking when `expected` is unknown (e.g. "prefetch --url" of a new
    // file); with an expected hash the entry id is the lock key.
    std::string lockKey;
    bool allowEmpty = false; // trees only: an empty directory is refused otherwise
    std::string what;        // for messages: "source 'xen'", "patch 'XSA-460'"
};

// Writes the new entry at `dest` (a directory for trees, a file for files; it does not exist
// yet). `scratch` is an empty directory on the same file system, removed afterwards. Returns
// the resolved revision to record (a tag resolved to its commit), or "" to keep request.rev.
using Producer = std::function<std::string(const std::filesystem::path& dest,
                                           const std::filesystem::path& scratch)>;

struct StoreOptions {
    bool durable = true; // flush the file system before an entry becomes visible
    // Re-hash every entry a fetch or build uses (`--check`), not only those whose fingerprint
    // changed.
    bool checkContent = false;
};

struct VerifyIssue {
    Entry entry;
    std::string problem;
};

struct RepairOutcome {
    Entry entry;
    std::string problem; // empty: the entry is intact and was kept
    bool removed = false;
    bool refreshed = false; // intact, but its fingerprint was recorded again
};

struct GcOptions {
    bool dryRun = false;
    std::chrono::seconds planRootAge = std::chrono::hours(24 * 30);
};

struct GcResult {
    std::vector<Entry> removed; // or that would be removed (dry run)
    std::vector<Entry> kept;
    std::uint64_t bytes = 0; // size of the removed entries
};

// $XENBUILD_STORE, else $XDG_CACHE_HOME/xenbuild, else $HOME/.cache/xenbuild.
std::filesystem::path defaultStoreDir();

// Entry ids from kind, hash and name; names are sanitised to [A-Za-z0-9+-._=].
std::string entryId(EntryKind kind, const util::Hash& hash, const std::string& name);
std::string sanitiseName(const std::string& name);

class Store {
  public:
    // Creates the layout if needed and sweeps temporaries left by killed processes.
    static Store open(const std::filesystem::path& dir, StoreOptions options = {});

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path pathOf(const std::string& id) const { return dir_ / id; }
    std::filesystem::path gitCacheDir(const std::string& url) const;
    std::filesystem::path lockPath(const std::string& key) const;

    // An entry for use: std::nullopt when absent; checked against its fingerprint (fully
    // re-hashed with StoreOptions::checkContent) and StoreError when it is corrupt. An entry
    // whose metadata is missing is re-hashed against `hash` and its metadata written again.
    std::optional<Entry> lookup(EntryKind kind, const util::Hash& hash,
                                const std::string& name) const;
    // The same for an entry known by id (build outputs).
    std::optional<Entry> lookupChecked(const std::string& id) const;
    // Presence only, no check (listing, planning, gc).
    std::optional<Entry> lookupId(const std::string& id) const;

    // Returns the existing entry or builds it with `producer` (at most once across processes).
    // Throws HashMismatch (naming the source, URL, rev, expected and actual hash) or FetchError
    // for an empty tree; nothing is added then.
    Entry add(const AddRequest& request, const Producer& producer);

    std::vector<Entry> list() const;
    std::vector<VerifyIssue> verify(util::ProgressObserver& observer) const;
    // Re-hashes the entries `ids` (every entry when empty): a corrupt one is removed, so the
    // next fetch or build makes it again; an intact one gets its fingerprint recorded again if
    // it changed (the store was copied, a file was touched). Throws StoreError for an id that
    // is not in the store. Holds the gc lock: no entry is added meanwhile.
    std::vector<RepairOutcome> repair(const std::vector<std::string>& ids,
                                      util::ProgressObserver& observer);
    GcResult gc(const GcOptions& options);

    // A gc root: gcroots/<name> -> target (an entry, or a result link pointing at one).
    void addRoot(const std::string& name, const std::filesystem::path& target);
    // Records that plan `key` references these entries (kept by gc while recent).
    void addPlanRoot(const std::string& key, const std::string& planName,
                     const std::vector<std::string>& ids);

    // Removes temporaries whose owner is gone (called by open()).
    void sweepTemporaries();

  private:
    struct Checked; // ids already checked by this process (shared by copies, thread-safe)

    Store(std::filesystem::path dir, StoreOptions options);

    Entry commit(const AddRequest& request, const std::filesystem::path& dest,
                 const std::string& rev);
    void writeMeta(const std::string& id, const EntryInfo& info);
    std::optional<EntryInfo> readMeta(const std::string& id) const;
    std::vector<std::string> liveRoots(std::chrono::seconds planRootAge) const;
    // Throws StoreError when `entry` fails its check; `expected` stands in for missing metadata.
    void checkForUse(Entry& entry, const std::optional<util::Hash>& expected) const;
    void removeEntry(const Entry& entry, const std::string& why);
    // When `error` (or the free space) says the store's file system is full: what to report.
    std::optional<std::string> noSpaceMessage(const std::string& error) const;

    std::filesystem::path dir_;
    StoreOptions options_;
    std::shared_ptr<Checked> checked_;
};

} // namespace xenbuild::store
