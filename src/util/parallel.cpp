#include "xenbuild/util/parallel.hpp"

#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace xenbuild::util {

std::vector<TaskFailure> parallelFor(std::size_t count, unsigned workers,
                                     const std::function<void(std::size_t)>& task) {
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::vector<TaskFailure> failures;
    auto work = [&] {
        for (std::size_t i = next++; i < count; i = next++) {
            try {
                task(i);
            } catch (...) {
                const std::lock_guard lock(mutex);
                failures.push_back({i, std::current_exception()});
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(std::max(workers, 1U), count);
    if (threads <= 1) {
        work(); // no thread for a single worker: stacks and debuggers stay simple
    } else {
        std::vector<std::jthread> pool;
        pool.reserve(threads);
        for (std::size_t t = 0; t < threads; ++t)
            pool.emplace_back(work);
    }
    std::sort(failures.begin(), failures.end(),
              [](const TaskFailure& a, const TaskFailure& b) { return a.index < b.index; });
    return failures;
}

std::string describeFailures(const std::vector<TaskFailure>& failures, const std::string& what) {
    std::string message = std::to_string(failures.size()) + " " + what + ":";
    for (const auto& failure : failures) {
        try {
            std::rethrow_exception(failure.error);
        } catch (const Error& e) {
            message += "\n- " + e.describeMentions();
        } catch (const std::exception& e) {
            message += "\n- " + std::string(e.what());
        } catch (...) {
            message += "\n- an unknown exception";
        }
    }
    return message;
}

} // namespace xenbuild::util
