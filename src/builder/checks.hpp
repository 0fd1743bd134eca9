#pragma once
// The post-install checks a plan declares, run on the staged outputs before they enter the
// store: a failing check fails the build.

#include "xenbuild/builder/result.hpp"
#include "xenbuild/recipe/plan.hpp"
#include "xenbuild/sandbox/sandbox.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace xenbuild::builder::detail {

// A source as this build staged it, for the checks that compare an output with its source.
struct StagedSource {
    std::filesystem::path root;         // its tree in the build directory (as patched and built)
    std::string revision;               // what the plan pins: the tag, else the commit
    std::filesystem::path overriddenBy; // the directory of --override-source; empty: the pin
};

// What running a program of the outputs gave.
struct ProgramOutput {
    sandbox::RunResult run;
    std::vector<std::string> lines; // its output lines, stdout and stderr interleaved
};

// Runs `argv` (argv[0]: a file of the staged outputs) with `env` added to the clean environment.
using ProgramRunner = std::function<ProgramOutput(const std::vector<std::string>& argv,
                                                  const util::Environment& env)>;

struct CheckContext {
    // Output name -> where it is staged now (holding its install paths: <boot>/boot/xen.gz).
    std::map<std::string, std::filesystem::path> staged;
    // Source name -> its staged tree and pin (the plan's sources).
    std::map<std::string, StagedSource> sources;
    // How "program-version" runs a program; empty: such a check fails saying so.
    ProgramRunner runProgram;
};

// How sandboxRunner runs programs: `readOnlyDirs` (the staged outputs) visible, `workDir`
// (must exist) writable and the working directory, at most `timeout`, every line appended to
// `logFile` (empty: none), the sandbox's helper files in `scratchDir` (RunSpec::scratchDir),
// torn down when `cancel` is set.
struct ProgramSandbox {
    std::filesystem::path workDir;
    std::vector<std::filesystem::path> readOnlyDirs;
    std::filesystem::path logFile;
    std::filesystem::path scratchDir;
    const std::atomic<bool>* cancel = nullptr;
    std::chrono::milliseconds timeout = std::chrono::seconds(60);
};

// A runner that runs programs in `sandbox` as `how` says.
ProgramRunner sandboxRunner(sandbox::Sandbox& sandbox, ProgramSandbox how);

// Replaces ${outputs.<name>} in `text` with the paths of `outputs`. Throws BuildError for an
// output the plan does not have.
std::string substituteOutputs(const std::string& text,
                              const std::map<std::string, std::filesystem::path>& outputs);

// Runs one check; never throws for a failing check (the result says why).
CheckResult runCheck(const recipe::Check& check, const CheckContext& context);

// How a message names the file of a check path: its install path, the part after
// ${outputs.<name>} ("/usr/lib/xen/boot/seabios.bin"), or the output's name for the output itself.
std::string shownPath(const std::string& checkPath);

// The checks of the images and programs Xen installs for HVM guests (image_checks.cpp).
CheckResult checkSeabios(const recipe::SeabiosParams& params, const CheckContext& context);
CheckResult checkUefiFirmware(const recipe::UefiFirmwareParams& params,
                              const CheckContext& context);
CheckResult checkOptionRom(const recipe::OptionRomParams& params, const CheckContext& context);
CheckResult checkElf(const recipe::ElfParams& params, const CheckContext& context);
CheckResult checkProgramVersion(const recipe::ProgramVersionParams& params,
                                const CheckContext& context);

// The builder's own check, run on every build (kind "relocatable"): no file of the staged
// `outputs` (plan order), nor the target of a symbolic link, mentions `storeDir` (as given, or
// with its links resolved) followed by '/', which also covers the build directory
// (<store>/.tmp/build-<key>) and every store path.
// Outputs hold the target host's paths only, so the same build is the same bytes in every
// store (the build key leaves the store out). A failure names the files (up to five) and the
// outputs holding them. `compilerCache`, when not empty: where the build saw the compiler cache
// (--ccache in the namespace sandbox; its host path is in the store), which no file may mention
// either.
CheckResult checkNoStoreReferences(const std::map<std::string, std::filesystem::path>& staged,
                                   const std::vector<std::string>& outputs,
                                   const std::filesystem::path& storeDir,
                                   const std::filesystem::path& compilerCache = {});

} // namespace xenbuild::builder::detail
