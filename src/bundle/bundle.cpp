// Finding a finished build and writing its bundle (bundle.hpp).

#include "xenbuild/bundle/bundle.hpp"

#include "xenbuild/builder/build_key.hpp"
#include "xenbuild/builder/output_index.hpp"
#include "xenbuild/bundle/checksums.hpp"
#include "xenbuild/bundle/output_archive.hpp"
#include "xenbuild/bundle/provenance.hpp"
#include "xenbuild/bundle/sbom.hpp"
#include "xenbuild/fetch/signing.hpp"
#include "xenbuild/recipe/recipe_set.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <memory>
#include <optional>

namespace fs = std::filesystem;

namespace xenbuild::bundle {

using Event = util::ProgressEvent;

namespace {

std::string baseName(const recipe::BuildPlan& plan) {
    return plan.pname + "-" + plan.version;
}

// The record's outputs in plan order, each still a valid store entry.
std::vector<builder::OutputInfo> checkedOutputs(const store::Store& store,
                                                const recipe::BuildPlan& plan,
                                                const builder::BuildResult& result,
                                                const std::string& hint) {
    std::vector<builder::OutputInfo> outputs;
    for (const auto& name : plan.outputs) {
        const auto* output = result.output(name);
        if (output == nullptr || !store.lookupChecked(output->path.filename().string())) {
            throw BuildError("the " + name + " output of " + quote(plan.name) +
                             (output != nullptr ? " (" + output->path.string() + ")" : "") +
                             " is no longer in the store" + hint);
        }
        outputs.push_back(*output);
    }
    return outputs;
}

// A file of the bundle, written whole (O_EXCL: the directory is new).
BundleFile writeFile(const fs::path& dir, const std::string& name, const std::string& role,
                     std::string_view content) {
    const fs::path path = dir / name;
    util::Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!out.valid()) throwSystemError("cannot create", path.string());
    util::writeAll(out.get(), content, path);
    if (out.close() != 0) throwSystemError("cannot write", path.string());
    return {.name = name, .role = role, .sha256 = util::sha256(content), .size = content.size()};
}

// `dir` may be replaced: it does not exist, or is an empty directory (removed here).
void clearTarget(const fs::path& dir) {
    std::error_code error;
    const auto status = fs::symlink_status(dir, error);
    if (!fs::exists(status)) return;
    if (!fs::is_directory(status) || !fs::is_empty(dir, error))
        throw UsageError("cannot write the bundle to " + quote(dir.string()) +
                         ": it exists and is not an empty directory; remove it or choose another");
    if (!fs::remove(dir, error) || error)
        throw SystemError("cannot replace " + quote(dir.string()) + ": " + error.message());
}

} // namespace

std::map<std::string, Advisory> advisoriesOf(const recipe::RecipeSet& recipes,
                                             const recipe::BuildPlan& plan) {
    std::map<std::string, Advisory> advisories;
    for (const auto& patch : plan.patches) {
        const auto found = recipes.patches().find(patch.id);
        if (found == recipes.patches().end()) continue;
        const auto& info = found->second;
        if (info.xsa || !info.cves.empty()) advisories[patch.id] = {info.title, info.cves};
    }
    return advisories;
}

std::optional<BuildInfo> findBuild(const store::Store& store, const recipe::BuildPlan& plan,
                                   const builder::BuildOptions& options,
                                   std::map<std::string, Advisory> advisories) {
    const auto inputs = builder::keyInputs(options);
    const builder::OutputIndex index(store);
    auto result = index.newest(builder::planKey(plan, inputs));
    if (!result) return std::nullopt;
    if (result->toolchain.versions.empty() || !result->startedAt || !result->finishedAt) {
        throw BuildError("the build record of " + quote(plan.name) + " (build " + result->key +
                         ") predates bundles: it does not say which toolchain built it or "
                         "when; build it again (a rebuild records both)");
    }
    const std::string hint = "; build it again";
    BuildInfo build;
    build.plan = plan;
    build.result = std::move(*result);
    build.result.outputs = checkedOutputs(store, plan, build.result, hint);
    build.appliedSeries = builder::effectivePlan(plan, options.excludedPatches).patches;
    for (const auto& patch : plan.patches) {
        bool applied = false;
        for (const auto& kept : build.appliedSeries)
            applied = applied || kept.id == patch.id;
        if (!applied) build.excludedPatches.push_back(patch);
    }
    build.overrideHashes = inputs.sourceOverrides;
    build.advisories = std::move(advisories);
    return build;
}

