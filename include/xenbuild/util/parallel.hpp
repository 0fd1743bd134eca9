#pragma once
// The one thread pool: independent tasks (fetches, package builds) run on a few threads, and
// every task runs even after another failed, so that a caller reports all failures at once
// instead of the first one only.

#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace xenbuild::util {

struct TaskFailure {
    std::size_t index = 0;    // the task's index
    std::exception_ptr error; // what it threw
};

// Runs task(i) for every i in [0, count) on min(max(workers, 1), count) threads; tasks are taken
// in index order. Returns the failures in index order (empty when every task succeeded).
std::vector<TaskFailure> parallelFor(std::size_t count, unsigned workers,
                                     const std::function<void(std::size_t)>& task);

// "<n> <what>:" and one "- <message with its trace>" line per failure.
std::string describeFailures(const std::vector<TaskFailure>& failures, const std::string& what);

// Nothing when `failures` is empty; rethrows a single failure as it is; several become one E
// whose message is describeFailures(failures, what), e.g. "2 fetches failed:\n- ...\n- ...".
template <typename E>
void throwFailures(const std::vector<TaskFailure>& failures, const std::string& what) {
    if (failures.empty()) return;
    if (failures.size() == 1) std::rethrow_exception(failures.front().error);
    throw E(describeFailures(failures, what));
}

} // namespace xenbuild::util
