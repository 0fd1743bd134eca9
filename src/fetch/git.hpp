#pragma once
// The git fetcher's internals (libgit2 lives only in git.cpp).

#include "xenbuild/fetch/options.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/progress.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace xenbuild::fetch::detail {

struct GitContext {
    const store::Store& store;
    const FetchOptions& options;
    util::ProgressObserver& observer;
    std::string activity; // progress activity id, e.g. "fetch xen_4_19:qemu"
};

// Brings `rev` (a commit id, tag or branch) of `url` into the bare cache for `url` (fetching only
// when needed), then writes the commit's tree at `dest` without any .git, recursing into
// submodules when asked. Returns the commit id.
std::string checkoutGit(const GitContext& context, const std::string& url, const std::string& rev,
                        bool submodules, const std::filesystem::path& dest);

// Submodule path -> URL from the text of a .gitmodules file.
std::map<std::string, std::string> parseGitmodules(const std::string& text);

// Resolves a submodule URL relative to its superproject's URL, as git does.
std::string resolveSubmoduleUrl(const std::string& parent, const std::string& url);

} // namespace xenbuild::fetch::detail
