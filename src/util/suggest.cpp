#include "xenbuild/util/suggest.hpp"

#include "xenbuild/util/error.hpp"

#include <algorithm>

namespace xenbuild::util {

std::size_t editDistance(const std::string& a, const std::string& b) {
    // Optimal string alignment: Levenshtein plus transposition of adjacent characters.
    const std::size_t width = b.size() + 1;
    std::vector<std::size_t> d((a.size() + 1) * width);
    auto at = [&d, width](std::size_t i, std::size_t j) -> std::size_t& {
        return d[i * width + j];
    };
    for (std::size_t i = 0; i <= a.size(); ++i)
        at(i, 0) = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        at(0, j) = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
            }
        }
    }
    return at(a.size(), b.size());
}

std::vector<std::string> closestNames(const std::string& name,
                                      const std::vector<std::string>& candidates,
                                      std::size_t limit) {
    const std::size_t threshold = std::max<std::size_t>(2, name.size() / 3);
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& candidate : candidates) {
        // The distance is at least the difference in length: skip the quadratic table (which
        // for a megabyte-long name from hostile input would not even fit in memory).
        const std::size_t lengthGap = name.size() > candidate.size()
                                          ? name.size() - candidate.size()
                                          : candidate.size() - name.size();
        if (lengthGap > threshold) continue;
        const std::size_t distance = editDistance(name, candidate);
        if (distance <= threshold) scored.emplace_back(distance, candidate);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> names;
    for (std::size_t i = 0; i < scored.size() && i < limit; ++i) {
        if (scored[i].first > scored[0].first) break; // only the closest ones
        names.push_back(scored[i].second);
    }
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
