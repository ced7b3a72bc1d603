// SPDX-License-Identifier: MIT
#include "util/suggest.h"

#include <algorithm>
#include <cctype>

namespace rstlab::detail {

size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment: Levenshtein plus transpositions, three rolling rows.
  const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> closest_names(const std::string& word, const std::vector<std::string>& candidates,
                                       size_t max, size_t max_edits) {
  const size_t limit = max_edits ? max_edits : std::max<size_t>(2, word.size() / 3);
  std::string lower_word;
  for (char c : word) lower_word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct Scored {
    size_t distance, order;
  };
  std::vector<Scored> close;
  for (size_t k = 0; k < candidates.size(); ++k) {
    const std::string& c = candidates[k];
    size_t d = edit_distance(word, c);
    if (d > limit) {
      std::string lower_c;
      for (char ch : c) lower_c += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (word.size() < 3 || lower_c.find(lower_word) == std::string::npos) continue;
      d = limit + 1;  // contains the word: after every near miss, before nothing
    }
    if (d == 0 && c == word) continue;  // the word itself is not a suggestion
    close.push_back({d, k});
  }
  std::stable_sort(close.begin(), close.end(),
                   [](const Scored& x, const Scored& y) { return x.distance < y.distance; });
  // Only the best and those one edit behind: "broken-pip" is 'broken-pipe', not every
  // name that starts alike.
  std::vector<std::string> out;
  for (size_t k = 0; k < close.size() && out.size() < max && close[k].distance <= close[0].distance + 1; ++k)
    out.push_back(candidates[close[k].order]);
  return out;
}

std::string alternatives(const std::vector<std::string>& names, char quote) {
  std::string s;
  for (size_t k = 0; k < names.size(); ++k) {
    if (k) s += k + 1 == names.size() ? " or " : ", ";
    if (quote) s += quote;
    s += names[k];
    if (quote) s += quote;
  }
  return s;
}

}  // namespace rstlab::detail

namespace rstlab::detail {

size_t distance_within(const std::string& phrase, const std::string& text) {
  // Sellers' variant of the edit distance: a match may start anywhere in `text` (the first
  // row is all zeros) and end anywhere (the minimum of the last row).
  const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  std::vector<size_t> prev(text.size() + 1, 0), cur(text.size() + 1);
  for (size_t i = 1; i <= phrase.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= text.size(); ++j) {
      const bool same = lower(phrase[i - 1]) == lower(text[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return *std::min_element(prev.begin(), prev.end());
}

}  // namespace rstlab::detail
