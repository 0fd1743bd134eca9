#pragma once
// Named points in long operations (building, committing outputs) where fault-injection tests
// stop the process. When the environment variable XENBUILD_STOP_AT lists a point (names
// separated by commas), the process sends itself SIGSTOP on reaching it; the test, its parent,
// sees it stopped (waitpid with WUNTRACED) and kills it with SIGKILL at exactly that step, or
// does something else meanwhile (`store gc`, a second build) and lets it go on with SIGCONT.
// Without the variable a point costs one getenv. docs/HACKING.md lists the points.

#include <string_view>

namespace xenbuild::util {

void faultPoint(std::string_view name);

} // namespace xenbuild::util
