#include "xenbuild/util/paths.hpp"

#include "xenbuild/util/error.hpp"

#include <sys/stat.h>

namespace xenbuild::util {

std::string relativePathProblem(std::string_view relative) {
    if (relative.empty()) return "is empty";
    if (relative.find('\0') != std::string_view::npos) return "contains a NUL byte";
    if (relative.front() == '/') return "is absolute; it must be relative";
    for (const char c : relative) {
        if (c == '\\') return "contains a backslash; separate components with '/'";
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return "contains a control character";
    }
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = std::min(relative.find('/', begin), relative.size());
        const std::string_view part = relative.substr(begin, end - begin);
        if (part.empty()) return "has an empty component ('//' or a trailing '/')";
        if (part == "." || part == "..") {
            return "has a " + quote(std::string(part)) +
                   " component; it must be normalised and stay inside its directory";
        }
        if (end == relative.size()) return "";
        begin = end + 1;
    }
}

std::string absolutePathProblem(std::string_view absolute) {
    if (absolute.empty() || absolute.front() != '/') return "is not an absolute path";
    if (absolute == "/") return "is '/'; it must name a directory below it";
    return relativePathProblem(absolute.substr(1));
}

std::string confinementProblem(const std::filesystem::path& root, std::string_view relative) {
    if (relative.empty()) return "";
    if (auto problem = relativePathProblem(relative); !problem.empty()) return problem;
    std::filesystem::path current = root;
    std::size_t begin = 0;
    while (true) {
        const std::size_t slash = relative.find('/', begin);
        if (slash == std::string_view::npos) return ""; // the last component may be a link
        current /= std::string(relative.substr(begin, slash - begin));
        struct stat st {};
        if (::lstat(current.c_str(), &st) != 0) return ""; // nothing below exists yet
        if (S_ISLNK(st.st_mode)) {
            return "its component " + quote(current.lexically_relative(root).string()) +
                   " is a symbolic link, which could lead out of " + quote(root.string());
        }
        begin = slash + 1;
    }
}

} // namespace xenbuild::util
