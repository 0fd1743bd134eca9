// Executor steps after staging: configure and make in the sandbox, checks, and moving the
// outputs into the store (or, with --rebuild, comparing them with the ones already there).

#include "checks.hpp"
#include "command_progress.hpp"
#include "compiler_cache_mount.hpp"
#include "component_times.hpp"
#include "xenbuild/builder/build_key.hpp"
#include "xenbuild/builder/executor.hpp"
#include "xenbuild/builder/pe.hpp"
#include "xenbuild/builder/toolchain.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/store/outputs.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fault_point.hpp"
#include "xenbuild/util/temp_dir.hpp"

#include <algorithm>
#include <fstream>
#include <optional>

namespace fs = std::filesystem;

namespace xenbuild::builder {

using Event = util::ProgressEvent;

namespace {

std::vector<std::string> substituteAll(const std::vector<std::string>& items,
                                       const std::map<std::string, fs::path>& outputs) {
    std::vector<std::string> result;
    result.reserve(items.size());
    for (const auto& item : items)
        result.push_back(detail::substituteOutputs(item, outputs));
    return result;
}

// The recipe checks for a PE32+ image (xen.efi): the linker must be able to make one.
bool withEfi(const recipe::BuildPlan& plan) {
    return std::any_of(plan.checks.begin(), plan.checks.end(), [](const recipe::Check& check) {
        return check.kind() == recipe::CheckKind::Pe32Plus;
    });
}

// Relative path -> content hash of every file under `root` (symlink targets for links).
std::map<std::string, std::string> fileDigests(const fs::path& root) {
    std::map<std::string, std::string> digests;
    if (!fs::exists(root)) return digests;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        const auto relative = it->path().lexically_relative(root).string();
        if (it->is_symlink()) {
            digests[relative] = "-> " + fs::read_symlink(it->path()).string();
        } else if (it->is_regular_file()) {
            digests[relative] = util::sha256File(it->path()).hex();
        }
    }
    return digests;
}

std::vector<std::string> differingFiles(const std::string& output, const fs::path& before,
                                        const fs::path& after) {
    const auto old = fileDigests(before);
    const auto now = fileDigests(after);
    std::vector<std::string> differing;
    for (const auto& [path, digest] : now) {
        const auto found = old.find(path);
        if (found == old.end()) {
            differing.push_back(output + ": " + path + " (new)");
        } else if (found->second != digest) {
            differing.push_back(output + ": " + path);
        }
    }
    for (const auto& [path, digest] : old) {
        if (now.count(path) == 0) differing.push_back(output + ": " + path + " (gone)");
    }
    return differing;
}

// How long `step` took in the package's previous build; 0 when unknown.
double expectedSeconds(const BuildResult* previous, const std::string& step) {
    if (previous == nullptr) return 0;
    const auto found = previous->stepSeconds.find(step);
    return found == previous->stepSeconds.end() ? 0 : found->second;
}

// Host files the plan names (slim builds' firmware and QEMU paths from the host profile) must
// be visible in the sandbox, read-only; /usr already is (and is the default install prefix, a
// path of the target host that no build reads).
std::vector<fs::path> hostPathsOf(const recipe::BuildPlan& plan) {
    std::vector<fs::path> dirs;
    for (const auto& [name, value] : plan.args) {
        const auto* text = std::get_if<std::string>(&value);
        if (text == nullptr) continue;
        const fs::path path = *text;
        std::error_code error;
        if (!path.is_absolute() || !fs::exists(path, error) || path == "/usr" ||
            path.string().rfind("/usr/", 0) == 0) {
            continue;
        }
        dirs.push_back(fs::is_directory(path, error) ? path : path.parent_path());
    }
    std::sort(dirs.begin(), dirs.end());
    dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
    return dirs;
}

} // namespace

