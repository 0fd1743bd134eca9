#pragma once
// libgit2 handles and helpers shared by the git fetcher (git.cpp) and the git cache reader
// (git_cache.cpp). Private to src/fetch: libgit2 types never reach a public header.

#include "fetch/git.hpp"
#include "xenbuild/util/error.hpp"

#include <git2.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace xenbuild::fetch::detail {

template <typename T, void (*Free)(T*)>
struct GitFree {
    void operator()(T* p) const { Free(p); }
};
using Repo = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using Remote = std::unique_ptr<git_remote, GitFree<git_remote, git_remote_free>>;
using Object = std::unique_ptr<git_object, GitFree<git_object, git_object_free>>;
using Tree = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;
using Blob = std::unique_ptr<git_blob, GitFree<git_blob, git_blob_free>>;
using Commit = std::unique_ptr<git_commit, GitFree<git_commit, git_commit_free>>;
using Reference = std::unique_ptr<git_reference, GitFree<git_reference, git_reference_free>>;
using OdbObject = std::unique_ptr<git_odb_object, GitFree<git_odb_object, git_odb_object_free>>;
using Odb = std::unique_ptr<git_odb, GitFree<git_odb, git_odb_free>>;
using TreeEntry = std::unique_ptr<git_tree_entry, GitFree<git_tree_entry, git_tree_entry_free>>;

// Initialises libgit2 once for the process; it is never shut down. (Shutting it down after each
// operation, as this did, lost libgit2's per-thread state of the other threads still fetching:
// the sanitizer build reported the leak.)
struct LibGit2 {
    LibGit2() {
        static std::once_flag once;
        std::call_once(once, [] { git_libgit2_init(); });
    }
    LibGit2(const LibGit2&) = delete;
    LibGit2& operator=(const LibGit2&) = delete;
};

// A libgit2 failure that says a repository's data is damaged (an unreadable object, zlib
// stream or reference file) rather than that something is missing upstream or the network
// failed. useCache() discards a cache that fails like this and fetches it again.
class GitDataError : public FetchError {
  public:
    using FetchError::FetchError;
};

inline bool lastErrorIsDataError() {
    const git_error* error = git_error_last();
    if (error == nullptr) return false;
    return error->klass == GIT_ERROR_ZLIB || error->klass == GIT_ERROR_ODB ||
           error->klass == GIT_ERROR_OBJECT || error->klass == GIT_ERROR_REFERENCE;
}

// Throws FetchError (GitDataError for damaged data) "<what> '<where>': <libgit2 message>" when
// rc < 0.
inline void check(int rc, const std::string& what, const std::string& where) {
    if (rc >= 0) return;
    const git_error* error = git_error_last();
    const std::string message =
        what + " " + quote(where) + ": " +
        (error != nullptr && error->message != nullptr ? error->message : "unknown libgit2 error");
    if (lastErrorIsDataError()) throw GitDataError(message);
    throw FetchError(message);
}

inline bool isCommitId(const std::string& rev) {
    return rev.size() == GIT_OID_HEXSZ &&
           rev.find_first_not_of("0123456789abcdef") == std::string::npos;
}

inline std::string oidHex(const git_oid& oid) {
    char hex[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(hex, sizeof hex, &oid);
    return hex;
}

// Opens the bare cache at `path`, creating it when missing.
inline Repo openCache(const std::filesystem::path& path) {
    git_repository* raw = nullptr;
    if (std::filesystem::exists(path / "HEAD")) {
        check(git_repository_open_bare(&raw, path.c_str()), "cannot open git cache", path.string());
    } else {
        check(git_repository_init(&raw, path.c_str(), 1), "cannot create git cache", path.string());
    }
    return Repo(raw);
}

// Opens the bare cache of `url` (creating it when missing) and runs `use` on it; the caller
// holds the cache's lock. A damaged cache (see git_cache.cpp: unreadable HEAD or refs, a ref
// to a missing object, a truncated pack or loose object), or one whose data turns out to be
// damaged while `use` runs (GitDataError), is discarded and `use` runs once more on a fresh
// cache, after `beforeRetry` (which undoes what the first attempt wrote). Returns the cache.
Repo useCache(const store::Store& store, const std::string& url,
              const std::function<void(git_repository*)>& use,
              const std::function<void()>& beforeRetry = {});

// Fetches every branch and tag of `url` (already mirror-rewritten) into `repo`. Throws
// FetchError in offline mode for a URL that needs the network.
void fetchInto(git_repository* repo, const std::string& url, const GitContext& context);

} // namespace xenbuild::fetch::detail
