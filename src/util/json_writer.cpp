// SPDX-License-Identifier: MIT
#include "util/json_writer.h"

#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace rstlab::detail {

bool json_plain(std::string_view s) {
  const char* p = s.data();
  size_t i = 0;
#ifdef __SSE2__
  // Sixteen bytes a step: a signed compare with 0x20 catches both the control characters
  // and the bytes >= 0x80 (negative as signed chars). The last step overlaps the one
  // before it, so no byte is left for a slower loop.
  if (s.size() >= 16) {
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const auto clean = [&](size_t at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
      const __m128i bad =
          _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      return _mm_movemask_epi8(bad) == 0;
    };
    for (; i + 16 <= s.size(); i += 16)
      if (!clean(i)) return false;
    return i == s.size() || clean(s.size() - 16);
  }
#endif
  // Eight bytes a step (the last one padded with spaces, which need no escape).
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const auto clean = [&](uint64_t w) {
    const uint64_t q = w ^ (kOnes * '"'), b = w ^ (kOnes * '\\');
    const uint64_t special = (w - kOnes * 0x20) | (q - kOnes) | (b - kOnes);
    // A byte below 0x20, equal to '"' or '\' sets its high bit in `special` where the
    // original byte's high bit is clear; a byte >= 0x80 sets it in w itself.
    return (((special & ~w) | w) & kHigh) == 0;
  };
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (!clean(w)) return false;
  }
  if (i == s.size()) return true;
  uint64_t w = kOnes * ' ';
  std::memcpy(&w, p + i, s.size() - i);
  return clean(w);
}

char* json_escape(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  size_t run = 0;  // start of the bytes copied as they are
  const auto flush = [&](size_t upto) {
    if (upto > run) std::memcpy(p, s.data() + run, upto - run);  // (never from a null empty view)
    p += upto - run;
  };
  const auto put = [&](char a, char b) {
    *p++ = a;
    *p++ = b;
  };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (const size_t n = utf8_sequence(s, i)) {
        i += n;
        continue;
      }
    }
    flush(i);
    switch (c) {
      case '"': put('\\', '"'); break;
      case '\\': put('\\', '\\'); break;
      case '\b': put('\\', 'b'); break;
      case '\f': put('\\', 'f'); break;
      case '\n': put('\\', 'n'); break;
      case '\r': put('\\', 'r'); break;
      case '\t': put('\\', 't'); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        std::memcpy(p, esc, 6);
        p += 6;
      }
    }
    run = ++i;
  }
  flush(s.size());
  *p++ = '"';
  return p;
}

void json_string(std::string& out, std::string_view s) {
  const size_t at = out.size();
  if (json_plain(s)) {  // the common case: no escape, one copy
    out.resize(at + s.size() + 2);
    char* p = &out[at];
    *p = '"';
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
  out.resize(at + json_escaped_bound(s.size()));
  out.resize(static_cast<size_t>(json_escape(&out[at], s) - out.data()));
}

}  // namespace rstlab::detail
