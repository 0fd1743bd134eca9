#include "xenbuild/util/fault_point.hpp"

#include <csignal>
#include <cstdlib>

namespace xenbuild::util {

namespace {

bool listed(std::string_view list, std::string_view name) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        if (list.substr(0, comma) == name) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

void faultPoint(std::string_view name) {
    const char* list = std::getenv("XENBUILD_STOP_AT");
    if (list == nullptr || *list == '\0' || !listed(list, name)) return;
    ::raise(SIGSTOP); // every thread stops; SIGCONT resumes here
}

} // namespace xenbuild::util
