// Git via libgit2: a bare cache per URL under <store>/git, incremental fetches, and a checkout
// written straight from the object database (so no .git ever exists in the result).

#include "fetch/git.hpp"
#include "fetch/git_handles.hpp"

#include "xenbuild/fetch/mirrors.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/parallel.hpp"
#include "xenbuild/util/scope_guard.hpp"

#include <git2.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::fetch::detail {

namespace {

// The object a revision names: a reference looked up as `git rev-parse` would, else any other
// revision expression. References are resolved here rather than by git_revparse_single: libgit2
// 1.5's revparse leaks the reference when the object it points to cannot be read (a damaged
// pack), which the sanitizer build reported.
int lookupRevision(git_object** out, git_repository* repo, const std::string& candidate) {
    git_reference* rawRef = nullptr;
    const int rc = git_reference_dwim(&rawRef, repo, candidate.c_str());
    // Not a reference (or not a reference name at all, as `v1.0^{commit}`): an expression.
    if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
        return git_revparse_single(out, repo, candidate.c_str());
    }
    if (rc != 0) return rc;
    const Reference ref(rawRef);
    const git_oid* target = git_reference_target(ref.get());
    if (target == nullptr) return git_revparse_single(out, repo, candidate.c_str());
    return git_object_lookup(out, repo, target, GIT_OBJECT_ANY);
}

std::optional<git_oid> findCommit(git_repository* repo, const std::string& rev) {
    std::vector<std::string> candidates = {rev};
    if (!isCommitId(rev)) candidates = {"refs/tags/" + rev, "refs/heads/" + rev, rev};
    for (const auto& candidate : candidates) {
        git_object* raw = nullptr;
        if (const int rc = lookupRevision(&raw, repo, candidate); rc != 0) {
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
    bool tooLarge = false;
};

int onTransfer(const git_indexer_progress* stats, void* payload) {
    auto* progress = static_cast<FetchProgress*>(payload);
    const auto limit = progress->context->options.limits.downloadBytes;
    if (limit != 0 && stats->received_bytes > limit) {
        progress->tooLarge = true;
        return -1;
    }
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
    const int rc = git_remote_fetch(remote.get(), &refspecs, &options, nullptr);
    if (progress.tooLarge) {
        throw FetchError("cannot fetch " + quote(url) +
                         ": it sends more than the download limit of " +
                         describeBytes(context.options.limits.downloadBytes) +
                         "; if that is expected, raise the limit with " +
                         mention(Setting::FetchLimit) + " download=SIZE");
    }
    check(rc, "cannot fetch", url);
}

namespace {

// A name as messages show it: control characters escaped, cut after 200 bytes.
std::string printable(std::string_view name) {
    std::string out;
    for (const char c : name.substr(0, 200)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        } else {
            out += c;
        }
    }
    if (name.size() > 200) out += "...";
    return "'" + out + "'";
}

// Why a tree entry name (one path component) must not be written, or nullopt. The rules of
// archive members, plus git's own: no ".git" in any case (it would become a repository in the
// tree on a case-insensitive file system, and git refuses it too).
std::optional<std::string> refusedName(std::string_view name) {
    if (name.empty()) return "has an empty name";
    if (name == "." || name == "..") return "is a " + printable(name) + " component";
    if (name[0] == '/') return "is an absolute path";
    if (name.find('/') != std::string_view::npos) return "contains '/'";
    if (name.find('\0') != std::string_view::npos) return "contains a NUL byte";
    if (name.size() == 4 && name[0] == '.' && (name[1] | 0x20) == 'g' && (name[2] | 0x20) == 'i' &&
        (name[3] | 0x20) == 't') {
        return "is named like git's own directory ('.git' in any case)";
    }
    return std::nullopt;
}

// What one checkout (a repository and its submodules) may still write, shared by the threads
// writing it.
struct Budget {
    const FetchLimits& limits;
    std::atomic<std::uint64_t> entries{0};
    std::atomic<std::uint64_t> bytes{0};
};

// Names the checkout in messages: the repository and the revision.
struct Origin {
    std::string url;
    std::string revision; // "'v1.0' (commit 1234...)"
    Budget& budget;

    [[noreturn]] void refuse(const std::string& why) const {
        throw FetchError("refusing to check out " + quote(url) + " at " + revision + ": " + why);
    }
    // Throws "cannot read <what> of '<url>' at <revision>: <libgit2 message>" when rc < 0.
    void check(int rc, const std::string& what) const {
        if (rc >= 0) return;
        const git_error* error = git_error_last();
        throw FetchError("cannot read " + what + " of " + quote(url) + " at " + revision + ": " +
                         (error != nullptr && error->message != nullptr ? error->message
                                                                        : "unknown libgit2 error"));
    }
    [[noreturn]] void overLimit(const std::string& what, const std::string& setting) const {
        refuse(what + "; if that is expected, raise the limit with " +
               mention(Setting::FetchLimit) + " " + setting);
    }
    void count(std::uint64_t size) const {
        const auto& limits = budget.limits;
        if (limits.entries != 0 && ++budget.entries > limits.entries) {
            overLimit("it has more than " + std::to_string(limits.entries) +
                          " files and directories (the entry limit)",
                      "entries=NUMBER");
        }
        if (size != 0 && limits.unpackedBytes != 0 &&
            (budget.bytes += size) > limits.unpackedBytes) {
            overLimit("its files add up to more than " + describeBytes(limits.unpackedBytes) +
                          " (the unpacked size limit)",
                      "unpacked=SIZE");
        }
    }
};

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
    TreeWriter(git_repository* repo, const Origin& origin, const GitContext& context, fs::path root)
        : repo_(repo), origin_(origin), context_(context), root_(std::move(root)) {}

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
        origin_.check(git_tree_lookup(&raw, repo_, &task.tree), "the tree " + printable(task.rel));
        Tree tree(raw);
        write(tree.get(), AT_FDCWD, pathOf(task.rel).c_str(), task.rel + "/");
    }

    std::vector<Gitlink> gitlinks;
    std::vector<Deferred> deferred;

  private:
    std::string pathOf(const std::string& rel) const { return (root_ / rel).string(); }

    void write(const git_tree* tree, int parentFd, const char* name, const std::string& prefix) {
        const util::Fd dir(
            ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!dir.valid()) throwSystemError("cannot open", pathOf(prefix));
        const std::size_t count = git_tree_entrycount(tree);
        for (std::size_t i = 0; i < count; ++i) {
            const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
            const char* child = git_tree_entry_name(entry);
            if (const auto why = refusedName(child)) {
                origin_.refuse("tree entry " + printable(prefix + child) + " " + *why +
                               "; the repository is malformed or hostile");
            }
            writeEntry(entry, dir.get(), child, prefix + child);
        }
    }

    void writeEntry(const git_tree_entry* entry, int dirFd, const char* name,
                    const std::string& rel) {
        const git_filemode_t mode = git_tree_entry_filemode(entry);
        const git_oid* oid = git_tree_entry_id(entry);
        if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT) {
            origin_.count(0);
            if (::mkdirat(dirFd, name, 0755) != 0) throwSystemError("cannot create", pathOf(rel));
        }
        if (mode == GIT_FILEMODE_TREE && defer_ &&
            std::count(rel.begin(), rel.end(), '/') + 1 == deferDepth) {
            deferred.push_back({*oid, rel});
        } else if (mode == GIT_FILEMODE_TREE) {
            git_tree* raw = nullptr;
            origin_.check(git_tree_lookup(&raw, repo_, oid), "the tree " + printable(rel));
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
        origin_.check(git_blob_lookup(&raw, repo_, oid), "the file " + printable(rel));
        Blob blob(raw);
        const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
        const auto size = static_cast<std::size_t>(git_blob_rawsize(blob.get()));
        origin_.count(size);
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
        util::Fd file(::openat(dirFd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, perm));
        if (!file.valid()) throwSystemError("cannot create", pathOf(rel));
        util::writeAll(file.get(), {data, size}, pathOf(rel));
        if (file.close() != 0) throwSystemError("cannot write", pathOf(rel));
    }

    git_repository* repo_;
    const Origin& origin_;
    const GitContext& context_;
    fs::path root_;
    std::uint64_t files_ = 0;
    bool defer_ = false;
};

