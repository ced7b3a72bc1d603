// SPDX-License-Identifier: MIT
#pragma once
// Internal: "did you mean ...?" for mistyped names (commands, scenarios, errno names).

#include <string>
#include <vector>

namespace rstlab::detail {

/// Edit distance between `a` and `b`, counting an exchange of two neighbouring characters
/// as one edit (the commonest typo: "analzye"). Case-insensitive.
size_t edit_distance(const std::string& a, const std::string& b);

/// The candidates close enough to `word` to be what was meant, closest first (ties keep
/// the candidates' order), at most `max`. Close enough: within `max_edits` edits (0: about
/// a third of the word's length, at least 2), or containing the word (three letters or more).
std::vector<std::string> closest_names(const std::string& word, const std::vector<std::string>& candidates,
                                       size_t max = 3, size_t max_edits = 0);

/// "'a'", "'a' or 'b'", "'a', 'b' or 'c'" (`quote` 0: without quotes).
std::string alternatives(const std::vector<std::string>& names, char quote = '\'');

}  // namespace rstlab::detail

namespace rstlab::detail {

/// The fewest edits that turn `phrase` into some part of `text` (any start, any end):
/// 0 when `text` contains it. Case-insensitive. For finding a known phrase, misspelt, in a
/// longer line.
size_t distance_within(const std::string& phrase, const std::string& text);

}  // namespace rstlab::detail
