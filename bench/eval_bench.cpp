// Wall time to load the recipe set and evaluate every package (8 packages + 2 aliases) in one
// process, the work behind `xenbuild list`/`show`. Target: under 20 ms per round.
//
// Usage: xenbuild_eval_bench [RECIPES_DIR] [ROUNDS]   (defaults: the source tree's recipes/, 50)

#include "xenbuild/recipe/evaluate.hpp"
#include "xenbuild/util/build_paths.hpp"
#include "xenbuild/util/date.hpp"
#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double roundMilliseconds(const std::filesystem::path& recipes, std::size_t& plans) {
    const auto start = Clock::now();
    const auto set = xenbuild::recipe::RecipeSet::load(recipes);
    xenbuild::recipe::EvalOptions options;
    options.today = xenbuild::util::parseDate("2026-11-21");
    plans = 0;
    for (const auto& name : set.packageNames()) {
        const auto plan = xenbuild::recipe::evaluate(set, name, {}, options);
        if (!plan.sources.empty()) ++plans;
    }
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
    const std::filesystem::path recipes =
        argc > 1 ? std::filesystem::path(argv[1])
                 : std::filesystem::path(::xenbuild::util::sourceDir()) / "recipes";
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 50;
    try {
        std::vector<double> times;
        std::size_t plans = 0;
        for (int i = 0; i < rounds; ++i)
            times.push_back(roundMilliseconds(recipes, plans));
        std::sort(times.begin(), times.end());
        std::printf("load recipes + evaluate %zu packages: min %.2f ms, median %.2f ms, max %.2f "
                    "ms over %d rounds (target < 20 ms)\n",
                    plans, times.front(), times[times.size() / 2], times.back(), rounds);
        return times[times.size() / 2] < 20.0 ? 0 : 1;
    } catch (const xenbuild::Error& error) {
        std::fprintf(stderr, "error: %s\n", error.describe().c_str());
        return 1;
    }
}
