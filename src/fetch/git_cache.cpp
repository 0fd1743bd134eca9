// Remote ref listing and read access to the bare git caches, with libgit2.

#include "xenbuild/fetch/git_cache.hpp"

#include "fetch/git_handles.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/fetch/mirrors.hpp"
#include "xenbuild/store/lock.hpp"

#include <algorithm>
#include <map>

namespace fs = std::filesystem;

namespace xenbuild::fetch {

using namespace detail;

namespace {

constexpr std::string_view kTagPrefix = "refs/tags/";
constexpr std::string_view kPeeledSuffix = "^{}";

std::vector<RemoteRef> collectRefs(const git_remote_head* const* heads, std::size_t count) {
    std::map<std::string, RemoteRef> refs;
    std::map<std::string, std::string> peeled;
    for (std::size_t i = 0; i < count; ++i) {
        std::string name = heads[i]->name;
        const std::string id = oidHex(heads[i]->oid);
        if (name.ends_with(kPeeledSuffix)) {
            peeled[name.substr(0, name.size() - kPeeledSuffix.size())] = id;
        } else {
            refs[name] = {name, id, id};
        }
    }
    std::vector<RemoteRef> out;
    for (auto& [name, ref] : refs) {
        if (auto found = peeled.find(name); found != peeled.end()) ref.commit = found->second;
        out.push_back(std::move(ref));
    }
    return out;
}

} // namespace

std::vector<RemoteRef> listRemoteRefs(const std::string& url, const FetchOptions& options) {
    const std::string effective = options.mirrors.rewrite(url);
    if (options.offline && !isLocalUrl(effective)) {
        throw FetchError("offline mode: cannot list the tags of " + quote(url) +
                         "; rerun without --offline, or add --mirror " + url +
                         "=file:///path/to/local/mirror");
    }
    LibGit2 library;
    git_remote* raw = nullptr;
    check(git_remote_create_detached(&raw, effective.c_str()), "cannot list refs of", effective);
    Remote remote(raw);
    git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
    check(git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr),
          "cannot list refs of", effective);
    const git_remote_head** heads = nullptr;
    std::size_t count = 0;
    check(git_remote_ls(&heads, &count, remote.get()), "cannot list refs of", effective);
    auto refs = collectRefs(heads, count);
    git_remote_disconnect(remote.get());
    return refs;
}

std::optional<std::string> findTagCommit(const std::vector<RemoteRef>& refs,
                                         const std::string& tag) {
    const std::string name = std::string(kTagPrefix) + tag;
    const auto found = std::find_if(refs.begin(), refs.end(),
                                    [&](const RemoteRef& ref) { return ref.name == name; });
    if (found == refs.end()) return std::nullopt;
    return found->commit;
}

struct GitCache::Impl {
    LibGit2 library;
    std::string url;
    fs::path path;
    Repo repo;

    git_oid tagTarget(const std::string& tag) const {
        git_reference* raw = nullptr;
        const std::string ref = std::string(kTagPrefix) + tag;
        if (git_reference_lookup(&raw, repo.get(), ref.c_str()) != 0) {
            throw FetchError("tag " + quote(tag) + " not found in " + quote(url));
        }
        Reference reference(raw);
        git_reference* resolvedRaw = nullptr;
        check(git_reference_resolve(&resolvedRaw, reference.get()),
              "cannot resolve tag " + quote(tag) + " of", url);
        Reference resolved(resolvedRaw);
        return *git_reference_target(resolved.get());
    }
};

GitCache::GitCache(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GitCache::~GitCache() = default;
GitCache::GitCache(GitCache&&) noexcept = default;
GitCache& GitCache::operator=(GitCache&&) noexcept = default;

GitCache GitCache::update(const store::Store& store, const std::string& url,
                          const FetchOptions& options, util::ProgressObserver& observer) {
    auto impl = std::make_unique<Impl>();
    impl->url = url;
    impl->path = store.gitCacheDir(url);
    const std::string effective = options.mirrors.rewrite(url);
    {
        auto lock =
            store::FileLock::acquire(store.lockPath("git-" + impl->path.filename().string()));
        impl->repo = openCache(impl->path);
        if (!options.offline || isLocalUrl(effective)) {
            const GitContext context{store, options, observer, "fetch " + urlBaseName(url)};
            fetchInto(impl->repo.get(), effective, context);
        }
    }
    GitCache cache(std::move(impl));
    if (options.offline && cache.tagNames().empty()) {
        throw FetchError("offline mode: the git cache of " + quote(url) +
                         " holds no tags; rerun without --offline, or add --mirror " + url +
                         "=file:///path/to/local/mirror");
    }
    return cache;
}

const std::string& GitCache::url() const noexcept {
    return impl_->url;
}

std::vector<std::string> GitCache::tagNames() const {
    git_strarray names{};
    check(git_tag_list(&names, impl_->repo.get()), "cannot list tags of", impl_->url);
    std::vector<std::string> out(names.strings, names.strings + names.count);
    git_strarray_dispose(&names);
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<std::string> GitCache::tagObject(const std::string& tag) const {
    const git_oid oid = impl_->tagTarget(tag);
    git_odb* rawOdb = nullptr;
    check(git_repository_odb(&rawOdb, impl_->repo.get()), "cannot open objects of", impl_->url);
    Odb odb(rawOdb);
    git_odb_object* raw = nullptr;
    check(git_odb_read(&raw, odb.get(), &oid), "cannot read tag " + quote(tag) + " of", impl_->url);
    OdbObject object(raw);
    if (git_odb_object_type(object.get()) != GIT_OBJECT_TAG) return std::nullopt;
    return std::string(static_cast<const char*>(git_odb_object_data(object.get())),
                       git_odb_object_size(object.get()));
}

std::string GitCache::tagCommit(const std::string& tag) const {
    const git_oid oid = impl_->tagTarget(tag);
    git_object* raw = nullptr;
    check(git_object_lookup(&raw, impl_->repo.get(), &oid, GIT_OBJECT_ANY),
          "cannot read tag " + quote(tag) + " of", impl_->url);
    Object object(raw);
    git_object* peeledRaw = nullptr;
    check(git_object_peel(&peeledRaw, object.get(), GIT_OBJECT_COMMIT),
          "tag " + quote(tag) + " does not point to a commit in", impl_->url);
    Object peeled(peeledRaw);
    return oidHex(*git_object_id(peeled.get()));
}

std::optional<std::string> GitCache::readFile(const std::string& commit,
                                              const std::string& path) const {
    git_oid oid;
    check(git_oid_fromstr(&oid, commit.c_str()), "bad commit id " + quote(commit) + " for",
          impl_->url);
    git_commit* rawCommit = nullptr;
    check(git_commit_lookup(&rawCommit, impl_->repo.get(), &oid),
          "cannot read commit " + quote(commit) + " of", impl_->url);
    Commit commitObject(rawCommit);
    git_tree* rawTree = nullptr;
    check(git_commit_tree(&rawTree, commitObject.get()), "cannot read tree of", impl_->url);
    Tree tree(rawTree);
    git_tree_entry* rawEntry = nullptr;
    if (git_tree_entry_bypath(&rawEntry, tree.get(), path.c_str()) != 0) return std::nullopt;
    TreeEntry entry(rawEntry);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return std::nullopt;
    git_blob* rawBlob = nullptr;
    check(git_blob_lookup(&rawBlob, impl_->repo.get(), git_tree_entry_id(entry.get())),
          "cannot read " + quote(path) + " of", impl_->url);
    Blob blob(rawBlob);
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                       static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

} // namespace xenbuild::fetch
