// Git via libgit2: a bare cache per URL under <store>/git, incremental fetches, and a checkout
// written straight from the object database (so no .git ever exists in the result).

#include "fetch/git.hpp"
#include "fetch/git_handles.hpp"

#include "xenbuild/fetch/mirrors.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/util/error.hpp"

#include <git2.h>

#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::fetch::detail {

namespace {

std::optional<git_oid> findCommit(git_repository* repo, const std::string& rev) {
    std::vector<std::string> candidates = {rev};
    if (!isCommitId(rev)) candidates = {"refs/tags/" + rev, "refs/heads/" + rev, rev};
    for (const auto& candidate : candidates) {
        git_object* raw = nullptr;
        if (git_revparse_single(&raw, repo, candidate.c_str()) != 0) continue;
        Object object(raw);
        git_object* peeled = nullptr;
        if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) != 0) continue;
        Object commit(peeled);
        return *git_object_id(commit.get());
    }
    return std::nullopt;
}

struct FetchProgress {
    const GitContext* context;
    unsigned lastPercent = 101;
};

int onTransfer(const git_indexer_progress* stats, void* payload) {
    auto* progress = static_cast<FetchProgress*>(payload);
    const unsigned total = stats->total_objects;
    const unsigned percent = total == 0 ? 0 : stats->received_objects * 100 / total;
    if (percent == progress->lastPercent) return 0;
    progress->lastPercent = percent;
    progress->context->observer.onEvent({util::ProgressEvent::Kind::Progress,
                                         progress->context->activity,
                                         std::to_string(stats->received_bytes / 1024) + " KiB",
                                         stats->received_objects, total, "objects"});
    return 0;
}

} // namespace

void fetchInto(git_repository* repo, const std::string& url, const GitContext& context) {
    if (context.options.offline && !isLocalUrl(url)) {
        throw FetchError("offline mode: cannot fetch " + quote(url));
    }
    git_remote* raw = nullptr;
    check(git_remote_create_anonymous(&raw, repo, url.c_str()), "cannot fetch", url);
    Remote remote(raw);
    FetchProgress progress{&context};
    git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
    options.callbacks.transfer_progress = onTransfer;
    options.callbacks.payload = &progress;
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    char heads[] = "+refs/heads/*:refs/heads/*";
    char tags[] = "+refs/tags/*:refs/tags/*";
    char* specs[] = {heads, tags};
    const git_strarray refspecs = {specs, 2};
    context.observer.onEvent(
        {util::ProgressEvent::Kind::Message, context.activity, "fetching " + url, 0, 0, ""});
    check(git_remote_fetch(remote.get(), &refspecs, &options, nullptr), "cannot fetch", url);
}

namespace {

void writeAll(int fd, const char* data, std::size_t size, const std::string& path) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throwSystemError("cannot write", path);
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

struct Gitlink {
    std::string path; // relative to the checkout root
    git_oid oid;
};

class TreeWriter {
  public:
    TreeWriter(git_repository* repo, std::string where) : repo_(repo), where_(std::move(where)) {}

    void write(const git_tree* tree, const fs::path& dir, const std::string& prefix) {
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
            throwSystemError("cannot create", dir.string());
        }
        const std::size_t count = git_tree_entrycount(tree);
        for (std::size_t i = 0; i < count; ++i) {
            const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
            const std::string name = git_tree_entry_name(entry);
            if (name == ".git") continue;
            writeEntry(entry, dir / name, prefix + name);
        }
    }

    std::vector<Gitlink> gitlinks;

  private:
    void writeEntry(const git_tree_entry* entry, const fs::path& path, const std::string& rel) {
        const git_filemode_t mode = git_tree_entry_filemode(entry);
        const git_oid* oid = git_tree_entry_id(entry);
        if (mode == GIT_FILEMODE_TREE) {
            git_tree* raw = nullptr;
            check(git_tree_lookup(&raw, repo_, oid), "cannot read tree " + quote(rel) + " of",
                  where_);
            Tree sub(raw);
            write(sub.get(), path, rel + "/");
        } else if (mode == GIT_FILEMODE_COMMIT) {
            if (::mkdir(path.c_str(), 0755) != 0) throwSystemError("cannot create", path.string());
            gitlinks.push_back({rel, *oid});
        } else {
            writeBlob(mode, oid, path, rel);
        }
    }

    void writeBlob(git_filemode_t mode, const git_oid* oid, const fs::path& path,
                   const std::string& rel) {
        git_blob* raw = nullptr;
        check(git_blob_lookup(&raw, repo_, oid), "cannot read file " + quote(rel) + " of", where_);
        Blob blob(raw);
        const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
        const auto size = static_cast<std::size_t>(git_blob_rawsize(blob.get()));
        if (mode == GIT_FILEMODE_LINK) {
            const std::string target(data, size);
            if (::symlink(target.c_str(), path.c_str()) != 0) {
                throwSystemError("cannot create symlink", path.string());
            }
            return;
        }
        const mode_t perm = mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, perm);
        if (fd < 0) throwSystemError("cannot create", path.string());
        try {
            writeAll(fd, data, size, path.string());
        } catch (...) {
            ::close(fd);
            throw;
        }
        if (::close(fd) != 0) throwSystemError("cannot write", path.string());
    }

    git_repository* repo_;
    std::string where_;
};

