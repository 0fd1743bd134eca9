#pragma once
// "Did you mean" for unknown names: candidates closest to a misspelt name by edit distance.

#include <cstddef>
#include <string>
#include <vector>

namespace xenbuild::util {

// Edit distance: insert, delete, substitute or swap two adjacent characters, each costing 1.
std::size_t editDistance(const std::string& a, const std::string& b);

// The candidates at the smallest distance from `name`, provided it is at most max(2, |name| / 3),
// in input order, at most `limit` of them.
std::vector<std::string> closestNames(const std::string& name,
                                      const std::vector<std::string>& candidates,
                                      std::size_t limit = 3);

// "; did you mean 'a' or 'b'?" or "" when nothing is close.
std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates);

} // namespace xenbuild::util
