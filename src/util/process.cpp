#include "xenbuild/util/process.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/fd.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

namespace xenbuild::util {

namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
    Fd read, write;
};

Pipe makePipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) throwSystemError("cannot create a pipe for", "child");
    return {Fd(fds[0]), Fd(fds[1])};
}

// Everything the child needs, prepared before fork (only async-signal-safe calls after it).
struct ExecImage {
    std::string program;
    std::vector<std::string> envStrings;
    std::vector<char*> argv;
    std::vector<char*> envp;
};

ExecImage prepareImage(const ProcessSpec& spec) {
    if (spec.argv.empty()) throw SystemError("cannot run a process with an empty command line");
    ExecImage image;
    std::string path = "/usr/bin:/bin";
    if (spec.env) {
        for (const auto& [name, value] : *spec.env)
            image.envStrings.push_back(name + "=" + value);
        if (auto it = spec.env->find("PATH"); it != spec.env->end()) path = it->second;
    } else if (const char* inherited = std::getenv("PATH")) {
        path = inherited;
    }
    auto found = findProgram(spec.argv[0], path);
    if (!found) {
        throw SystemError("cannot run " + quote(spec.argv[0]) + ": not found in PATH " +
                          quote(path));
    }
    image.program = *found;
    for (const auto& arg : spec.argv)
        image.argv.push_back(const_cast<char*>(arg.c_str()));
    image.argv.push_back(nullptr);
    for (auto& entry : image.envStrings)
        image.envp.push_back(entry.data());
    image.envp.push_back(nullptr);
    return image;
}

[[noreturn]] void childFail(int reportFd) {
    const int code = errno;
    [[maybe_unused]] auto written = ::write(reportFd, &code, sizeof code);
    ::_exit(127);
}

[[noreturn]] void execChild(const ProcessSpec& spec, const ExecImage& image, Pipe& out, Pipe& err,
                            Pipe& report, pid_t parent) {
    ::setpgid(0, 0);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    const int devNull = ::open("/dev/null", O_RDONLY);
    if (devNull < 0 || ::dup2(devNull, 0) < 0 || ::dup2(out.write.get(), 1) < 0 ||
        ::dup2(err.write.get(), 2) < 0) {
        childFail(report.write.get());
    }
    for (int fd : spec.inheritFds) {
        if (::fcntl(fd, F_SETFD, 0) != 0) childFail(report.write.get());
    }
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) childFail(report.write.get());
    if (spec.env) {
        ::execve(image.program.c_str(), image.argv.data(), image.envp.data());
    } else {
        ::execv(image.program.c_str(), image.argv.data());
    }
    childFail(report.write.get());
}

// Splits a stream into lines and forwards them; keeps the captured copy when asked.
class StreamReader {
  public:
    StreamReader(OutputStream stream, const ProcessSpec& spec, std::string* capture)
        : stream_(stream), spec_(spec), capture_(capture) {}

    void feed(std::string_view data) {
        if (capture_) capture_->append(data);
        if (!spec_.onLine) return;
        pending_.append(data);
        std::size_t start = 0;
        for (auto nl = pending_.find('\n'); nl != std::string::npos;
             nl = pending_.find('\n', start)) {
            spec_.onLine(stream_, std::string_view(pending_).substr(start, nl - start));
            start = nl + 1;
        }
        pending_.erase(0, start);
    }
    void finish() {
        if (spec_.onLine && !pending_.empty()) spec_.onLine(stream_, pending_);
        pending_.clear();
    }

  private:
    OutputStream stream_;
    const ProcessSpec& spec_;
    std::string* capture_;
    std::string pending_;
};

int openPidFd(pid_t pid) {
    const long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) throwSystemError("cannot watch child process with pidfd_open for", "child");
    return static_cast<int>(fd);
}

// The running child: its pipes, and the poll loop that drives it to the end.
class Runner {
  public:
    Runner(const ProcessSpec& spec, pid_t pid, Fd out, Fd err, ProcessResult& result)
        : spec_(spec), pid_(pid), pidFd_(openPidFd(pid)),
          result_(result), readers_{StreamReader(OutputStream::Stdout, spec,
                                                 spec.capture ? &result.out : nullptr),
                                    StreamReader(OutputStream::Stderr, spec,
                                                 spec.capture ? &result.err : nullptr)} {
        fds_[0] = std::move(out);
        fds_[1] = std::move(err);
    }

    void run() {
        const auto start = Clock::now();
        while (!exited_)
            pollOnce(start);
        result_.elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        ::kill(-pid_, SIGKILL); // whatever the child left behind in its group
        drain();
    }

