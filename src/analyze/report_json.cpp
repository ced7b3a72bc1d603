// SPDX-License-Identifier: MIT
#include "analyze/report_json.h"

#include <charconv>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/// Copies `n` bytes from `s` to `d` when none of them needs escaping (json_plain's test),
/// in one pass over them instead of json_plain's and then memcpy's; false otherwise (`d`
/// then holds some of them). Most strings of a line are short, so the second call and
/// pass cost about what the first did (json_plain was close to a third of the line's
/// samples in `perf record`).
inline bool copy_plain(char* d, const char* s, size_t n) {
#ifdef __SSE2__
  if (n >= 16) {
    // As json_plain: a signed compare with 0x20 catches the control characters and the
    // bytes >= 0x80; the last step overlaps the one before it.
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const auto step = [&](size_t at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + at));
      const __m128i bad =
          _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + at), v);
      return _mm_movemask_epi8(bad) == 0;
    };
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
      if (!step(i)) return false;
    return i == n || step(n - 16);
  }
#endif
  if (!json_plain(std::string_view(s, n))) return false;
  if (n) std::memcpy(d, s, n);  // (never from a null empty view)
  return true;
}

/// One line of JSON written straight into `out` through a pointer: the keys are this
/// file's own literals (nothing in them to escape, their lengths known at compile time),
/// strings are copied as they are when json_plain() and escaped otherwise, so the text is
/// exactly JsonWriter's. `out` grows ahead of the pointer (room()) and is cut to what was
/// written by done(): one size check per piece instead of std::string's bookkeeping per
/// append, which was most of the writer's instructions.
class Line {
 public:
  explicit Line(std::string& out) : out_(out), p_(grow(out.size(), kStep)) {}
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  /// Literal JSON text: punctuation and keys, as in `,"key":`.
  template <size_t N>
  Line& raw(const char (&s)[N]) {
    return bytes(s, N - 1);
  }
  Line& raw(std::string_view s) { return bytes(s.data(), s.size()); }
  Line& str(std::string_view s) {
    room(s.size() + 2);
    if (copy_plain(p_ + 1, s.data(), s.size())) {
      *p_ = '"';
      p_ += s.size() + 1;
      *p_++ = '"';
    } else {  // what copy_plain wrote is written over
      room(json_escaped_bound(s.size()));
      p_ = json_escape(p_, s);
    }
    return *this;
  }
  Line& num(uint64_t v) {
    room(20);
    p_ = std::to_chars(p_, p_ + 20, v).ptr;
    return *this;
  }
  Line& boolean(bool b) { return b ? raw("true") : raw("false"); }
  /// Cuts `out` to what was written.
  void done() { out_.resize(static_cast<size_t>(p_ - out_.data())); }

 private:
  static constexpr size_t kStep = 2048;  // most lines fit in one step

  Line& bytes(const char* s, size_t n) {
    room(n);
    std::memcpy(p_, s, n);
    p_ += n;
    return *this;
  }
  void room(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) p_ = grow(static_cast<size_t>(p_ - out_.data()), n + kStep);
  }
  /// Makes `out` hold at least `n` bytes of room after `used`; returns where they start.
  char* grow(size_t used, size_t n) {
    out_.resize(used + n);
    end_ = out_.data() + out_.size();
    return out_.data() + used;
  }

  std::string& out_;
  char* end_ = nullptr;
  char* p_;
};

}  // namespace

void append_connection_json(std::string& out, const ConnectionReport& c, const std::vector<std::string_view>* files) {
  Line j(out);
  const EndpointText a(c.a), b(c.b);
  // A reset's or FIN's endpoints are the connection's own: their texts are at hand.
  char other[Endpoint::kTextSize];
  const auto endpoint_text = [&](const Endpoint& e) -> std::string_view {
    if (e == c.a) return a.view();
    if (e == c.b) return b.view();
    return {other, e.format(other)};  // used before the next call
  };
  j.raw("{\"id\":").num(c.id);
  j.raw(",\"a\":").str(a.view()).raw(",\"b\":").str(b.view()).raw(",\"ending\":").str(c.ending);
  j.raw(",\"mid_stream\":").boolean(c.mid_stream).raw(",\"anomaly\":").boolean(c.anomaly);
  j.raw(",\"packets\":").num(c.packets).raw(",\"first_frame\":").num(c.first_frame);
  j.raw(",\"last_frame\":").num(c.last_frame);
  j.raw(",\"resets\":[");
  for (size_t i = 0; i < c.resets.size(); ++i) {
    const ResetReport& r = c.resets[i];
    j.raw(i ? ",{\"frame\":" : "{\"frame\":").num(r.frame);
    j.raw(",\"from\":").str(endpoint_text(r.from));
    j.raw(",\"to\":").str(endpoint_text(r.to));
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
    j.raw(",\"from\":").str(endpoint_text(f.from));
    j.raw(",\"to\":").str(endpoint_text(f.to)).raw("}");
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
  j.raw("}\n").done();
}

}  // namespace rstlab::detail
