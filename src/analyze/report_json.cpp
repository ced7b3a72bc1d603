// SPDX-License-Identifier: MIT
#include "analyze/report_json.h"

#include <charconv>
#include <cstring>

#include "rstlab/rules.h"
#include "rstlab/tcp_model.h"
#include "util/json_writer.h"

namespace rstlab::detail {
namespace {

/// An endpoint's text without allocating.
struct EndpointText {
  explicit EndpointText(const Endpoint& e) : n(e.format(buf)) {}
  std::string_view view() const { return {buf, n}; }
  char buf[Endpoint::kTextSize];
  size_t n;
};

/// True if JSON needs nothing escaped in `s`: every byte printable ASCII and neither '"'
/// nor '\'. Eight bytes a step (a "maybe" only costs the careful path: json_string).
bool plain(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const char* p = s.data();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    const uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
    const uint64_t special = (w - kOnes * 0x20) | (quote - kOnes) | (backslash - kOnes);
    // A byte below 0x20, equal to '"' or '\' sets its high bit in `special` where the
    // original byte's high bit is clear; a byte >= 0x80 sets it in w itself.
    if (((special & ~w) | w) & kHigh) return false;
  }
  for (; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

/// One line of JSON written straight into `out`: the keys are this file's own literals
/// (nothing in them to escape), strings are copied as they are when plain() and go
/// through json_string otherwise, so the text is exactly JsonWriter's.
class Line {
 public:
  explicit Line(std::string& out) : out_(out) {}
  /// Literal JSON text: punctuation and keys, as in `,"key":`.
  Line& raw(std::string_view s) {
    out_.append(s.data(), s.size());
    return *this;
  }
  Line& str(std::string_view s) {
    if (plain(s)) {
      out_ += '"';
      out_.append(s.data(), s.size());
      out_ += '"';
    } else {
      json_string(out_, s);
    }
    return *this;
  }
  Line& num(uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<size_t>(r.ptr - buf));
    return *this;
  }
  Line& boolean(bool b) { return raw(b ? "true" : "false"); }

 private:
  std::string& out_;
};

}  // namespace

void append_connection_json(std::string& out, const ConnectionReport& c, const std::vector<std::string_view>* files) {
  Line j(out);
  const EndpointText a(c.a), b(c.b);
  j.raw("{\"id\":").num(c.id);
  j.raw(",\"a\":").str(a.view()).raw(",\"b\":").str(b.view()).raw(",\"ending\":").str(c.ending);
  j.raw(",\"mid_stream\":").boolean(c.mid_stream).raw(",\"anomaly\":").boolean(c.anomaly);
  j.raw(",\"packets\":").num(c.packets).raw(",\"first_frame\":").num(c.first_frame);
  j.raw(",\"last_frame\":").num(c.last_frame);
  j.raw(",\"resets\":[");
  for (size_t i = 0; i < c.resets.size(); ++i) {
    const ResetReport& r = c.resets[i];
    j.raw(i ? ",{\"frame\":" : "{\"frame\":").num(r.frame);
    j.raw(",\"from\":").str(EndpointText(r.from).view()).raw(",\"to\":").str(EndpointText(r.to).view());
    j.raw(",\"reaction\":").str(rst_reaction_name(r.reaction)).raw(",\"cause\":").str(r.cause);
    j.raw(",\"cause_rule\":");
    if (r.cause_rule == RuleId::None) j.raw("null");
    else j.str(rule_name(r.cause_rule));
    j.raw(",\"rule\":").str(rule_name(r.rule));
    j.raw(",\"errno\":");
    if (!r.err) j.raw("null");
    else if (const char* name = known_errno_name(r.err)) j.str(name);
    else j.str(errno_name(r.err));
    j.raw(",\"explanation\":").str(r.explanation).raw(",\"checksum\":").str(r.checksum).raw("}");
  }
  j.raw("],\"fins\":[");
  for (size_t i = 0; i < c.fins.size(); ++i) {
    const FinReport& f = c.fins[i];
    j.raw(i ? ",{\"frame\":" : "{\"frame\":").num(f.frame);
    j.raw(",\"from\":").str(EndpointText(f.from).view()).raw(",\"to\":").str(EndpointText(f.to).view()).raw("}");
  }
  j.raw("],\"predicted\":{");
  for (int s = 0; s < 2; ++s) {
    const EndpointPrediction& p = c.predicted[s];
    if (s) j.raw(",");
    j.str(s == 0 ? a.view() : b.view());
    j.raw(":{\"next_read\":").str(p.next_read).raw(",\"next_write\":").str(p.next_write);
    j.raw(",\"write_raises_sigpipe\":").boolean(p.write_raises_sigpipe).raw(",\"so_error\":").str(p.so_error);
    j.raw(",\"why\":").str(p.why).raw(",\"inferred\":").boolean(p.inferred);
    if (!p.unknown.empty()) j.raw(",\"unknown\":").str(p.unknown);
    j.raw("}");
  }
  j.raw("},\"notes\":[");
  for (size_t i = 0; i < c.notes.size(); ++i) j.raw(i ? "," : "").str(c.notes[i]);
  j.raw("]");
  if (files) {
    j.raw(",\"files\":[");
    for (size_t i = 0; i < files->size(); ++i) j.raw(i ? "," : "").str((*files)[i]);
    j.raw("]");
  }
  j.raw("}\n");
}

}  // namespace rstlab::detail
