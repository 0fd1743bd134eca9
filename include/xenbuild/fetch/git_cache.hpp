#pragma once
// Reading a git repository's refs and objects without checking anything out: what the updater
// needs from upstream. listRemoteRefs() asks the remote for its refs only (no objects are
// downloaded: resolving a component's tag costs one round trip). GitCache reads the bare cache
// that fetchGit() also uses (one per URL under the store), after bringing it up to date.
// libgit2 stays inside src/fetch/git*.cpp.

#include "xenbuild/fetch/options.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/progress.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xenbuild::fetch {

struct RemoteRef {
    std::string name;   // "refs/tags/RELEASE-4.19.0", "refs/heads/main", "HEAD"
    std::string target; // the object the ref points at (a tag object for annotated tags)
    std::string commit; // the peeled commit for annotated tags, else == target
};

// The refs advertised by `url` (mirrors applied). Throws FetchError naming the URL when it
// cannot be reached, or in offline mode when the URL needs the network.
std::vector<RemoteRef> listRemoteRefs(const std::string& url, const FetchOptions& options);

// The commit a tag points to, from listRemoteRefs() output; nullopt when there is no such tag.
std::optional<std::string> findTagCommit(const std::vector<RemoteRef>& refs,
                                         const std::string& tag);

class GitCache {
  public:
    // Fetches every branch and tag of `url` into its bare cache in `store` and opens it. In
    // offline mode a URL needing the network is not fetched: the cache is used as it is, and
    // an empty or missing cache is a FetchError.
    static GitCache update(const store::Store& store, const std::string& url,
                           const FetchOptions& options, util::ProgressObserver& observer);
    ~GitCache();
    GitCache(GitCache&&) noexcept;
    GitCache& operator=(GitCache&&) noexcept;

    const std::string& url() const noexcept;
    // Names of every tag, without "refs/tags/", sorted by name.
    std::vector<std::string> tagNames() const;
    // The raw bytes of the annotated tag object of `tag` (as `git cat-file tag` prints them);
    // nullopt for a lightweight tag. Throws FetchError when there is no such tag.
    std::optional<std::string> tagObject(const std::string& tag) const;
    // The commit `tag` points to (peeling tag objects). Throws FetchError when missing.
    std::string tagCommit(const std::string& tag) const;
    // The content of the file at `path` ("tools/firmware/etherboot/Makefile") in `commit`'s
    // tree; nullopt when there is no such file. Throws FetchError when the commit is missing.
    std::optional<std::string> readFile(const std::string& commit, const std::string& path) const;

  private:
    struct Impl;
    explicit GitCache(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace xenbuild::fetch
