#include "command_progress.hpp"

#include <algorithm>
#include <vector>

namespace xenbuild::builder::detail {

namespace {

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> result;
    std::size_t start = 0;
    while (true) {
        start = line.find_first_not_of(" \t", start);
        if (start == std::string_view::npos) return result;
        const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
        result.push_back(line.substr(start, end - start));
        start = end;
    }
}

// "CC", "HOSTCC", "OBJCOPY", "GEN": the tags Kbuild prints in quiet mode.
bool isKbuildTag(std::string_view word) {
    if (word.size() < 2 || word.size() > 10 || word.front() < 'A' || word.front() > 'Z')
        return false;
    return std::all_of(word.begin(), word.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// "gcc", "cc", "/usr/bin/x86_64-linux-gnu-gcc-12", "clang++": a C or C++ compiler driver.
bool isCompiler(std::string_view word) {
    std::string_view name = word.substr(word.rfind('/') + 1);
    const auto dash = name.rfind('-');
    if (dash != std::string_view::npos && dash + 1 < name.size() &&
        name.find_first_not_of("0123456789.", dash + 1) == std::string_view::npos) {
        name = name.substr(0, dash); // a version suffix
    }
    for (const std::string_view driver : {"gcc", "g++", "cc", "c++", "clang", "clang++"}) {
        if (name == driver) return true;
        if (name.size() > driver.size() && name.ends_with(driver) &&
            name[name.size() - driver.size() - 1] == '-') {
            return true;
        }
    }
    return false;
}

bool isSource(std::string_view word) {
    for (const std::string_view suffix : {".c", ".cc", ".cpp", ".S", ".s"}) {
        if (word.size() > suffix.size() && word.ends_with(suffix)) return true;
    }
    return false;
}

std::optional<std::string> compiledFile(const std::vector<std::string_view>& argv) {
    std::optional<std::string> output;
    std::optional<std::string> source;
    bool compileOnly = false;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        if (argv[i] == "-c") compileOnly = true;
        if (argv[i] == "-o" && i + 1 < argv.size())
            output = std::string(argv[++i]);
        else if (argv[i].front() != '-' && isSource(argv[i]))
            source = std::string(argv[i]);
    }
    if (compileOnly && source) return source;
    return output;
}

} // namespace

std::optional<std::string> builtFile(std::string_view line) {
    const auto argv = words(line);
    if (argv.size() < 2) return std::nullopt;
    if (line.front() == ' ' && isKbuildTag(argv[0]) && argv[1].front() != '-') {
        return std::string(argv[1]);
    }
    const std::size_t first = argv[0] == "ccache" ? 1 : 0;
    if (first < argv.size() && isCompiler(argv[first])) {
        return compiledFile({argv.begin() + static_cast<std::ptrdiff_t>(first), argv.end()});
    }
    return std::nullopt;
}

CommandProgress::CommandProgress(util::ProgressObserver& observer, std::string activity,
                                 double expectedSeconds, std::chrono::milliseconds tick)
    : observer_(observer), activity_(std::move(activity)), expectedSeconds_(expectedSeconds),
      started_(std::chrono::steady_clock::now()) {
    if (tick.count() <= 0) return;
    ticker_ = std::jthread([this, tick](const std::stop_token& stop) {
        std::unique_lock lock(mutex_);
        while (true) {
            wake_.wait_for(lock, stop, tick, [] { return false; });
            if (stop.stop_requested()) return;
            report();
        }
    });
}

CommandProgress::~CommandProgress() {
    ticker_ = {}; // request stop and join
}

void CommandProgress::onLine(std::string_view line) {
    const std::lock_guard lock(mutex_);
    if (auto file = builtFile(line)) {
        current_ = std::move(*file);
        ++files_;
    }
    report();
}

double CommandProgress::elapsedSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void CommandProgress::report() {
    util::ProgressEvent event{
        util::ProgressEvent::Kind::Progress, activity_, current_, files_, 0, "files"};
    event.elapsedSeconds = elapsedSeconds();
    event.expectedSeconds = expectedSeconds_;
    observer_.onEvent(event);
}

} // namespace xenbuild::builder::detail