void Executor::runCommands(const recipe::BuildPlan& plan, const fs::path& srcDir,
                           const std::map<std::string, fs::path>& finalPaths, BuildResult& result,
                           const std::string& activity, const BuildResult* previous) {
    util::Environment env;
    for (const auto& [name, value] : plan.env)
        env[name] = detail::substituteOutputs(value, finalPaths);
    if (withEfi(plan)) requirePeLinker("ld", util::Environment{{"PATH", kBuildPath}});

    if (plan.makeTargets.empty()) {
        throw BuildError("the plan has no makeTargets: the builder definition must name the make "
                         "targets that build and install into dist/install");
    }
    std::vector<std::string> configure = {"./configure"};
    for (const auto& flag : substituteAll(plan.configureFlags, finalPaths))
        configure.push_back(flag);
    std::vector<std::string> make = {"make", "-j" + std::to_string(options_.cores)};
    for (const auto& flag : substituteAll(plan.makeFlags, finalPaths))
        make.push_back(flag);
    for (const auto& target : plan.makeTargets)
        make.push_back(target);

    // The sandbox's per-run helper files go to the store's .tmp under the build's name, not to
    // /tmp: the next Store::open sweeps what a killed build leaves (the build's lock is free).
    const util::TempDir scratch("build-" + result.key + "~sandbox-", store_.dir() / ".tmp");
    // With --ccache, the toolchain's compiler cache; this build's stats log goes to the build
    // directory (/build in the namespace sandbox).
    std::optional<detail::CompilerCacheMount> compilerCache;
    if (options_.ccache) {
        const bool isolated = sandbox_.mode() == sandbox::Mode::Namespaces;
        compilerCache.emplace(store_, toolchain_, srcDir.parent_path(),
                              isolated ? fs::path("/build") : fs::path(), options_.ccacheMaxBytes);
    }
    for (const auto& [phase, argv] : {std::pair{"configure", configure}, std::pair{"make", make}}) {
        result.failedStep = phase; // until the build succeeds: the step running
        checkCancelled(std::string("running ") + phase);
        util::faultPoint(std::string("build:") + phase);
        Event started{Event::Kind::Started, activity, std::string("running ") + phase, 0, 0, ""};
        started.expectedSeconds = expectedSeconds(previous, phase);
        observer_.onEvent(started);
        detail::CommandProgress progress(observer_, activity, started.expectedSeconds,
                                         progressTick_);
        const bool isolated = sandbox_.mode() == sandbox::Mode::Namespaces;
        const fs::path treeDir = isolated ? fs::path("/build") / srcDir.filename() : srcDir;
        detail::ComponentClock components(plan.sources, treeDir);
        auto onLine = [&](util::OutputStream, std::string_view line) {
            observer_.onEvent({Event::Kind::Message, activity, std::string(line), 0, 0, "line"});
            progress.onLine(line);
            components.onLine(line, progress.elapsedSeconds());
        };
        sandbox::RunSpec spec;
        spec.argv = argv;
        // The build directory is mounted at /build whatever its host path, so paths the
        // build embeds (assertions' __FILE__, debug info) are the same on every machine.
        spec.workDir = srcDir.parent_path();
        if (isolated) spec.workDirInside = "/build";
        spec.cwd = treeDir;
        spec.env = env;
        if (compilerCache) compilerCache->apply(spec);
        spec.readOnlyDirs = hostPathsOf(plan);
        spec.timeout = options_.timeout;
        spec.logFile = result.log;
        spec.cancel = options_.cancel;
        spec.scratchDir = scratch.path();
        const auto run = sandbox_.run(spec, onLine);
        result.stepSeconds[phase] = progress.elapsedSeconds();
        if (std::string_view(phase) == "make") {
            result.componentTimes = components.spans();
            if (!result.componentTimes.empty()) {
                std::ofstream(result.log, std::ios::app)
                    << "xenbuild: make time per component (first to last line naming its "
                       "directory): "
                    << detail::describeSpans(result.componentTimes) << "\n";
            }
        }
        if (compilerCache) result.ccache = compilerCache->stats();
        if (!run.success()) {
            throw BuildError(std::string(phase) + " failed: " + run.describeFailure(argv) +
                             "\nfull log: " + result.log.string());
        }
    }
}

