#pragma once
// Runs a clean-up when a scope is left, by return or by exception, unless dismissed first:
//
//     util::ScopeGuard removeTemporary([&] { std::filesystem::remove(temporary, ignored); });
//     ... write and rename ...
//     removeTemporary.dismiss(); // done: keep the result
//
// The clean-up must not throw (it runs in a destructor, maybe during unwinding).

#include <utility>

namespace xenbuild::util {

template <typename F>
class ScopeGuard {
  public:
    explicit ScopeGuard(F cleanup) : cleanup_(std::move(cleanup)) {}
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;
    ~ScopeGuard() {
        if (active_) cleanup_();
    }

    // The clean-up will not run.
    void dismiss() noexcept { active_ = false; }

  private:
    F cleanup_;
    bool active_ = true;
};

} // namespace xenbuild::util
