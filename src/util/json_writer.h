// SPDX-License-Identifier: MIT
#pragma once
// Internal: a streaming JSON writer that appends to a std::string. `rstlab analyze
// --json` prints one object per connection for captures of millions of packets; a tree
// per object (nlohmann's ordered_json) cost three times the analysis itself, this costs
// little more than copying the bytes.
//
// Strings: what is valid UTF-8 is copied as it is; '"', '\\' and the control characters
// are escaped (\b \f \n \r \t, the others \u00XX, lowercase hex, as nlohmann does); a
// byte that is not part of a valid UTF-8 sequence is written as \u00XX of that byte (it
// reads back as the Latin-1 character of the same value: the output is always valid
// JSON and no byte is lost or replaced).

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/utf8.h"

namespace rstlab::detail {

/// True if JSON needs nothing escaped in `s`: every byte printable ASCII and neither '"'
/// nor '\'. Eight bytes a step; a "no" only costs the careful path.
bool json_plain(std::string_view s);

/// The most bytes json_escape() writes for `n` bytes of text: "\u00XX" per byte, quotes.
constexpr size_t json_escaped_bound(size_t n) { return 6 * n + 2; }

/// Writes `s` as a JSON string, quotes included, at `p` (room for json_escaped_bound()
/// bytes); returns the end of what it wrote.
char* json_escape(char* p, std::string_view s);

/// Appends `s` as a JSON string, quotes included.
void json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  /// An object's key; its value follows.
  JsonWriter& key(std::string_view k) {
    comma();
    json_string(out_, k);
    out_ += ':';
    need_comma_ = false;
    return *this;
  }
  JsonWriter& value(std::string_view s) {
    comma();
    json_string(out_, s);
    need_comma_ = true;
    return *this;
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) { return raw(b ? "true" : "false"); }
  JsonWriter& value(uint64_t v) { return integer(v); }
  JsonWriter& value(int64_t v) { return integer(v); }
  JsonWriter& value(unsigned v) { return integer(v); }
  JsonWriter& value(int v) { return integer(v); }
  JsonWriter& null() { return raw("null"); }

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    return key(k).value(v);
  }

  /// Ready for a new top-level value (after a line of JSON Lines).
  void reset() { need_comma_ = false; }

 private:
  void comma() {
    if (need_comma_) out_ += ',';
  }
  JsonWriter& open(char c) {
    comma();
    out_ += c;
    need_comma_ = false;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    need_comma_ = true;
    return *this;
  }
  JsonWriter& raw(std::string_view s) {
    comma();
    out_.append(s.data(), s.size());
    need_comma_ = true;
    return *this;
  }
  template <class I>
  JsonWriter& integer(I v) {
    comma();
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<size_t>(r.ptr - buf));
    need_comma_ = true;
    return *this;
  }

  std::string& out_;
  bool need_comma_ = false;  // a value was written at this level: the next one needs ','
};

}  // namespace rstlab::detail
