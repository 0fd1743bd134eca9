// Remote ref listing and read access to the bare git caches, with libgit2.

#include "xenbuild/fetch/git_cache.hpp"

#include "fetch/git_handles.hpp"
#include "xenbuild/fetch/fetch.hpp"
#include "xenbuild/fetch/mirrors.hpp"
#include "xenbuild/store/lock.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/log.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <unistd.h>

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
            refs[name] = {.name = name, .target = id, .commit = id};
        }
    }
    std::vector<RemoteRef> out;
    for (auto& [name, ref] : refs) {
        if (auto found = peeled.find(name); found != peeled.end()) ref.commit = found->second;
        out.push_back(std::move(ref));
    }
    return out;
}

std::string lastGitError() {
    const git_error* error = git_error_last();
    return error != nullptr && error->message != nullptr ? error->message : "unknown error";
}

// A loose object must be one complete zlib stream. (libgit2 1.5 loops forever on a truncated
// one, libgit2 issue 7342, so this is checked before libgit2 reads any.)
bool completeZlibStream(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK) return false;
    std::array<unsigned char, 16384> input{};
    std::array<unsigned char, 65536> output{};
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        in.read(reinterpret_cast<char*>(input.data()), static_cast<std::streamsize>(input.size()));
        const auto got = static_cast<unsigned>(in.gcount());
        if (got == 0) break; // input ended before the stream did
        stream.next_in = input.data();
        stream.avail_in = got;
        do {
            stream.next_out = output.data();
            stream.avail_out = static_cast<unsigned>(output.size());
            rc = inflate(&stream, Z_NO_FLUSH);
        } while (rc == Z_OK && stream.avail_in > 0);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
    }
    inflateEnd(&stream);
    return rc == Z_STREAM_END;
}

std::string readBytes(const fs::path& file, std::uintmax_t offset, std::size_t length) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes(length, '\0');
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(bytes.data(), static_cast<std::streamsize>(length));
    return in.gcount() == static_cast<std::streamsize>(length) ? bytes : std::string();
}

// A pack must start with "PACK", have its index, and end with the checksum its index records.
std::optional<std::string> packDamage(const fs::path& pack) {
    const fs::path index = fs::path(pack).replace_extension(".idx");
    std::error_code error;
    const auto packSize = fs::file_size(pack, error);
    if (error || packSize < 32 || readBytes(pack, 0, 4) != "PACK") {
        return "pack " + pack.filename().string() + " is truncated or damaged";
    }
    const auto indexSize = fs::file_size(index, error);
    if (error) return "pack " + pack.filename().string() + " has no index";
    const std::string recorded = indexSize >= 48 ? readBytes(index, indexSize - 40, 20) : "";
    if (recorded.empty() || recorded != readBytes(pack, packSize - 20, 20)) {
        return "pack " + pack.filename().string() + " does not match its index (truncated?)";
    }
    return std::nullopt;
}

