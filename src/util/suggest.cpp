#include "xenbuild/util/suggest.hpp"

#include "xenbuild/util/error.hpp"

#include <algorithm>
#include <numeric>

namespace xenbuild::util {

std::size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::vector<std::string> closestNames(const std::string& name,
                                      const std::vector<std::string>& candidates,
                                      std::size_t limit) {
    const std::size_t threshold = std::max<std::size_t>(2, name.size() / 3);
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& candidate : candidates) {
        const std::size_t distance = editDistance(name, candidate);
        if (distance <= threshold) scored.emplace_back(distance, candidate);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> names;
    for (std::size_t i = 0; i < scored.size() && i < limit; ++i)
        names.push_back(scored[i].second);
    return names;
}

std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates) {
    const auto names = closestNames(name, candidates);
    if (names.empty()) return {};
    std::string text = "; did you mean ";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
        text += quote(names[i]);
    }
    return text + "?";
}

} // namespace xenbuild::util