  private:
    void pollOnce(Clock::time_point start) {
        std::array<pollfd, 3> pfds{};
        pfds[0] = {pidFd_.get(), POLLIN, 0};
        pfds[1] = {fds_[0].get(), POLLIN, 0};
        pfds[2] = {fds_[1].get(), POLLIN, 0};
        const int rc = ::poll(pfds.data(), pfds.size(), pollTimeout(start));
        if (rc < 0 && errno != EINTR) throwSystemError("cannot poll output of", spec_.argv[0]);
        if (rc > 0) {
            for (std::size_t i = 0; i < 2; ++i) {
                if (pfds[i + 1].revents != 0) readFrom(i);
            }
            if (pfds[0].revents != 0) reap();
        }
        checkStop(start);
    }

    int pollTimeout(Clock::time_point start) const {
        if (stopping_) return 100;
        int ms = spec_.cancel ? 100 : -1;
        if (spec_.timeout.count() > 0) {
            const auto left = spec_.timeout - (Clock::now() - start);
            const auto leftMs = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
            const int bounded = static_cast<int>(std::clamp<long long>(leftMs, 0, 60000));
            ms = ms < 0 ? bounded : std::min(ms, bounded);
        }
        return ms;
    }

    void checkStop(Clock::time_point start) {
        if (exited_ || stopping_) return;
        if (spec_.cancel && spec_.cancel->load()) {
            result_.cancelled = true;
        } else if (spec_.timeout.count() > 0 && Clock::now() - start >= spec_.timeout) {
            result_.timedOut = true;
        } else {
            return;
        }
        stopping_ = true;
        if (spec_.onTerminate && spec_.onTerminate()) return; // it stops the child its own way
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
    }

    // Returns false at end of file.
    bool readFrom(std::size_t index) {
        if (fds_[index].get() < 0) return false;
        std::array<char, 65536> buffer{};
        const ssize_t n = ::read(fds_[index].get(), buffer.data(), buffer.size());
        if (n > 0) {
            readers_[index].feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            return true;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
        readers_[index].finish();
        fds_[index].reset();
        return false;
    }

    void reap() {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return;
        exited_ = true;
        if (WIFEXITED(status)) result_.exitCode = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
    }

    // After the child and its group are gone the pipes reach end of file; a process that
    // escaped the group may hold them open, so give up after a quiet second.
    void drain() {
        for (;;) {
            std::array<pollfd, 2> pfds{};
            pfds[0] = {fds_[0].get(), POLLIN, 0};
            pfds[1] = {fds_[1].get(), POLLIN, 0};
            if (pfds[0].fd < 0 && pfds[1].fd < 0) break;
            if (::poll(pfds.data(), pfds.size(), 1000) <= 0) break;
            for (std::size_t i = 0; i < 2; ++i) {
                if (pfds[i].revents != 0) readFrom(i);
            }
        }
        for (std::size_t i = 0; i < 2; ++i) {
            readers_[i].finish();
            fds_[i].reset();
        }
    }

    const ProcessSpec& spec_;
    pid_t pid_;
    Fd pidFd_;
    ProcessResult& result_;
    std::array<Fd, 2> fds_;
    std::array<StreamReader, 2> readers_;
    bool exited_ = false;
    bool stopping_ = false;
};

} // namespace

std::optional<std::string> findProgram(const std::string& program, const std::string& path) {
    if (program.find('/') != std::string::npos) return program;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

std::string ProcessResult::describeStatus() const {
    if (cancelled) return "interrupted";
    if (timedOut) {
        const auto ms = elapsed.count();
        return "timed out after " +
               (ms < 10000 ? std::to_string(ms) + " ms" : std::to_string(ms / 1000) + " s");
    }
    if (signal != 0) {
        return "killed by signal " + std::to_string(signal) + " (" + sigdescr_np(signal) + ")";
    }
    return "exited with status " + std::to_string(exitCode);
}

ProcessResult runProcess(const ProcessSpec& spec) {
    const ExecImage image = prepareImage(spec);
    Pipe out = makePipe();
    Pipe err = makePipe();
    Pipe report = makePipe();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throwSystemError("cannot fork to run", spec.argv[0]);
    if (pid == 0) execChild(spec, image, out, err, report, parent);
    ::setpgid(pid, pid); // also from the parent, so killing the group never races the child
    out.write.reset();
    err.write.reset();
    report.write.reset();
    int childErrno = 0;
    if (::read(report.read.get(), &childErrno, sizeof childErrno) ==
        static_cast<ssize_t>(sizeof childErrno)) {
        ::waitpid(pid, nullptr, 0);
        errno = childErrno;
        throwSystemError("cannot execute",
                         image.program + (spec.cwd.empty() ? "" : " in " + quote(spec.cwd)));
    }
    ProcessResult result;
    Runner runner(spec, pid, std::move(out.read), std::move(err.read), result);
    try {
        if (spec.onSpawn) spec.onSpawn(pid);
        runner.run();
    } catch (...) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw;
    }
    return result;
}

} // namespace xenbuild::util
