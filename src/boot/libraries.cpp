#include "xenbuild/boot/libraries.hpp"

#include "xenbuild/boot/elf.hpp"
#include "xenbuild/util/error.hpp"

#include <deque>
#include <map>

namespace fs = std::filesystem;

namespace xenbuild::boot {

namespace {

std::string expandOrigin(const std::string& runPath, const fs::path& object) {
    std::string expanded = runPath;
    const std::string origin = object.parent_path().string();
    for (const std::string token : {"${ORIGIN}", "$ORIGIN"}) {
        for (auto at = expanded.find(token); at != std::string::npos;
             at = expanded.find(token, at + origin.size())) {
            expanded.replace(at, token.size(), origin);
        }
    }
    return expanded;
}

std::string joinDirs(const std::vector<fs::path>& dirs) {
    std::string text;
    for (const auto& dir : dirs)
        text += (text.empty() ? "" : ", ") + dir.string();
    return text;
}

struct Pending {
    fs::path object;
    ElfInfo info;
};

class Resolver {
  public:
    explicit Resolver(const std::vector<fs::path>& searchDirs) : searchDirs_(searchDirs) {}

    LibraryClosure run(const std::vector<fs::path>& programs) {
        for (const auto& program : programs) {
            auto info = withContext("while reading program " + quote(program.string()),
                                    [&] { return readElf(program); });
            noteInterpreter(program, info);
            queue_.push_back({program, std::move(info)});
        }
        while (!queue_.empty()) {
            const Pending current = std::move(queue_.front());
            queue_.pop_front();
            for (const auto& name : current.info.needed)
                require(name, current);
        }
        LibraryClosure closure;
        closure.interpreter = interpreter_;
        for (const auto& [name, path] : found_)
            closure.libraries.push_back({name, path});
        return closure;
    }

  private:
    void noteInterpreter(const fs::path& program, const ElfInfo& info) {
        if (!info.interpreter) return;
        if (interpreter_ && *interpreter_ != *info.interpreter) {
            throw BuildError("programs need different interpreters: " + quote(*interpreter_) +
                             " and " + quote(*info.interpreter) + " (" + program.string() + ")");
        }
        interpreter_ = info.interpreter;
    }

    void require(const std::string& name, const Pending& from) {
        if (found_.count(name) != 0) return;
        std::vector<fs::path> dirs;
        for (const auto& runPath : from.info.runPaths)
            dirs.emplace_back(expandOrigin(runPath, from.object));
        dirs.insert(dirs.end(), searchDirs_.begin(), searchDirs_.end());
        for (const auto& dir : dirs) {
            const fs::path candidate = dir / name;
            std::error_code ec;
            if (!fs::is_regular_file(candidate, ec) || !isElf(candidate)) continue;
            auto info = withContext("while reading library " + quote(candidate.string()),
                                    [&] { return readElf(candidate); });
            if (info.is64 != from.info.is64 || info.machine != from.info.machine) continue;
            found_[name] = candidate;
            queue_.push_back({candidate, std::move(info)});
            return;
        }
        throw BuildError("library " + quote(name) + " needed by " + quote(from.object.string()) +
                         " was not found (searched " + joinDirs(dirs) + ")");
    }

    std::vector<fs::path> searchDirs_;
    std::deque<Pending> queue_;
    std::map<std::string, fs::path> found_;
    std::optional<std::string> interpreter_;
};

} // namespace

LibraryClosure resolveLibraries(const std::vector<fs::path>& programs,
                                const std::vector<fs::path>& searchDirs) {
    return Resolver(searchDirs).run(programs);
}

std::vector<fs::path> hostLibraryDirs() {
    std::vector<fs::path> dirs;
    for (const char* dir : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                            "/usr/lib64", "/lib", "/usr/lib"}) {
        std::error_code ec;
        if (fs::is_directory(dir, ec)) dirs.emplace_back(dir);
    }
    return dirs;
}

} // namespace xenbuild::boot
