// SPDX-License-Identifier: MIT
#pragma once
// Internal: the one UTF-8 check (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF) behind scenario files (which must be text), JSON strings (which must be
// valid UTF-8) and the text outputs (which show other bytes escaped).

#include <cstddef>
#include <string_view>

namespace rstlab::detail {

/// Length of the well-formed UTF-8 sequence that starts at s[i]: 1 for ASCII, 2 to 4 for
/// a multi-byte character, 0 when the bytes there are not UTF-8 (or are cut short).
inline size_t utf8_sequence(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;  // no overlong forms
  else if (c >= 0xE1 && c <= 0xEC) n = 3;
  else if (c == 0xED) n = 3, hi = 0x9F;  // no surrogates
  else if (c >= 0xEE && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else if (c == 0xF4) n = 4, hi = 0x8F;  // up to U+10FFFF
  else return 0;                         // 0x80-0xC1 (continuation, overlong), 0xF5-0xFF
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  return n;
}

/// Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or npos.
inline size_t first_invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace rstlab::detail
