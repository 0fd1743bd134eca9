#include "checks.hpp"

#include "xenbuild/builder/pe.hpp"
#include "xenbuild/builder/toolchain.hpp"
#include "xenbuild/builder/xen_version.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"
#include "xenbuild/util/file.hpp"
#include "xenbuild/util/process.hpp"

#include <fcntl.h>

#include <algorithm>
#include <regex>

namespace fs = std::filesystem;

namespace xenbuild::builder::detail {

namespace {

CheckResult checkPe(const recipe::Pe32PlusParams& params, const CheckContext& context) {
    const fs::path path = substituteOutputs(params.path, context.staged);
    if (!fs::exists(path)) {
        return {.passed = false,
                .detail = quote(path.filename().string()) + " was not built (" + path.string() +
                          " is missing)"};
    }
    const PeImage image = inspectPe(path);
    return {.passed = image.isPe32PlusX86_64(),
            .detail = path.filename().string() + ": " + image.describe()};
}

CheckResult checkHypervisorVersion(const recipe::HypervisorVersionParams& params,
                                   const CheckContext& context) {
    const fs::path path = substituteOutputs(params.path, context.staged);
    const std::string& expected = params.version;
    if (!fs::exists(path)) return {.passed = false, .detail = path.string() + " is missing"};
    const auto found = hypervisorVersion(path);
    if (!found) return {.passed = false, .detail = "no Xen version found in " + path.string()};
    return {.passed = *found == expected,
            .detail = path.filename().string() + " carries Xen " + *found +
                      (*found == expected ? "" : ", the plan says " + expected)};
}

std::string pkgConfig(const fs::path& dir, const std::string& module,
                      const std::vector<std::string>& args) {
    util::ProcessSpec spec;
    spec.argv = {"pkg-config"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.argv.push_back(module);
    spec.env = util::Environment{{"PATH", kBuildPath},
                                 {"PKG_CONFIG_PATH", dir.string()},
                                 {"PKG_CONFIG_LIBDIR", dir.string()}};
    spec.capture = true;
    const auto result = util::runProcess(spec);
    if (!result.success()) {
        auto message = result.err.substr(0, result.err.find('\n'));
        throw BuildError(message.empty() ? "pkg-config " + result.describeStatus() : message);
    }
    return result.out.substr(0, result.out.find('\n'));
}

// A module resolves when pkg-config finds it, its version looks like one, and its prefix is
// the one the build was configured with (the target host's, e.g. /usr: not /usr/local, the
// build directory or a store path).
std::string checkModule(const fs::path& dir, const std::string& module,
                        const std::string& expectedPrefix) {
    static const std::regex versionPattern(R"(\d+(\.\d+)+)");
    const std::string version = pkgConfig(dir, module, {"--modversion"});
    if (!std::regex_match(version, versionPattern)) {
        return module + ": odd version " + quote(version);
    }
    const std::string prefix = pkgConfig(dir, module, {"--variable=prefix"});
    if (fs::path(prefix).lexically_normal() == fs::path(expectedPrefix).lexically_normal()) {
        return {};
    }
    return module + ": prefix " + quote(prefix) + ", the build's is " + quote(expectedPrefix);
}

CheckResult checkPkgConfig(const recipe::PkgConfigParams& params, const CheckContext& context) {
    const fs::path dir = substituteOutputs(params.path, context.staged);
    const auto& modules = params.modules;
    std::vector<std::string> problems;
    for (const auto& module : modules) {
        try {
            if (auto problem = checkModule(dir, module, params.prefix); !problem.empty()) {
                problems.push_back(problem);
            }
        } catch (const BuildError& error) {
            problems.push_back(module + ": " + error.what());
        }
    }
    if (problems.empty()) {
        return {.passed = true, .detail = std::to_string(modules.size()) + " modules resolve"};
    }
    std::string detail;
    for (const auto& problem : problems)
        detail += (detail.empty() ? "" : "; ") + problem;
    return {.passed = false, .detail = detail};
}

struct RunCheck {
    const CheckContext& context;

    CheckResult operator()(const recipe::Pe32PlusParams& params) const {
        return checkPe(params, context);
    }
    CheckResult operator()(const recipe::PkgConfigParams& params) const {
        return checkPkgConfig(params, context);
    }
    CheckResult operator()(const recipe::HypervisorVersionParams& params) const {
        return checkHypervisorVersion(params, context);
    }
    CheckResult operator()(const recipe::SeabiosParams& params) const {
        return checkSeabios(params, context);
    }
    CheckResult operator()(const recipe::UefiFirmwareParams& params) const {
        return checkUefiFirmware(params, context);
    }
    CheckResult operator()(const recipe::OptionRomParams& params) const {
        return checkOptionRom(params, context);
    }
    CheckResult operator()(const recipe::ProgramVersionParams& params) const {
        return checkProgramVersion(params, context);
    }
    CheckResult operator()(const recipe::ElfParams& params) const {
        return checkElf(params, context);
    }
};

} // namespace

std::string substituteOutputs(const std::string& text,
                              const std::map<std::string, fs::path>& outputs) {
    static const std::string open = "${outputs.";
    std::string result;
    std::size_t position = 0;
    while (true) {
        const auto start = text.find(open, position);
        if (start == std::string::npos) break;
        const auto end = text.find('}', start);
        if (end == std::string::npos) break;
        const std::string name = text.substr(start + open.size(), end - start - open.size());
        const auto found = outputs.find(name);
        if (found == outputs.end()) {
            throw BuildError("the plan refers to an unknown output " + quote(name) + " in " +
                             quote(text));
        }
        result += text.substr(position, start - position) + found->second.string();
        position = end + 1;
    }
    return result + text.substr(position);
}

namespace {

bool containsAny(std::string_view text, const std::vector<std::string>& needles) {
    return std::any_of(needles.begin(), needles.end(), [&](const std::string& needle) {
        return text.find(needle) != std::string_view::npos;
    });
}

// Whether the file at `path` contains one of `needles` (not empty), read in chunks (a match may
// straddle two).
bool fileContains(const fs::path& path, const std::vector<std::string>& needles) {
    const util::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) throwSystemError("cannot open", path.string());
    std::size_t longest = 0;
    for (const auto& needle : needles)
        longest = std::max(longest, needle.size());
    std::string window; // the end of the previous chunk, then the new one
    bool found = false;
    util::readChunks(fd.get(), path, [&](std::string_view chunk) {
        if (found) return;
        window.append(chunk);
        found = containsAny(window, needles);
        if (window.size() >= longest) window.erase(0, window.size() - (longest - 1));
    });
    return found;
}

} // namespace

CheckResult checkNoStoreReferences(const std::map<std::string, fs::path>& staged,
                                   const std::vector<std::string>& outputs,
                                   const fs::path& storeDir, const fs::path& compilerCache) {
    // The store as given and with its links resolved (what a build outside the sandbox sees).
    std::vector<std::string> needles = {storeDir.lexically_normal().string() + "/"};
    std::error_code error;
    const auto resolved = fs::weakly_canonical(storeDir, error).string() + "/";
    if (!error && resolved != needles.front()) needles.push_back(resolved);
    std::string what = "the store " + quote(storeDir.string());
    if (!compilerCache.empty()) {
        needles.push_back(compilerCache.lexically_normal().string());
        what += " or the compiler cache " + quote(compilerCache.string());
    }
    std::vector<std::string> offenders;
    std::size_t files = 0;
    for (const auto& output : outputs) {
        const fs::path& root = staged.at(output);
        if (!fs::exists(fs::symlink_status(root))) continue;
        std::vector<std::string> found; // sorted per output: the message is the same every time
        for (auto it = fs::recursive_directory_iterator(root);
             it != fs::recursive_directory_iterator(); ++it) {
            const auto status = it->symlink_status();
            bool mentions = false;
            if (fs::is_symlink(status)) {
                mentions = containsAny(fs::read_symlink(it->path()).string(), needles);
            } else if (fs::is_regular_file(status)) {
                mentions = fileContains(it->path(), needles);
            } else {
                continue;
            }
            ++files;
            if (mentions) found.push_back(it->path().lexically_relative(root).string());
        }
        std::sort(found.begin(), found.end());
        for (const auto& path : found)
            offenders.push_back(path + " (" + output + ")");
    }
    CheckResult result{.kind = "relocatable", .passed = offenders.empty(), .detail = ""};
    if (offenders.empty()) {
        result.detail = "none of " + std::to_string(files) + " files mentions " + what;
        return result;
    }
    std::string listed;
    for (std::size_t i = 0; i < offenders.size() && i < 5; ++i)
        listed += (i == 0 ? "" : ", ") + offenders[i];
    if (offenders.size() > 5) listed += " and " + std::to_string(offenders.size() - 5) + " more";
    result.detail = listed + (offenders.size() == 1 ? " mentions " : " mention ") + what +
                    ": outputs must hold the target host's paths only (install through "
                    "DESTDIR with FHS prefixes, never ${outputs.<name>} in configure or make "
                    "flags)";
    return result;
}

std::string shownPath(const std::string& checkPath) {
    static const std::string open = "${outputs.";
    const auto close = checkPath.find('}');
    if (checkPath.rfind(open, 0) != 0 || close == std::string::npos) return checkPath;
    const std::string rest = checkPath.substr(close + 1);
    return rest.empty() ? checkPath.substr(open.size(), close - open.size()) : rest;
}

ProgramRunner sandboxRunner(sandbox::Sandbox& sandbox, ProgramSandbox how) {
    return [&sandbox, how = std::move(how)](const std::vector<std::string>& argv,
                                            const util::Environment& env) {
        sandbox::RunSpec spec;
        spec.argv = argv;
        spec.workDir = how.workDir;
        spec.readOnlyDirs = how.readOnlyDirs;
        spec.env = env;
        spec.timeout = how.timeout;
        spec.logFile = how.logFile;
        spec.cancel = how.cancel;
        spec.scratchDir = how.scratchDir;
        ProgramOutput output;
        output.run = sandbox.run(spec, [&output](util::OutputStream, std::string_view line) {
            output.lines.emplace_back(line);
        });
        return output;
    };
}

CheckResult runCheck(const recipe::Check& check, const CheckContext& context) {
    CheckResult result = std::visit(RunCheck{context}, check.params);
    result.kind = recipe::toString(check.kind());
    return result;
}

} // namespace xenbuild::builder::detail
