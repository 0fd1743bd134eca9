#pragma once
// Fetching sources into the store, verified against their pinned hashes. A request with a hash
// whose entry is already in the store is served from the store without touching the network or
// the repository; otherwise the work is done at most once across processes (store locks).

#include "xenbuild/fetch/options.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/hash.hpp"
#include "xenbuild/util/progress.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace xenbuild::fetch {

struct GitRequest {
    std::string name;               // store name and label in messages ("xen", "qemu")
    std::string url;                // upstream URL (mirrors apply); file:// and paths work
    std::string rev;                // commit id, tag or branch
    std::optional<util::Hash> hash; // NAR hash of the tree without .git
    bool submodules = false;        // check out submodules recursively
    bool allowEmpty = false;
    std::string activity; // progress activity id (default "fetch <name>")
};

struct UrlRequest {
    std::string name; // store name ("xsa460.patch"); default: URL's last segment
    std::string url;
    std::optional<util::Hash> hash; // flat sha256, or NAR hash of the unpacked tree
    bool unpack = false;            // extract a tarball/zip with libarchive
    bool stripTopLevel = true;      // with unpack: use the single top-level directory
    bool allowEmpty = false;
    std::string activity;
};

struct FetchResult {
    std::string url; // as requested (before mirror rewriting)
    std::string rev; // resolved commit (git), empty otherwise
    util::Hash hash;
    std::filesystem::path path; // the store entry
    bool fromStore = false;     // served without fetching
};

FetchResult fetchGit(store::Store& store, const GitRequest& request, const FetchOptions& options,
                     util::ProgressObserver& observer);
FetchResult fetchUrl(store::Store& store, const UrlRequest& request, const FetchOptions& options,
                     util::ProgressObserver& observer);

// The last path segment of a URL, for naming files in the store ("xsa460.patch").
std::string urlBaseName(const std::string& url);

} // namespace xenbuild::fetch
