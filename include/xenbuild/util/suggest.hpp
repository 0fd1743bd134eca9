#pragma once
// "Did you mean" for unknown names: candidates closest to a misspelt name by edit distance.

#include <cstddef>
#include <string>
#include <vector>

namespace xenbuild::util {

// Levenshtein distance (insert, delete, substitute; each costs 1).
std::size_t editDistance(const std::string& a, const std::string& b);

// Candidates within a distance of max(2, |name| / 3), closest first (ties in input order), at
// most `limit` of them.
std::vector<std::string> closestNames(const std::string& name,
                                      const std::vector<std::string>& candidates,
                                      std::size_t limit = 3);

// "; did you mean 'a' or 'b'?" or "" when nothing is close.
std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates);

} // namespace xenbuild::util
