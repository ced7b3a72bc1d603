// SPDX-License-Identifier: MIT
#include "render/text_util.h"

#include <cstdint>
#include <sstream>

#include "util/utf8.h"

namespace rstlab::detail {

namespace {

void hex_byte(std::string& o, unsigned char c) {
  static const char* digits = "0123456789abcdef";
  o += "\\x";
  o += digits[c >> 4];
  o += digits[c & 15];
}

/// Length of the UTF-8 character at s[i] (2-4) that the text outputs show as it is, or 0:
/// C1 controls (U+0080-U+009F, 0xC2 0x80-0x9F) are escaped too, since terminals act on them.
size_t shown_utf8_sequence(const std::string& s, size_t i) {
  const size_t n = detail::utf8_sequence(s, i);
  if (n < 2 || (n == 2 && static_cast<unsigned char>(s[i]) == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F))
    return 0;
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
    } else if (const size_t n = c >= 0x80 ? shown_utf8_sequence(s, i) : 0) {
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

std::string action_label(const Trace& t, const ActionEvent& a) {
  const auto id = t.find_actor(a.actor);
  const bool program = id ? t.actors[*id].kind == ProcessKind::Program
                          : a.action == "output" || a.action == "exit";  // a process without calls
  return (a.actor == "middle" || program ? "" : "peer ") + a.action + ": " + a.detail;
}

std::string output_label(const OutputEvent& o) { return std::string(stream_name(o.stream)) + ": " + visible(o.text); }

bool output_on_client(const Trace& t, const OutputEvent& o) {
  if (o.actor_id) return !t.connections.empty() && t.connections[0].client.actor == o.actor_id;
  return action_on_client(t, ActionEvent{o.actor, "", ""});
}

bool action_on_client(const Trace& t, const ActionEvent& a) {
  if (a.actor == "client") return true;
  const auto id = t.find_actor(a.actor);
  return id && !t.connections.empty() && t.connections[0].client.actor == id;
}

}  // namespace rstlab::detail
