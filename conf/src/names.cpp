// Name rules and edit distance; see names.h.
#include "names.h"

#include <algorithm>
#include <cctype>

namespace sup::conf {

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word_char(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return word_char(c) || c == '.' || c == '-'; });
}

bool IsReservedName(std::string_view name) { return name == "all" || name == "main"; }

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1u : 0u)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;  // further is no typo
  for (const auto& c : candidates) {
    // The length difference alone bounds the distance from below: a selector of a megabyte
    // sent by any peer must not cost an edit distance against every program name.
    const size_t length_gap = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (length_gap >= best_distance) continue;
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace sup::conf
