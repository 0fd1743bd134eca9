#pragma once
// A Xen-shaped upstream built at test time for the updater: xen.git with RELEASE-x.y.z tags
// signed by the test key (Config.mk, the etherboot Makefile and SUPPORT.md in each tagged
// tree), component repositories with tags, a recipe directory whose builder points at them
// through file:// URLs (and whose patches.json holds only the patches a test adds), and a
// store. Everything lives in one temporary directory.

#include "support/fixtures.hpp"
#include "unit/fetch/gpg_fixture.hpp"
#include "xenbuild/recipe/recipe_set.hpp"

#include <map>
#include <string>
#include <vector>

namespace xenbuild::testing {

struct XenRelease {
    std::string version;    // "4.19.1"
    std::string qemuTag;    // QEMU_UPSTREAM_REVISION (a tag of the qemu repository)
    std::string seabiosTag; // SEABIOS_UPSTREAM_TAG, referenced by the REVISION
    std::string ovmfCommit; // OVMF_UPSTREAM_REVISION (a commit id)
    std::string ipxeCommit; // IPXE_GIT_TAG
    std::string securityUntil = "2030-01-01";
    std::string fixFile; // content of xen/fix.c (for patches contained in a release)
    enum class Signing { Signer, Other, Unsigned, Lightweight } signing = Signing::Signer;
};

class Upstream {
  public:
    Upstream();

    const xenbuild::testing::GpgFixture& keys;
    TempDir dir;
    fs::path git;     // dir/git
    fs::path recipes; // dir/recipes (xen/*.json)
    fs::path store;   // dir/store

    fs::path repo(const std::string& name) const { return git / name; }
    std::string url(const std::string& name) const { return "file://" + repo(name).string(); }

    // A commit on `component`'s repository, optionally tagged (annotated); returns its id.
    std::string componentCommit(const std::string& component, const std::string& tag = "");
    // A commit on xen.git with the release's files, tagged RELEASE-<version> as asked.
    std::string release(const XenRelease& release);
    // Writes recipes/xen/<branch>.json with placeholder revs (all zeros) and hashes, so that
    // the first update replaces every pin. Every patch of patches.json applies to it.
    void seedBranch(const std::string& branch, const std::string& version);
    // Points the builder's sources at urlPrefix + name instead (for mirror tests).
    void setSourceUrls(const std::string& urlPrefix);
    // Adds an upstream patch to recipes/xen/patches.json, served from dir/xsa/<file>.
    void addUpstreamPatch(const std::string& id, int xsa, const std::string& file,
                          const std::string& content);

    std::string readRecipe(const std::string& name) const;
    // The contents of every file under recipes/xen, for "nothing written" checks.
    std::map<std::string, std::string> snapshot() const;

  private:
    std::string git_(const fs::path& repo, std::vector<std::string> args) const;
    std::vector<std::pair<std::string, std::string>> extraPatches_; // id -> json entry text
    void writePatchesFile() const;
};

// A minimal valid release on top of the standard components: qemu-xen-<version>, rel-1.16.3.
XenRelease standardRelease(Upstream& upstream, const std::string& version);

} // namespace xenbuild::testing