// A writer with its own repository handle: libgit2 objects are not shared across threads.
struct SubtreeWriter {
    Repo repo;
    TreeWriter writer;
};

// Writes the deferred subtrees on a few threads. A task takes an idle writer (opening a new
// handle when none is idle) and gives it back, so a handle and its caches serve many subtrees.
// After a failure the remaining subtrees are left: the checkout has failed, and the first
// failure (later ones mostly repeat it: the budget is shared) is what is reported.
void writeDeferred(const TreeWriter& top, const std::function<Repo()>& reopen, const Origin& origin,
                   const GitContext& context, const fs::path& dest,
                   std::vector<Gitlink>& gitlinks) {
    const auto& tasks = top.deferred;
    std::mutex mutex;
    std::vector<std::unique_ptr<SubtreeWriter>> writers;
    std::vector<SubtreeWriter*> idle;
    std::atomic<bool> failed{false};
    auto take = [&]() -> SubtreeWriter& {
        {
            const std::lock_guard lock(mutex);
            if (!idle.empty()) {
                SubtreeWriter* writer = idle.back();
                idle.pop_back();
                return *writer;
            }
        }
        Repo repo = reopen();
        git_repository* handle = repo.get();
        auto made = std::make_unique<SubtreeWriter>(
            SubtreeWriter{std::move(repo), TreeWriter(handle, origin, context, dest)});
        const std::lock_guard lock(mutex);
        writers.push_back(std::move(made));
        return *writers.back();
    };
    const auto failures = util::parallelFor(
        tasks.size(), std::clamp(std::thread::hardware_concurrency(), 1U, 4U), [&](std::size_t i) {
            if (failed) return;
            try {
                SubtreeWriter& writer = take();
                const util::ScopeGuard giveBack([&] {
                    const std::lock_guard lock(mutex);
                    idle.push_back(&writer);
                });
                writer.writer.writeSubtree(tasks[i]);
            } catch (...) {
                failed = true;
                throw;
            }
        });
    if (!failures.empty()) std::rethrow_exception(failures.front().error);
    for (const auto& writer : writers) {
        gitlinks.insert(gitlinks.end(), writer->writer.gitlinks.begin(),
                        writer->writer.gitlinks.end());
    }
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
    std::string revision; // for messages, as Origin::revision
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
                         " is not in the store or the git cache; rerun without " +
                         mention(Setting::Offline) + ", or add " + mention(Setting::Mirror) + " " +
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
                    const std::string& url, const std::string& rev, const fs::path& dest,
                    const GitContext& context, Budget& budget) {
    const std::string hex = oidHex(oid);
    const Origin origin{url, quote(rev) + (rev == hex ? "" : " (commit " + hex + ")"), budget};
    git_commit* rawCommit = nullptr;
    origin.check(git_commit_lookup(&rawCommit, repo, &oid), "the commit");
    Commit commit(rawCommit);
    git_tree* rawTree = nullptr;
    origin.check(git_commit_tree(&rawTree, commit.get()), "the tree");
    Tree tree(rawTree);
    TreeWriter writer(repo, origin, context, dest);
    writer.writeRoot(tree.get());
    std::vector<Gitlink> gitlinks = writer.gitlinks;
    writeDeferred(writer, reopen, origin, context, dest, gitlinks);
    return {hex, origin.revision, std::move(gitlinks),
            parseGitmodules(readGitmodules(repo, tree.get()))};
}