void Executor::runChecks(const recipe::BuildPlan& plan,
                         const std::map<std::string, fs::path>& staged,
                         const std::map<std::string, fs::path>& roots, const fs::path& buildDir,
                         BuildResult& result) {
    observer_.onEvent({Event::Kind::Started, "build " + plan.name, "checking outputs", 0, 0, ""});
    detail::CheckContext context{.staged = staged};
    for (const auto& source : plan.sources) {
        const auto root = roots.find(source.name);
        const auto overridden = options_.sourceOverrides.find(source.name);
        context.sources[source.name] = {.root = root == roots.end() ? fs::path() : root->second,
                                        .revision = source.tag.empty() ? source.rev : source.tag,
                                        .overriddenBy = overridden == options_.sourceOverrides.end()
                                                            ? fs::path()
                                                            : overridden->second};
    }
    // Programs of the outputs (QEMU's --version) run in the build's sandbox, the staged outputs
    // visible read-only, a scratch directory of the build directory writable.
    const fs::path scratch = buildDir / "check-scratch";
    fs::create_directories(scratch);
    std::vector<fs::path> outputDirs;
    for (const auto& [name, dir] : staged) {
        if (fs::is_directory(dir.parent_path())) outputDirs.push_back(dir.parent_path());
    }
    std::sort(outputDirs.begin(), outputDirs.end());
    outputDirs.erase(std::unique(outputDirs.begin(), outputDirs.end()), outputDirs.end());
    // The sandbox's helper files under the build's name in the store's .tmp, as for make.
    const util::TempDir helpers("build-" + result.key + "~sandbox-", store_.dir() / ".tmp");
    context.runProgram = detail::sandboxRunner(sandbox_, {.workDir = scratch,
                                                          .readOnlyDirs = outputDirs,
                                                          .logFile = result.log,
                                                          .scratchDir = helpers.path(),
                                                          .cancel = options_.cancel});
    std::string failures;
    auto note = [&](CheckResult outcome) {
        if (!outcome.passed) failures += "\n  " + outcome.kind + ": " + outcome.detail;
        result.checks.push_back(std::move(outcome));
    };
    for (const auto& check : plan.checks)
        note(detail::runCheck(check, context));
    // With --ccache in the namespace sandbox, the build saw the cache at a path of its own.
    const bool movedCache = options_.ccache && sandbox_.mode() == sandbox::Mode::Namespaces;
    note(detail::checkNoStoreReferences(staged, plan.outputs, store_.dir(),
                                        movedCache ? fs::path(kCompilerCacheInside) : fs::path()));
    std::ofstream log(result.log, std::ios::app);
    for (const auto& check : result.checks) {
        log << "xenbuild: check " << check.kind << ": " << (check.passed ? "ok" : "FAILED") << ": "
            << check.detail << '\n';
    }
    if (!failures.empty()) throw BuildError("the build's outputs fail their checks:" + failures);
}

void Executor::commitOutputs(const recipe::BuildPlan& plan, const std::string& key,
                             const std::map<std::string, fs::path>& staged,
                             const std::map<std::string, fs::path>& finalPaths,
                             BuildResult& result) {
    std::vector<store::OutputCommit> commits;
    for (const auto& output : plan.outputs) {
        const fs::path& finalPath = finalPaths.at(output);
        const std::string id = finalPath.filename().string();
        if (store_.lookupId(id)) {
            // Already built (this is --rebuild): keep the existing output, report differences.
            auto differing = differingFiles(output, finalPath, staged.at(output));
            result.differingFiles.insert(result.differingFiles.end(), differing.begin(),
                                         differing.end());
        } else {
            commits.push_back({id, staged.at(output), outputName(plan, output)});
        }
        result.outputs.push_back({output, finalPath});
    }
    store::commitOutputs(store_, commits, key);
}

} // namespace xenbuild::builder
