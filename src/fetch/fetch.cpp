#include "xenbuild/fetch/fetch.hpp"

#include "fetch/git.hpp"
#include "xenbuild/fetch/archive.hpp"
#include "xenbuild/fetch/http.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/log.hpp"

#include <chrono>

namespace fs = std::filesystem;

namespace xenbuild::fetch {

namespace {

using util::ProgressEvent;

std::string offlineMiss(const std::string& what, const std::string& url) {
    return "offline mode: " + what + " is not in the store and " + quote(url) +
           " needs the network; rerun without " + mention(Setting::Offline) +
           ", or make a local copy available with " + mention(Setting::Mirror) +
           " FROM=file:///path (or in the mirrors config file)";
}

FetchResult fromEntry(const store::Entry& entry, const std::string& url, bool fromStore) {
    return {.url = url,
            .rev = entry.info.rev,
            .hash = entry.info.hash,
            .path = entry.path,
            .fromStore = fromStore};
}

std::string lockKey(const std::string& kind, const std::string& url, const std::string& rev,
                    const std::string& extra) {
    return kind + "-" + util::sha256(url + "\n" + rev + "\n" + extra).nix32().substr(0, 32);
}

// "xen-4.19.0.tar.gz" -> "xen-4.19.0": an unpacked tree is not an archive any more.
std::string stripArchiveSuffix(const std::string& name) {
    for (const char* suffix :
         {".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tgz", ".tbz2", ".txz", ".tar", ".zip"}) {
        const std::string_view s(suffix);
        if (name.size() > s.size() && name.ends_with(s))
            return name.substr(0, name.size() - s.size());
    }
    return name;
}

} // namespace

std::string urlBaseName(const std::string& url) {
    std::string path = url.substr(0, url.find_first_of("?#"));
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    const auto slash = path.find_last_of('/');
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    return base.empty() ? "download" : base;
}

FetchResult fetchGit(store::Store& store, const GitRequest& request, const FetchOptions& options,
                     util::ProgressObserver& observer) {
    const std::string what = "source " + quote(request.name);
    const std::string activity =
        request.activity.empty() ? "fetch " + request.name : request.activity;
    if (request.hash) {
        if (auto entry = store.lookup(store::EntryKind::Tree, *request.hash, request.name)) {
            return fromEntry(*entry, request.url, true);
        }
    }
    observer.onEvent({ProgressEvent::Kind::Started, activity, request.url, 0, 0, ""});
    std::string commit;
    bool produced = false;
    const store::AddRequest add{
        .kind = store::EntryKind::Tree,
        .name = request.name,
        .expected = request.hash,
        .url = request.url,
        .rev = request.rev,
        .lockKey = lockKey("git", request.url, request.rev, request.submodules ? "1" : "0"),
        .allowEmpty = request.allowEmpty,
        .what = what};
    const detail::GitContext context{store, options, observer, activity};
    auto entry = store.add(add, [&](const fs::path& dest, const fs::path&) {
        produced = true;
        const auto started = std::chrono::steady_clock::now();
        commit = detail::checkoutGit(context, request.url, request.rev, request.submodules, dest);
        util::logger()->debug("checked out {} at {} in {} ms", what, commit,
                              std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count());
        return commit;
    });
    observer.onEvent({ProgressEvent::Kind::Finished, activity, entry.path.string(), 0, 0, ""});
    auto result = fromEntry(entry, request.url, !produced);
    if (produced) result.rev = commit;
    return result;
}

FetchResult fetchUrl(store::Store& store, const UrlRequest& request, const FetchOptions& options,
                     util::ProgressObserver& observer) {
    const std::string name = !request.name.empty() ? request.name
                             : request.unpack      ? stripArchiveSuffix(urlBaseName(request.url))
                                                   : urlBaseName(request.url);
    const std::string what = (request.unpack ? "tarball " : "file ") + quote(name);
    const std::string activity = request.activity.empty() ? "fetch " + name : request.activity;
    const auto kind = request.unpack ? store::EntryKind::Tree : store::EntryKind::File;
    if (request.hash) {
        if (auto entry = store.lookup(kind, *request.hash, name)) {
            return fromEntry(*entry, request.url, true);
        }
    }
    const std::string effective = options.mirrors.rewrite(request.url);
    if (options.offline && !isLocalUrl(effective)) throw FetchError(offlineMiss(what, request.url));
    const std::string source = effective.rfind('/', 0) == 0 ? "file://" + effective : effective;
    observer.onEvent({ProgressEvent::Kind::Started, activity, request.url, 0, 0, ""});
    bool produced = false;
    const store::AddRequest add{.kind = kind,
                                .name = name,
                                .expected = request.hash,
                                .url = request.url,
                                .lockKey = lockKey(request.unpack ? "tarball" : "file", request.url,
                                                   "", request.stripTopLevel ? "strip" : ""),
                                .allowEmpty = request.allowEmpty,
                                .what = what};
    auto entry = store.add(add, [&](const fs::path& dest, const fs::path& scratch) {
        produced = true;
        const fs::path target = request.unpack ? scratch / "download" : dest;
        downloadFile(
            source, target, options.http, options.offline,
            [&](std::uint64_t done, std::uint64_t total) {
                observer.onEvent(
                    {ProgressEvent::Kind::Progress, activity, request.url, done, total, "bytes"});
            },
            options.limits);
        if (request.unpack) {
            extractArchive(target, dest, request.stripTopLevel, options.limits, request.url);
        }
        return std::string();
    });
    observer.onEvent({ProgressEvent::Kind::Finished, activity, entry.path.string(), 0, 0, ""});
    return fromEntry(entry, request.url, !produced);
}

} // namespace xenbuild::fetch
