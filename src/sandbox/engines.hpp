#pragma once
// Internals shared by the two sandbox engines (not a public header).

#include "xenbuild/sandbox/sandbox.hpp"
#include "xenbuild/util/temp_dir.hpp"

#include <filesystem>
#include <memory>

namespace xenbuild::sandbox::detail {

// A per-run temporary directory holding bin/{git,wget,curl} (the fail-loudly program);
// removed when destroyed.
class HelperDir {
  public:
    explicit HelperDir(const std::filesystem::path& scratchDir);
    std::filesystem::path binDir() const { return root_ / "bin"; }

  private:
    util::TempDir root_;
};

// Throws SandboxError unless the command line is non-empty and every directory exists.
void validate(const RunSpec& spec);

// Runs `process` (already carrying argv, env and cwd), teeing its lines to the callback, the
// log file and the result's tail.
RunResult runLogged(util::ProcessSpec process, const RunSpec& spec, Mode mode,
                    const util::LineCallback& onLine);

std::unique_ptr<Sandbox> makeBwrapSandbox(const SandboxConfig& config);
std::unique_ptr<Sandbox> makeUnsandboxed(const SandboxConfig& config);

} // namespace xenbuild::sandbox::detail
