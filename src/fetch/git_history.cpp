// Another revision of a local work tree, read with libgit2 (nothing is checked out).

#include "xenbuild/fetch/git_history.hpp"

#include "fetch/git_handles.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <algorithm>
#include <set>

namespace fs = std::filesystem;

namespace xenbuild::fetch {

using namespace detail;

namespace {

using Diff = std::unique_ptr<git_diff, GitFree<git_diff, git_diff_free>>;

std::string lastMessage() {
    const git_error* error = git_error_last();
    return error != nullptr && error->message != nullptr ? error->message : "unknown libgit2 error";
}

struct Entry {
    std::string path; // relative to the walked tree
    git_oid oid;
    git_filemode_t mode;
};

int collect(const char* root, const git_tree_entry* entry, void* payload) {
    auto& entries = *static_cast<std::vector<Entry>*>(payload);
    const git_filemode_t mode = git_tree_entry_filemode(entry);
    if (mode == GIT_FILEMODE_TREE) return 0;
    entries.push_back(
        {std::string(root) + git_tree_entry_name(entry), *git_tree_entry_id(entry), mode});
    return 0;
}

} // namespace

struct GitHistory::Impl {
    LibGit2 library;
    Repo repo;
    fs::path workTree;

    Commit commit(const std::string& id) const {
        git_oid oid{};
        check(git_oid_fromstr(&oid, id.c_str()), "not a commit id:", id);
        git_commit* raw = nullptr;
        check(git_commit_lookup(&raw, repo.get(), &oid), "cannot read commit",
              id + " of " + workTree.string());
        return Commit(raw);
    }

    Tree treeOf(const std::string& id) const {
        const Commit found = commit(id);
        git_tree* raw = nullptr;
        check(git_commit_tree(&raw, found.get()), "cannot read the tree of commit", id);
        return Tree(raw);
    }
};

GitHistory::GitHistory(const fs::path& path) : impl_(std::make_unique<Impl>()) {
    const fs::path start = fs::absolute(path).lexically_normal();
    git_repository* raw = nullptr;
    const int rc = git_repository_open_ext(&raw, start.c_str(), 0, nullptr);
    if (rc == GIT_ENOTFOUND) {
        throw UsageError(quote(path.string()) + " is not in a git work tree: comparing with " +
                         mention(Setting::BaseRevision) +
                         " needs the recipes checked out from git (with their history)");
    }
    check(rc, "cannot open the git repository of", path.string());
    impl_->repo.reset(raw);
    const char* workdir = git_repository_workdir(raw);
    if (workdir == nullptr) {
        throw UsageError(quote(path.string()) + " is in a bare git repository, not a work tree: " +
                         mention(Setting::BaseRevision) + " needs the recipes checked out");
    }
    std::error_code error;
    impl_->workTree = fs::canonical(workdir, error);
    if (error) {
        throw SystemError("cannot use the git work tree " + quote(workdir) + ": " +
                          util::describeFileError(workdir, error));
    }
}

GitHistory::~GitHistory() = default;
GitHistory::GitHistory(GitHistory&&) noexcept = default;
GitHistory& GitHistory::operator=(GitHistory&&) noexcept = default;

const fs::path& GitHistory::workTree() const {
    return impl_->workTree;
}

fs::path GitHistory::relativePath(const fs::path& path) const {
    std::error_code error;
    const fs::path full = fs::weakly_canonical(fs::absolute(path), error);
    if (error) {
        throw SystemError("cannot resolve " + quote(path.string()) + ": " +
                          util::describeFileError(path, error));
    }
    fs::path relative = full.lexically_relative(impl_->workTree);
    if (relative.empty() || *relative.begin() == "..") {
        throw UsageError(quote(path.string()) + " is outside the git work tree " +
                         quote(impl_->workTree.string()));
    }
    return relative;
}

std::string GitHistory::resolveCommit(const std::string& rev) const {
    const std::string where = " of the git repository " + quote(impl_->workTree.string());
    if (rev.empty() || rev.front() == '-') {
        throw UsageError(mention(Setting::BaseRevision) + " " + quote(rev) +
                         " is no revision name (give a commit id, branch or tag" + where + ")");
    }
    git_object* raw = nullptr;
    if (git_revparse_single(&raw, impl_->repo.get(), rev.c_str()) != 0) {
        throw UsageError(mention(Setting::BaseRevision) + " " + quote(rev) + " names no commit" +
                         where + " (" + lastMessage() +
                         "); give a commit id, branch or tag it has (a shallow clone, as CI "
                         "systems make by default, may lack it: fetch the history first)");
    }
    const Object object(raw);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) != 0) {
        throw UsageError(mention(Setting::BaseRevision) + " " + quote(rev) + " names no commit" +
                         where + " (it names a " +
                         git_object_type2string(git_object_type(object.get())) + ")");
    }
    const Object commit(peeled);
    return oidHex(*git_object_id(commit.get()));
}

