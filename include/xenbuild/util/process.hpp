#pragma once
// Running child processes: argv (never a shell string), an explicit environment, a working
// directory, output captured or streamed line by line, a timeout and cancellation. The child
// runs in its own process group with PR_SET_PDEATHSIG(SIGKILL), and the whole group is killed
// when the run ends, times out or is cancelled, so nothing started through here outlives the
// call (unless it deliberately leaves the process group; the sandbox closes that hole with a
// pid namespace).

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xenbuild::util {

using Environment = std::map<std::string, std::string>;

enum class OutputStream { Stdout, Stderr };

// Receives each complete output line without its newline (a last unterminated line too).
using LineCallback = std::function<void(OutputStream, std::string_view line)>;

struct ProcessSpec {
    std::vector<std::string> argv;        // argv[0] absolute, or looked up in the PATH of `env`
    std::optional<Environment> env;       // nullopt: inherit the caller's environment
    std::string cwd;                      // empty: the caller's working directory
    std::chrono::milliseconds timeout{0}; // 0: no timeout
    bool capture = false;                 // collect output into ProcessResult::out/err
    LineCallback onLine;                  // optional, called from the calling thread
    const std::atomic<bool>* cancel = nullptr; // set to true (e.g. by a SIGINT handler) to stop
    std::vector<int> inheritFds;               // descriptors the child keeps (same numbers)
    // Called right after the child started; the sandbox uses it to learn its init's pid.
    std::function<void(int pid)> onSpawn;
    // Called when the run is stopped early (timeout, cancel). Returning true means it has
    // made the child exit its own way (the sandbox kills its init, and bwrap then exits once
    // every process inside is gone); otherwise the process group is killed. Either way the
    // group is killed once the child has exited.
    std::function<bool()> onTerminate;
};

struct ProcessResult {
    int exitCode = -1; // exit status, or -1 when killed by a signal
    int signal = 0;    // the terminating signal, 0 if it exited
    bool timedOut = false;
    bool cancelled = false;
    std::string out; // captured stdout (capture = true)
    std::string err; // captured stderr (capture = true)
    std::chrono::milliseconds elapsed{0};

    bool success() const { return exitCode == 0 && !timedOut && !cancelled; }
    // "exited with status 2", "killed by signal 9 (Killed)", "timed out after 5s", "interrupted".
    std::string describeStatus() const;
};

// Runs the process to completion. Throws SystemError when it cannot be started (with the
// program name and the OS reason); a non-zero exit is a result, not an exception.
ProcessResult runProcess(const ProcessSpec& spec);

// Looks `program` up in `path` (colon-separated) unless it contains a slash; nullopt if not found.
std::optional<std::string> findProgram(const std::string& program, const std::string& path);

} // namespace xenbuild::util
