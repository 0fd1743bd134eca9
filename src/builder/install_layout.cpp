#include "install_layout.hpp"

#include "xenbuild/util/error.hpp"

namespace fs = std::filesystem;

namespace xenbuild::builder::detail {

namespace {

fs::path underRoot(const fs::path& root, const fs::path& absolute) {
    return root / absolute.relative_path();
}

// Removes empty directories bottom-up; returns true if `dir` itself was removed.
bool pruneEmpty(const fs::path& dir) {
    bool empty = true;
    for (const auto& item : fs::directory_iterator(dir)) {
        if (item.is_symlink()) {
            empty = false;
        } else if (item.is_directory()) {
            if (!pruneEmpty(item.path())) empty = false;
        } else {
            empty = false;
        }
    }
    if (empty) fs::remove(dir);
    return empty;
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

std::vector<std::string> splitInstallRoot(const fs::path& installRoot,
                                          const std::map<std::string, fs::path>& finalPaths,
                                          const std::map<std::string, fs::path>& staged) {
    if (!fs::is_directory(installRoot)) {
        throw BuildError("the build installed nothing: " + quote(installRoot.string()) +
                         " does not exist");
    }
    for (const auto& [name, finalPath] : finalPaths) {
        const fs::path installed = underRoot(installRoot, finalPath);
        if (fs::exists(fs::symlink_status(installed))) {
            mergeMove(installed, staged.at(name));
        } else {
            fs::create_directories(staged.at(name));
        }
    }
    std::vector<std::string> extras;
    if (!fs::exists(installRoot) || pruneEmpty(installRoot)) return extras;
    for (const auto& item : fs::directory_iterator(installRoot)) {
        const std::string top = item.path().filename().string();
        const bool toBoot = top == "boot" && staged.count("boot") != 0;
        const fs::path& target = staged.at(toBoot ? "boot" : "out");
        extras.push_back(top);
        if (toBoot) {
            for (const auto& child : fs::directory_iterator(item.path())) {
                mergeMove(child.path(), target / child.path().filename());
            }
            fs::remove_all(item.path());
        } else {
            mergeMove(item.path(), target / top);
        }
    }
    return extras;
}

} // namespace xenbuild::builder::detail
