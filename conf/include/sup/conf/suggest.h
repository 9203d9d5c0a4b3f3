// "Did you mean" hints, shared by the config loader (unknown keys) and supd (unknown
// selectors), so that both suggest the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sup::conf {

// The candidate closest to `word` by edit distance if it is close enough to be a likely
// typo, else "".
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace sup::conf
