// Git via libgit2: a bare cache per URL under <store>/git, incremental fetches, and a checkout
// written straight from the object database (so no .git ever exists in the result).

#include "fetch/git.hpp"
#include "fetch/git_handles.hpp"

#include "xenbuild/fetch/mirrors.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/util/error.hpp"

#include <git2.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
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
        if (const int rc = git_revparse_single(&raw, repo, candidate.c_str()); rc != 0) {
            // Not there (fetch it), unless the repository's data is damaged.
            if (rc == GIT_ERROR && lastErrorIsDataError()) {
                check(rc, "cannot read revision " + quote(rev) + " of", git_repository_path(repo));
            }
            continue;
        }
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

// A subtree whose directory exists, left for the parallel writers.
struct Deferred {
    git_oid tree;
    std::string rel;
};

// Subtrees this deep are written by a pool of threads (file creation is mostly kernel time).
constexpr std::size_t deferDepth = 2;

// Writes a tree through directory file descriptors (mkdirat/openat/symlinkat with short
// relative names); `root` is only used for messages.
class TreeWriter {
  public:
    TreeWriter(git_repository* repo, std::string where, const GitContext& context, fs::path root)
        : repo_(repo), where_(std::move(where)), context_(context), root_(std::move(root)) {}

    // Writes the top of the tree; subtrees at deferDepth are left in `deferred`.
    void writeRoot(const git_tree* tree) {
        if (::mkdir(root_.c_str(), 0755) != 0 && errno != EEXIST) {
            throwSystemError("cannot create", root_.string());
        }
        defer_ = true;
        write(tree, AT_FDCWD, root_.c_str(), "");
        defer_ = false;
    }

    void writeSubtree(const Deferred& task) {
        git_tree* raw = nullptr;
        check(git_tree_lookup(&raw, repo_, &task.tree),
              "cannot read tree " + quote(task.rel) + " of", where_);
        Tree tree(raw);
        write(tree.get(), AT_FDCWD, pathOf(task.rel).c_str(), task.rel + "/");
    }

    std::vector<Gitlink> gitlinks;
    std::vector<Deferred> deferred;

  private:
    std::string pathOf(const std::string& rel) const { return (root_ / rel).string(); }

    void write(const git_tree* tree, int parentFd, const char* name, const std::string& prefix) {
        const int fd = ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) throwSystemError("cannot open", pathOf(prefix));
        std::unique_ptr<int, void (*)(int*)> closer(new int(fd), [](int* p) {
            ::close(*p);
            delete p;
        });
        const std::size_t count = git_tree_entrycount(tree);
        for (std::size_t i = 0; i < count; ++i) {
            const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
            const char* child = git_tree_entry_name(entry);
            if (std::string_view(child) == ".git") continue;
            writeEntry(entry, fd, child, prefix + child);
        }
    }

    void writeEntry(const git_tree_entry* entry, int dirFd, const char* name,
                    const std::string& rel) {
        const git_filemode_t mode = git_tree_entry_filemode(entry);
        const git_oid* oid = git_tree_entry_id(entry);
        if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT) {
            if (::mkdirat(dirFd, name, 0755) != 0) throwSystemError("cannot create", pathOf(rel));
        }
        if (mode == GIT_FILEMODE_TREE && defer_ &&
            std::count(rel.begin(), rel.end(), '/') + 1 == deferDepth) {
            deferred.push_back({*oid, rel});
        } else if (mode == GIT_FILEMODE_TREE) {
            git_tree* raw = nullptr;
            check(git_tree_lookup(&raw, repo_, oid), "cannot read tree " + quote(rel) + " of",
                  where_);
            Tree sub(raw);
            write(sub.get(), dirFd, name, rel + "/");
        } else if (mode == GIT_FILEMODE_COMMIT) {
            gitlinks.push_back({rel, *oid});
        } else {
            writeBlob(mode, oid, dirFd, name, rel);
            if (++files_ % 256 == 0) {
                context_.observer.onEvent({util::ProgressEvent::Kind::Progress, context_.activity,
                                           "checking out", files_, 0, "files"});
            }
        }
    }

    void writeBlob(git_filemode_t mode, const git_oid* oid, int dirFd, const char* name,
                   const std::string& rel) {
        git_blob* raw = nullptr;
        check(git_blob_lookup(&raw, repo_, oid), "cannot read file " + quote(rel) + " of", where_);
        Blob blob(raw);
        const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
        const auto size = static_cast<std::size_t>(git_blob_rawsize(blob.get()));
        if (mode == GIT_FILEMODE_LINK) {
            const std::string target(data, size);
            if (::symlinkat(target.c_str(), dirFd, name) != 0) {
                throwSystemError("cannot create symlink", pathOf(rel));
            }
            return;
        }
        // Created read-only straight away (the fd is still writable): the store would chmod
        // them afterwards, dirtying every inode a second time.
        const mode_t perm = mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0555 : 0444;
        const int fd = ::openat(dirFd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, perm);
        if (fd < 0) throwSystemError("cannot create", pathOf(rel));
        try {
            writeAll(fd, data, size, pathOf(rel));
        } catch (...) {
            ::close(fd);
            throw;
        }
        if (::close(fd) != 0) throwSystemError("cannot write", pathOf(rel));
    }

    git_repository* repo_;
    std::string where_;
    const GitContext& context_;
    fs::path root_;
    std::uint64_t files_ = 0;
    bool defer_ = false;
};

