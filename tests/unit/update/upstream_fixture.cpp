#include "unit/update/upstream_fixture.hpp"
#include "support/files.hpp"
#include "support/test_paths.hpp"

#include "xenbuild/recipe/branch_file.hpp"
#include "xenbuild/util/date.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace xenbuild::testing {

namespace {

const std::string kZeros(40, '0');
const std::string kZeroHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const fs::path kProjectRecipes = fs::path(::xenbuild::testing::sourceDir()) / "recipes" / "xen";

std::string configMk(const XenRelease& r) {
    return "# Xen's Config.mk (abridged)\n"
           "QEMU_UPSTREAM_URL ?= git://xenbits.xen.org/qemu-xen.git\n"
           "QEMU_UPSTREAM_REVISION ?= " +
           r.qemuTag +
           "\n"
           "SEABIOS_UPSTREAM_URL ?= git://xenbits.xen.org/seabios.git\n"
           "SEABIOS_UPSTREAM_TAG ?= " +
           r.seabiosTag +
           " # the release's SeaBIOS\n"
           "SEABIOS_UPSTREAM_REVISION ?= $(SEABIOS_UPSTREAM_TAG)\n"
           "OVMF_UPSTREAM_REVISION ?= " +
           r.ovmfCommit +
           "\n"
           "MINIOS_UPSTREAM_REVISION ?= xen-RELEASE-" +
           r.version + "\n";
}

std::string supportMd(const XenRelease& r) {
    const std::string branch = r.version.substr(0, r.version.rfind('.'));
    return "# Support statement for this release\n\n"
           "    Xen-Version: " +
           branch +
           "\n"
           "    Initial-Release: 2024-07-29\n"
           "    Supported-Until: 2026-01-29\n"
           "    Security-Support-Until: " +
           r.securityUntil + "\n";
}

} // namespace

Upstream::Upstream()
    : keys(xenbuild::testing::GpgFixture::instance()), git(dir / "git"), recipes(dir / "recipes"),
      store(dir / "store") {
    fs::create_directories(recipes / "xen");
    for (const char* file : {"variants.json", "host-profile.json"})
        fs::copy_file(kProjectRecipes / file, recipes / "xen" / file);
    setSourceUrls("");
    writePatchesFile();
    fs::create_directories(repo("xen"));
    git_(repo("xen"), {"init", "-q", "-b", "main"});
    for (const char* component : {"qemu", "seabios", "ovmf", "ipxe"}) {
        fs::create_directories(repo(component));
        git_(repo(component), {"init", "-q", "-b", "main"});
        componentCommit(component);
    }
}

std::string Upstream::git_(const fs::path& repo, std::vector<std::string> args) const {
    return trim(keys.git(repo, std::move(args)));
}

std::string Upstream::componentCommit(const std::string& component, const std::string& tag) {
    static int counter = 0; // test support: distinct contents for every commit
    writeFile(repo(component) / "README",
              component + " change " + std::to_string(++counter) + "\n");
    git_(repo(component), {"add", "-A"});
    git_(repo(component), {"commit", "-q", "-m", component + " " + std::to_string(counter)});
    if (!tag.empty()) git_(repo(component), {"tag", "-a", "-m", tag, tag});
    return git_(repo(component), {"rev-parse", "HEAD"});
}

std::string Upstream::release(const XenRelease& r) {
    const fs::path xen = repo("xen");
    writeFile(xen / "Config.mk", configMk(r));
    writeFile(xen / "tools/firmware/etherboot/Makefile",
              "IPXE_GIT_URL ?= git://git.ipxe.org/ipxe.git\nIPXE_GIT_TAG := " + r.ipxeCommit +
                  "\n");
    writeFile(xen / "SUPPORT.md", supportMd(r));
    writeFile(xen / "xen/fix.c", r.fixFile.empty() ? "int fix = 0;\n" : r.fixFile);
    writeFile(xen / "xen/version", r.version + "\n");
    git_(xen, {"add", "-A"});
    git_(xen, {"commit", "-q", "-m", "Update to " + r.version});
    const std::string tag = "RELEASE-" + r.version;
    using Signing = XenRelease::Signing;
    switch (r.signing) {
    case Signing::Signer:
        git_(xen, {"tag", "-s", "-u", keys.signer.fingerprint, "-m", "Xen " + r.version, tag});
        break;
    case Signing::Other:
        git_(xen, {"tag", "-s", "-u", keys.other.fingerprint, "-m", "Xen " + r.version, tag});
        break;
    case Signing::Unsigned:
        git_(xen, {"tag", "-a", "-m", "Xen " + r.version, tag});
        break;
    case Signing::Lightweight:
        git_(xen, {"tag", tag});
        break;
    }
    return git_(xen, {"rev-parse", "HEAD"});
}