// Local repositories (paths, file:// URLs, also after mirror rewriting) are read in place: no
// cache and no copy, which is what makes a local mirror fast. Remote ones go through the cache.
Written writeCommit(const GitContext& context, const std::string& url, const std::string& rev,
                    const fs::path& dest, Budget& budget) {
    const std::string effective = context.options.mirrors.rewrite(url);
    if (isLocalUrl(effective) && !context.options.cacheLocalGit) {
        Repo repo = openLocal(effective);
        const auto oid = findCommit(repo.get(), rev);
        if (!oid) {
            throw FetchError("revision " + quote(rev) + " not found in " + quote(effective) +
                             "; check the commit id, tag or branch name");
        }
        return writeTreeOf(
            repo.get(), [&] { return openLocal(effective); }, *oid, url, rev, dest, context,
            budget);
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
                repo, [&] { return openCache(cache); }, oid, url, rev, dest, context, budget);
        },
        [&] {
            util::removeReadOnly(dest);
            if (destExisted) fs::create_directory(dest);
        });
    return written;
}

// Refuses a .gitmodules path that could not be a tree entry's path: the same rules, for every
// component (submodules are only ever written at gitlinks of the tree, so such a path is at
// best unused, and at worst an attempt).
void checkSubmodulePaths(const Written& written, const std::string& url) {
    for (const auto& [path, submoduleUrl] : written.submoduleUrls) {
        std::optional<std::string> why;
        if (path.empty()) why = "is empty";
        if (!path.empty() && path[0] == '/') why = "is an absolute path";
        for (std::size_t start = 0; !why && start <= path.size();) {
            const auto end = std::min(path.find('/', start), path.size());
            if (auto bad = refusedName(std::string_view(path).substr(start, end - start))) {
                why = "has a component that " + *bad;
            }
            start = end + 1;
        }
        if (why) {
            throw FetchError("refusing to check out the submodules of " + quote(url) + " at " +
                             written.revision + ": .gitmodules gives the submodule path " +
                             printable(path) + ", which " + *why +
                             "; the repository is malformed or hostile");
        }
    }
}

std::string checkoutTree(const GitContext& context, const std::string& url, const std::string& rev,
                         bool submodules, const fs::path& dest, Budget& budget) {
    Written written = writeCommit(context, url, rev, dest, budget);
    if (!submodules) return written.commit;
    checkSubmodulePaths(written, url);
    for (const auto& link : written.gitlinks) {
        const auto found = written.submoduleUrls.find(link.path);
        if (found == written.submoduleUrls.end()) {
            throw FetchError("submodule " + quote(link.path) + " of " + quote(url) +
                             " has no URL in .gitmodules");
        }
        withContext("while fetching submodule " + quote(link.path) + " of " + quote(url), [&] {
            return checkoutTree(context, resolveSubmoduleUrl(url, found->second), oidHex(link.oid),
                                true, dest / link.path, budget);
        });
    }
    return written.commit;
}

} // namespace

std::string checkoutGit(const GitContext& context, const std::string& url, const std::string& rev,
                        bool submodules, const fs::path& dest) {
    LibGit2 library;
    Budget budget{context.options.limits};
    return checkoutTree(context, url, rev, submodules, dest, budget);
}

} // namespace xenbuild::fetch::detail