std::string archiveName(const recipe::BuildPlan& plan, const std::string& output) {
    return baseName(plan) + "-" + output + ".tar.zst";
}

std::string sbomName(const recipe::BuildPlan& plan) {
    return baseName(plan) + ".spdx.json";
}

std::string provenanceName(const recipe::BuildPlan& plan) {
    return baseName(plan) + ".intoto.jsonl";
}

Bundle writeBundle(const BuildInfo& build, const fs::path& dir, const BundleOptions& options,
                   util::ProgressObserver& observer) {
    const auto& plan = build.plan;
    const std::string activity = "bundle " + plan.name;
    // The key first: a key that cannot sign fails before minutes of compression.
    std::unique_ptr<fetch::Signer> signer;
    if (!options.signKey.empty())
        signer = std::make_unique<fetch::Signer>(options.signKey, options.signPassphrase);
    fs::path target = fs::absolute(dir).lexically_normal();
    if (!target.has_filename()) target = target.parent_path(); // "DIR/"
    fs::create_directories(target.parent_path());
    util::TempDir work(".bundle-", target.parent_path());
    fs::permissions(work.path(), fs::perms::owner_all | fs::perms::group_read |
                                     fs::perms::group_exec | fs::perms::others_read |
                                     fs::perms::others_exec);

    Bundle bundle;
    const std::int64_t mtime = builder::sourceDateEpoch(plan);
    std::vector<BundleFile> archives;
    for (const auto& output : build.result.outputs) {
        const std::string name = archiveName(plan, output.name);
        observer.onEvent({Event::Kind::Started, activity, "archiving " + name, 0, 0, ""});
        const fs::path file = work.path() / name;
        const util::Hash hash = withContext(
            "while archiving the " + output.name + " output " + quote(output.path.string()),
            [&] { return writeOutputArchive(output.path, file, mtime); });
        archives.push_back({.name = name,
                            .role = "archive",
                            .sha256 = hash,
                            .size = static_cast<std::uint64_t>(fs::file_size(file)),
                            .output = output.name});
    }
    bundle.files = archives;

    observer.onEvent({Event::Kind::Started, activity, "writing SBOM and provenance", 0, 0, ""});
    bundle.files.push_back(writeFile(work.path(), sbomName(plan), "sbom",
                                     spdxDocument(build, archives).dump(2) + "\n"));
    const std::string statement = provenanceStatement(build, archives, options.builderId).dump();
    std::vector<DsseSignature> signatures;
    if (signer) {
        signatures.push_back(
            {signer->fingerprint(),
             signer->signDetached(dssePae(kPayloadType, statement), false, "the provenance")});
        bundle.signer = signer->fingerprint();
    }
    bundle.files.push_back(
        writeFile(work.path(), provenanceName(plan), "provenance",
                  dsseEnvelope(kPayloadType, statement, signatures).dump() + "\n"));
    std::vector<ChecksumLine> lines;
    for (const auto& file : bundle.files)
        lines.push_back({file.name, file.sha256});
    const std::string sums = formatChecksums(lines);
    bundle.files.push_back(writeFile(work.path(), kSumsName, "checksums", sums));
    if (signer) {
        bundle.files.push_back(writeFile(work.path(), kSumsSignatureName, "signature",
                                         signer->signDetached(sums, true, kSumsName)));
    }

    clearTarget(target);
    if (::rename(work.path().c_str(), target.c_str()) != 0)
        throwSystemError("cannot move the bundle into place at", target.string());
    work.release();
    bundle.dir = target;
    observer.onEvent({Event::Kind::Finished, activity, "bundled " + plan.name, 0, 0, ""});
    return bundle;
}

} // namespace xenbuild::bundle