void Upstream::seedBranch(const std::string& branch, const std::string& version) {
    xenbuild::recipe::BranchFile file;
    file.branch = branch;
    file.version = version;
    for (const char* name : {"xen", "qemu", "seabios", "ovmf", "ipxe"})
        file.sources.emplace_back(name,
                                  xenbuild::recipe::SourceEntry{.rev = kZeros, .hash = kZeroHash});
    file.support = {.initialRelease = *xenbuild::util::parseDate("2024-07-29"),
                    .supportedUntil = *xenbuild::util::parseDate("2026-01-29"),
                    .securitySupportUntil = *xenbuild::util::parseDate("2027-07-29")};
    xenbuild::recipe::writeBranchFile(recipes / "xen" / (branch + ".json"), file);
}

void Upstream::setSourceUrls(const std::string& urlPrefix) {
    auto builder =
        nlohmann::json::parse(readFile(kProjectRecipes / "builder.json"), nullptr, true, true);
    for (auto& source : builder["sources"]) {
        const auto name = source["name"].get<std::string>();
        source["url"] = urlPrefix.empty() ? url(name) : urlPrefix + name;
    }
    writeFile(recipes / "xen" / "builder.json", builder.dump(2) + "\n");
}

void Upstream::addUpstreamPatch(const std::string& id, int xsa, const std::string& file,
                                const std::string& content) {
    writeFile(dir / "xsa" / file, content);
    nlohmann::ordered_json entry = {
        {"id", id},
        {"project", "xen"},
        {"xsa", xsa},
        {"url", "file://" + (dir / "xsa" / file).string()},
        {"sha256", trim(runOk("sha256sum " + shellQuote((dir / "xsa" / file).string()) +
                              " | cut -d' ' -f1"))},
        {"title", "Test patch " + id}};
    extraPatches_.emplace_back(id, entry.dump());
    writePatchesFile();
}

void Upstream::writePatchesFile() const {
    const std::string text = readFile(kProjectRecipes / "patches.json");
    const auto brace = text.find('{');
    auto body = nlohmann::ordered_json::parse(text.substr(brace), nullptr, true, true);
    body["patches"] = nlohmann::ordered_json::array(); // the project's are fetched from the net
    for (const auto& [id, entry] : extraPatches_)
        body["patches"].push_back(nlohmann::ordered_json::parse(entry));
    writeFile(recipes / "xen" / "patches.json", text.substr(0, brace) + body.dump(2) + "\n");
}

std::string Upstream::readRecipe(const std::string& name) const {
    return readFile(recipes / "xen" / name);
}

std::map<std::string, std::string> Upstream::snapshot() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(recipes / "xen"))
        files[entry.path().filename().string()] = readFile(entry.path());
    return files;
}

XenRelease standardRelease(Upstream& upstream, const std::string& version) {
    XenRelease r;
    r.version = version;
    r.qemuTag = "qemu-xen-" + version;
    upstream.componentCommit("qemu", r.qemuTag);
    r.seabiosTag = "rel-1.16.3";
    // rel-1.16.3 is made once and reused by later releases.
    const std::string seabiosTags = trim(upstream.keys.git(upstream.repo("seabios"), {"tag"}));
    if (seabiosTags.find("rel-1.16.3") == std::string::npos) {
        upstream.componentCommit("seabios", "rel-1.16.3");
    }
    r.ovmfCommit = trim(upstream.keys.git(upstream.repo("ovmf"), {"rev-parse", "HEAD"}));
    r.ipxeCommit = trim(upstream.keys.git(upstream.repo("ipxe"), {"rev-parse", "HEAD"}));
    return r;
}

} // namespace xenbuild::testing