// Writes the deferred subtrees on a few threads, each with its own repository handle (libgit2
// objects are not shared across threads).
void writeDeferred(const TreeWriter& top, const std::function<Repo()>& reopen,
                   const std::string& url, const GitContext& context, const fs::path& dest,
                   std::vector<Gitlink>& gitlinks) {
    const auto& tasks = top.deferred;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::exception_ptr error;
    auto work = [&] {
        try {
            Repo repo = reopen();
            TreeWriter writer(repo.get(), url, context, dest);
            for (std::size_t i = next++; i < tasks.size() && !failed; i = next++) {
                writer.writeSubtree(tasks[i]);
            }
            std::lock_guard lock(mutex);
            gitlinks.insert(gitlinks.end(), writer.gitlinks.begin(), writer.gitlinks.end());
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error) error = std::current_exception();
            failed = true;
        }
    };
    const std::size_t count = std::min<std::size_t>(
        std::clamp(std::thread::hardware_concurrency(), 1U, 4U), tasks.size());
    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < count; ++t)
        threads.emplace_back(work);
    work();
    for (auto& thread : threads)
        thread.join();
    if (error) std::rethrow_exception(error);
    std::sort(gitlinks.begin(), gitlinks.end(),
              [](const Gitlink& a, const Gitlink& b) { return a.path < b.path; });
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

Repo openLocal(const std::string& url) {
    const std::string path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
    git_repository* raw = nullptr;
    check(git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr),
          "cannot open git repository", path);
    return Repo(raw);
}

Written writeTreeOf(git_repository* repo, const std::function<Repo()>& reopen, const git_oid& oid,
                    const std::string& url, const fs::path& dest, const GitContext& context) {
    git_commit* rawCommit = nullptr;
    check(git_commit_lookup(&rawCommit, repo, &oid), "cannot read commit of", url);
    Commit commit(rawCommit);
    git_tree* rawTree = nullptr;
    check(git_commit_tree(&rawTree, commit.get()), "cannot read tree of", url);
    Tree tree(rawTree);
    TreeWriter writer(repo, url, context, dest);
    writer.writeRoot(tree.get());
    std::vector<Gitlink> gitlinks = writer.gitlinks;
    writeDeferred(writer, reopen, url, context, dest, gitlinks);
    char hex[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(hex, sizeof hex, &oid);
    return {hex, std::move(gitlinks), parseGitmodules(readGitmodules(repo, tree.get()))};
}

// Local repositories (paths, file:// URLs, also after mirror rewriting) are read in place: no
// cache and no copy, which is what makes a local mirror fast. Remote ones go through the cache.
Written writeCommit(const GitContext& context, const std::string& url, const std::string& rev,
                    const fs::path& dest) {
    const std::string effective = context.options.mirrors.rewrite(url);
    if (isLocalUrl(effective) && !context.options.cacheLocalGit) {
        Repo repo = openLocal(effective);
        const auto oid = findCommit(repo.get(), rev);
        if (!oid) {
            throw FetchError("revision " + quote(rev) + " not found in " + quote(effective) +
                             "; check the commit id, tag or branch name");
        }
        return writeTreeOf(
            repo.get(), [&] { return openLocal(effective); }, *oid, url, dest, context);
    }
    const fs::path cache = context.store.gitCacheDir(url);
    auto lock =
        store::FileLock::acquire(context.store.lockPath("git-" + cache.filename().string()));
    Written written;
    const bool destExisted = fs::exists(fs::symlink_status(dest));
    useCache(
        context.store, url,
        [&](git_repository* repo) {
            const git_oid oid = resolveRevision(repo, url, rev, context);
            written = writeTreeOf(
                repo, [&] { return openCache(cache); }, oid, url, dest, context);
        },
        [&] {
            store::removeReadOnly(dest);
            if (destExisted) fs::create_directory(dest);
        });
    return written;
}

} // namespace

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