// path -> url from a .gitmodules text.
std::map<std::string, std::string> parseGitmodules(const std::string& text) {
    std::map<std::string, std::map<std::string, std::string>> sections;
    std::istringstream in(text);
    std::string line;
    std::string current;
    while (std::getline(in, line)) {
        const auto begin = line.find_first_not_of(" \t");
        if (begin == std::string::npos || line[begin] == '#' || line[begin] == ';') continue;
        line = line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1);
        if (line[0] == '[') {
            current = line;
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        auto key = line.substr(0, line.find_last_not_of(" \t", eq - 1) + 1);
        auto value = line.substr(line.find_first_not_of(" \t", eq + 1) == std::string::npos
                                     ? line.size()
                                     : line.find_first_not_of(" \t", eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        sections[current][key] = value;
    }
    std::map<std::string, std::string> urls;
    for (auto& [name, keys] : sections) {
        if (keys.count("path") != 0 && keys.count("url") != 0) urls[keys["path"]] = keys["url"];
    }
    return urls;
}

std::string readGitmodules(git_repository* repo, const git_tree* tree) {
    const git_tree_entry* entry = git_tree_entry_byname(tree, ".gitmodules");
    if (entry == nullptr) return {};
    git_blob* raw = nullptr;
    if (git_blob_lookup(&raw, repo, git_tree_entry_id(entry)) != 0) return {};
    Blob blob(raw);
    return {static_cast<const char*>(git_blob_rawcontent(blob.get())),
            static_cast<std::size_t>(git_blob_rawsize(blob.get()))};
}

struct Written {
    std::string commit;
    std::vector<Gitlink> gitlinks;
    std::map<std::string, std::string> submoduleUrls;
};

git_oid resolveRevision(git_repository* repo, const std::string& url, const std::string& rev,
                        const GitContext& context) {
    const std::string effective = context.options.mirrors.rewrite(url);
    auto oid = isCommitId(rev) ? findCommit(repo, rev) : std::nullopt;
    if (oid) return *oid;
    const bool canUseNetwork = !context.options.offline || isLocalUrl(effective);
    if (!canUseNetwork) {
        if (auto cached = findCommit(repo, rev)) return *cached;
        throw FetchError("offline mode: revision " + quote(rev) + " of " + quote(url) +
                         " is not in the store or the git cache; rerun without --offline, or "
                         "add --mirror " +
                         url + "=file:///path/to/local/mirror");
    }
    fetchInto(repo, effective, context);
    oid = findCommit(repo, rev);
    if (!oid) {
        throw FetchError("revision " + quote(rev) + " not found in " + quote(effective) +
                         "; check the commit id, tag or branch name");
    }
    return *oid;
}

Written writeCommit(const GitContext& context, const std::string& url, const std::string& rev,
                    const fs::path& dest) {
    const fs::path cache = context.store.gitCacheDir(url);
    auto lock =
        store::FileLock::acquire(context.store.lockPath("git-" + cache.filename().string()));
    Repo repo = openCache(cache);
    const git_oid oid = resolveRevision(repo.get(), url, rev, context);
    git_commit* rawCommit = nullptr;
    check(git_commit_lookup(&rawCommit, repo.get(), &oid), "cannot read commit of", url);
    Commit commit(rawCommit);
    git_tree* rawTree = nullptr;
    check(git_commit_tree(&rawTree, commit.get()), "cannot read tree of", url);
    Tree tree(rawTree);
    TreeWriter writer(repo.get(), url);
    writer.write(tree.get(), dest, "");
    char hex[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(hex, sizeof hex, &oid);
    return {hex, std::move(writer.gitlinks),
            parseGitmodules(readGitmodules(repo.get(), tree.get()))};
}

} // namespace

std::string resolveSubmoduleUrl(const std::string& parent, const std::string& url) {
    if (url.rfind("./", 0) != 0 && url.rfind("../", 0) != 0) return url;
    std::string base = parent;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    std::string rest = url;
    while (true) {
        if (rest.rfind("./", 0) == 0) {
            rest = rest.substr(2);
        } else if (rest.rfind("../", 0) == 0) {
            const auto cut = base.find_last_of("/:");
            base = cut == std::string::npos ? "" : base.substr(0, cut);
            rest = rest.substr(3);
        } else {
            break;
        }
    }
    return base + "/" + rest;
}

std::string checkoutGit(const GitContext& context, const std::string& url, const std::string& rev,
                        bool submodules, const fs::path& dest) {
    LibGit2 library;
    Written written = writeCommit(context, url, rev, dest);
    if (!submodules) return written.commit;
    for (const auto& link : written.gitlinks) {
        const auto found = written.submoduleUrls.find(link.path);
        if (found == written.submoduleUrls.end()) {
            throw FetchError("submodule " + quote(link.path) + " of " + quote(url) +
                             " has no URL in .gitmodules");
        }
        char hex[GIT_OID_HEXSZ + 1] = {};
        git_oid_tostr(hex, sizeof hex, &link.oid);
        withContext("while fetching submodule " + quote(link.path) + " of " + quote(url), [&] {
            return checkoutGit(context, resolveSubmoduleUrl(url, found->second), hex, true,
                               dest / link.path);
        });
    }
    return written.commit;
}

} // namespace xenbuild::fetch::detail
