// SPDX-License-Identifier: MIT
#include "render/text_util.h"

#include <cstdint>
#include <sstream>

namespace rstlab::detail {

namespace {

void hex_byte(std::string& o, unsigned char c) {
  static const char* digits = "0123456789abcdef";
  o += "\\x";
  o += digits[c >> 4];
  o += digits[c & 15];
}

/// Length of the valid UTF-8 sequence at s[i] (2-4), or 0 if there is none. C1 controls
/// (U+0080-U+009F) count as invalid here: terminals act on them.
size_t utf8_sequence(const std::string& s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  const uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f) return 0;
  return n;
}

}  // namespace

std::string visible(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      o += static_cast<char>(c);
      ++i;
    } else if (c == '\n') {
      o += "\\n", ++i;
    } else if (c == '\r') {
      o += "\\r", ++i;
    } else if (c == '\t') {
      o += "\\t", ++i;
    } else if (const size_t n = c >= 0x80 ? utf8_sequence(s, i) : 0) {
      o.append(s, i, n);
      i += n;
    } else {
      hex_byte(o, c);
      ++i;
    }
  }
  return o;
}

std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::vector<std::string> wrap_words(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string w, line;
  while (words >> w) {
    if (!line.empty() && line.size() + 1 + w.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace rstlab::detail
