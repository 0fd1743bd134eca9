#include "xenbuild/util/error.hpp"

#include <cerrno>
#include <cstring>

namespace xenbuild {

std::string Error::describe() const {
    std::string text;
    for (auto it = trace_.rbegin(); it != trace_.rend(); ++it) {
        text += *it;
        text += ":\n  ";
    }
    return text + what();
}

void throwSystemError(const std::string& what, const std::string& path) {
    const int saved = errno;
    throw SystemError(what + " " + quote(path) + ": " + std::strerror(saved));
}

std::string quote(const std::string& value) {
    return "'" + value + "'";
}

} // namespace xenbuild
