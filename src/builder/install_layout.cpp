#include "install_layout.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/paths.hpp"

#include <algorithm>

namespace fs = std::filesystem;

namespace xenbuild::builder::detail {

namespace {

// Removes `dir` and its parents up to (not including) `root` while they are empty.
void removeEmptyParents(fs::path dir, const fs::path& root) {
    std::error_code error;
    while (dir != root && dir.string().size() > root.string().size() &&
           fs::is_directory(fs::symlink_status(dir, error)) && fs::is_empty(dir, error)) {
        fs::remove(dir, error);
        dir = dir.parent_path();
    }
}

} // namespace

void mergeMove(const fs::path& from, const fs::path& to) {
    const auto fromStatus = fs::symlink_status(from);
    const auto toStatus = fs::symlink_status(to);
    if (!fs::exists(toStatus)) {
        fs::create_directories(to.parent_path());
        fs::rename(from, to);
        return;
    }
    if (!fs::is_directory(fromStatus) || !fs::is_directory(toStatus) || fs::is_symlink(toStatus)) {
        throw BuildError("install: " + quote(to.string()) +
                         " is installed twice (two outputs or locations claim it)");
    }
    for (const auto& item : fs::directory_iterator(from)) {
        mergeMove(item.path(), to / item.path().filename());
    }
    fs::remove(from);
}

void splitInstallRoot(const fs::path& installRoot, const std::vector<std::string>& outputs,
                      const std::map<std::string, std::vector<std::string>>& outputPaths,
                      const std::map<std::string, fs::path>& staged) {
    if (!fs::is_directory(installRoot)) {
        throw BuildError("the build installed nothing: " + quote(installRoot.string()) +
                         " does not exist");
    }
    // Longest install path first, so that a path nested in another output's goes to its own.
    std::vector<std::pair<std::string, std::string>> claims; // path, output
    for (const auto& [output, paths] : outputPaths) {
        if (staged.count(output) == 0) {
            throw BuildError("the plan's outputPaths name " + quote(output) +
                             ", which is not one of its outputs");
        }
        for (const auto& path : paths)
            claims.emplace_back(path, output);
    }
    std::sort(claims.begin(), claims.end(), [](const auto& a, const auto& b) {
        return a.first.size() != b.first.size() ? a.first.size() > b.first.size() : a < b;
    });
    for (const auto& name : outputs)
        fs::create_directories(staged.at(name).parent_path());
    for (const auto& [path, output] : claims) {
        const fs::path relative = fs::path(path).relative_path();
        // A link in the install root (usr/lib64 -> lib) must not carry the move elsewhere.
        if (const auto problem = util::confinementProblem(installRoot, relative.string());
            !problem.empty()) {
            throw BuildError("install: cannot take " + quote(path) + " for the " + output +
                             " output: the path " + problem);
        }
        const fs::path installed = installRoot / relative;
        if (!fs::exists(fs::symlink_status(installed))) continue;
        mergeMove(installed, staged.at(output) / relative);
        removeEmptyParents(installed.parent_path(), installRoot);
    }
    for (const auto& name : outputs) {
        if (name != outputs.front() && !fs::exists(staged.at(name))) {
            fs::create_directories(staged.at(name));
        }
    }
    const fs::path& rest = staged.at(outputs.front());
    if (fs::exists(installRoot)) {
        mergeMove(installRoot, rest);
    } else {
        fs::create_directories(rest);
    }
}

} // namespace xenbuild::builder::detail