std::map<fs::path, std::string> GitHistory::filesAt(const std::string& commit, const fs::path& dir,
                                                    std::uint64_t maxBytes) const {
    const Tree root = impl_->treeOf(commit);
    Tree sub;
    const git_tree* walked = root.get();
    const std::string prefix = dir.lexically_normal().generic_string();
    if (prefix != "." && !prefix.empty()) {
        git_tree_entry* raw = nullptr;
        const int rc = git_tree_entry_bypath(&raw, root.get(), prefix.c_str());
        if (rc == GIT_ENOTFOUND) return {};
        check(rc, "cannot read " + quote(prefix) + " in commit", commit);
        const TreeEntry entry(raw);
        if (git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return {};
        git_object* object = nullptr;
        check(git_tree_entry_to_object(&object, impl_->repo.get(), entry.get()),
              "cannot read " + quote(prefix) + " in commit", commit);
        sub.reset(reinterpret_cast<git_tree*>(object));
        walked = sub.get();
    }
    std::vector<Entry> entries;
    check(git_tree_walk(walked, GIT_TREEWALK_PRE, collect, &entries), "cannot list the tree of",
          prefix + " in commit " + commit);
    std::map<fs::path, std::string> files;
    const std::string where = " in commit " + commit.substr(0, 12);
    for (const auto& entry : entries) {
        const std::string name = (prefix == "." || prefix.empty() ? "" : prefix + "/") + entry.path;
        if (entry.mode == GIT_FILEMODE_LINK) {
            throw ParseError(quote(name) + where +
                             " is a symbolic link: only regular files are read from a revision");
        }
        if (entry.mode == GIT_FILEMODE_COMMIT) {
            throw ParseError(quote(name) + where +
                             " is a submodule: only regular files are read from a revision");
        }
        git_blob* raw = nullptr;
        check(git_blob_lookup(&raw, impl_->repo.get(), &entry.oid), "cannot read", name + where);
        const Blob blob(raw);
        const auto size = static_cast<std::uint64_t>(git_blob_rawsize(blob.get()));
        if (size > maxBytes) {
            throw ParseError(quote(name) + where + " is larger than the limit of " +
                             util::formatSize(maxBytes));
        }
        files.emplace(fs::path(entry.path),
                      std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                  static_cast<std::size_t>(size)));
    }
    return files;
}

std::vector<std::string> GitHistory::changedSince(const std::string& commit,
                                                  const std::vector<std::string>& paths) const {
    if (paths.empty()) return {};
    const Tree tree = impl_->treeOf(commit);
    std::vector<char*> specs;
    specs.reserve(paths.size());
    for (const auto& path : paths)
        specs.push_back(const_cast<char*>(path.c_str()));
    git_diff_options options = GIT_DIFF_OPTIONS_INIT;
    options.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS;
    options.pathspec = {specs.data(), specs.size()};
    git_diff* raw = nullptr;
    check(git_diff_tree_to_workdir_with_index(&raw, impl_->repo.get(), tree.get(), &options),
          "cannot compare the work tree with commit", commit);
    const Diff diff(raw);
    std::set<std::string> changed;
    const std::size_t count = git_diff_num_deltas(diff.get());
    for (std::size_t i = 0; i < count; ++i) {
        const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
        const char* path =
            delta->new_file.path != nullptr ? delta->new_file.path : delta->old_file.path;
        if (path != nullptr) changed.insert(path);
    }
    return {changed.begin(), changed.end()};
}

} // namespace xenbuild::fetch