// What is wrong with the bare cache at `path`, cheaply (no object is read through libgit2).
std::optional<std::string> cacheDamage(const fs::path& path) {
    std::error_code error;
    const auto status = fs::symlink_status(path, error);
    if (!fs::exists(status)) return std::nullopt; // no cache yet
    if (!fs::is_directory(status)) return "it is not a directory";
    if (!fs::exists(path / "HEAD", error)) {
        if (fs::is_empty(path, error)) return std::nullopt;
        return "HEAD is missing";
    }
    git_repository* raw = nullptr;
    if (git_repository_open_bare(&raw, path.c_str()) != 0) {
        return "it cannot be opened: " + lastGitError();
    }
    Repo repo(raw);
    git_reference* headRaw = nullptr;
    if (git_reference_lookup(&headRaw, repo.get(), "HEAD") != 0) {
        return "HEAD is unreadable: " + lastGitError();
    }
    Reference head(headRaw);
    int valid = 0;
    if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC &&
        (git_reference_name_is_valid(&valid, git_reference_symbolic_target(head.get())) != 0 ||
         valid == 0)) {
        return "HEAD names an invalid reference";
    }
    git_odb* odbRaw = nullptr;
    if (git_repository_odb(&odbRaw, repo.get()) != 0) {
        return "its objects cannot be opened: " + lastGitError();
    }
    Odb odb(odbRaw);
    for (const auto& dir : fs::directory_iterator(path / "objects", error)) {
        const std::string name = dir.path().filename().string();
        if (name.size() != 2 || !std::isxdigit(static_cast<unsigned char>(name[0])) ||
            !std::isxdigit(static_cast<unsigned char>(name[1]))) {
            continue;
        }
        for (const auto& object : fs::directory_iterator(dir.path(), error)) {
            if (!completeZlibStream(object.path())) {
                return "object " + name + object.path().filename().string() +
                       " is truncated or damaged";
            }
        }
    }
    for (const auto& file : fs::directory_iterator(path / "objects" / "pack", error)) {
        if (file.path().extension() != ".pack") continue;
        if (auto damage = packDamage(file.path())) return damage;
    }
    git_reference_iterator* iteratorRaw = nullptr;
    if (git_reference_iterator_new(&iteratorRaw, repo.get()) != 0) {
        return "its references are unreadable: " + lastGitError();
    }
    std::unique_ptr<git_reference_iterator,
                    GitFree<git_reference_iterator, git_reference_iterator_free>>
        iterator(iteratorRaw);
    for (;;) {
        git_reference* refRaw = nullptr;
        const int rc = git_reference_next(&refRaw, iterator.get());
        if (rc == GIT_ITEROVER) break;
        if (rc != 0) return "its references are unreadable: " + lastGitError();
        Reference ref(refRaw);
        const git_oid* target = git_reference_target(ref.get());
        if (target != nullptr && git_odb_exists(odb.get(), target) == 0) {
            return "reference " + std::string(git_reference_name(ref.get())) +
                   " points to the missing object " + oidHex(*target);
        }
    }
    return std::nullopt;
}

// Moves the cache aside (atomically, under its lock) and deletes it. A process killed meanwhile
// leaves a temporary that the next Store::open sweeps.
void discardCache(const store::Store& store, const fs::path& path) {
    const fs::path aside =
        store.dir() / ".tmp" /
        ("git-" + path.filename().string() + "~" + std::to_string(::getpid()) + "~discard");
    std::error_code error;
    fs::rename(path, aside, error);
    if (error) {
        throw FetchError("cannot discard the damaged git cache " + quote(path.string()) + ": " +
                         error.message() + "; delete it by hand");
    }
    util::removeReadOnly(aside);
}

} // namespace

Repo detail::useCache(const store::Store& store, const std::string& url,
                      const std::function<void(git_repository*)>& use,
                      const std::function<void()>& beforeRetry) {
    const fs::path path = store.gitCacheDir(url);
    std::optional<std::string> damage = cacheDamage(path);
    if (!damage) {
        Repo repo = openCache(path);
        try {
            use(repo.get());
            return repo;
        } catch (const GitDataError& e) {
            damage = e.what();
        }
        if (beforeRetry) beforeRetry();
    }
    util::logger()->warn("the git cache {} of {} is damaged ({}); discarding it and fetching "
                         "again",
                         path.string(), url, *damage);
    discardCache(store, path);
    return withContext("after discarding the damaged git cache " + quote(path.string()) + " of " +
                           quote(url) + " (" + *damage + ")",
                       [&] {
                           Repo repo = openCache(path);
                           use(repo.get());
                           return repo;
                       });
}

std::vector<RemoteRef> listRemoteRefs(const std::string& url, const FetchOptions& options) {
    const std::string effective = options.mirrors.rewrite(url);
    if (options.offline && !isLocalUrl(effective)) {
        throw FetchError("offline mode: cannot list the tags of " + quote(url) +
                         "; rerun without " + mention(Setting::Offline) + ", or add " +
                         mention(Setting::Mirror) + " " + url + "=file:///path/to/local/mirror");
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
        impl->repo = useCache(store, url, [&](git_repository* repo) {
            if (!options.offline || isLocalUrl(effective)) {
                const GitContext context{store, options, observer, "fetch " + urlBaseName(url)};
                fetchInto(repo, effective, context);
            }
        });
    }
    GitCache cache(std::move(impl));
    if (options.offline && cache.tagNames().empty()) {
        throw FetchError("offline mode: the git cache of " + quote(url) +
                         " holds no tags; rerun without " + mention(Setting::Offline) +
                         ", or add " + mention(Setting::Mirror) + " " + url +
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
