// SPDX-License-Identifier: MIT
// The SVG ladder diagram: two lifelines, sloped packet arrows, call boxes beside the
// kernel sides, the first observer called out with its reason, and a legend. A trace
// with a middle actor gets a third lifeline between the two, from which the segments
// it injected start.
//
// Layout: every event gets a horizontal band (a row); a row is as tall as what it
// holds (wrapped call boxes and notes, a packet's verdict under its arrow, the first
// observer's callout), so nothing drawn in one row reaches into the next. A call that
// blocked gets a second row where it was entered, and a bracket from entry to return.
// Every text, box and arrow is recorded as a shape with its bounds while it is drawn,
// so tests can check that no two of them collide (svg_ladder_layout, ladder_overlaps).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "render/text_util.h"
#include "rstlab/diagram.h"
#include "rstlab/render.h"
#include "rstlab/wire.h"
#include "util/utf8.h"

namespace rstlab {
namespace {

constexpr int kWidth = 1220, kLeft = 450, kRight = 860, kTop = 118, kRow = 34, kSlope = 16;
constexpr int kMid = (kLeft + kRight) / 2;  // the middle actor's lifeline
constexpr double kEm = 0.61;                // monospace advance, in em (DejaVu Sans Mono: 0.602)
constexpr int kLine = 15;                   // line pitch of 12 px text in a box
constexpr int kNoteLine = 13;               // line pitch of 11 px notes
const char* kFont = "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\"";

std::string esc(const std::string& s) { return detail::xml_escape(detail::visible(s)); }

std::string fit(const std::string& s, size_t chars) {
  return s.size() <= chars ? s : s.substr(0, chars - 3) + "...";
}

/// Characters as shown (after visible(): a control byte is shown as \xNN).
size_t shown_chars(const std::string& s) {
  const std::string v = detail::visible(s);
  size_t n = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if ((static_cast<unsigned char>(v[i]) & 0xC0) != 0x80) ++n;
  return n;
}

double text_width(const std::string& s, double size) { return static_cast<double>(shown_chars(s)) * kEm * size; }

/// Lines of at most `width` characters, broken at the last space that fits; a word
/// longer than a line is broken inside. Never cut short: every character is shown.
std::vector<std::string> wrap(const std::string& raw, size_t width) {
  const std::string text = detail::visible(raw);  // what will be shown, so no byte splits a line
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t at = i, n = 0, space = std::string::npos;
    while (at < text.size() && n < width) {
      if (text[at] == ' ') space = at;
      at += std::max<size_t>(1, detail::utf8_sequence(text, at));
      ++n;
    }
    if (at >= text.size()) {
      out.push_back(text.substr(i));
      break;
    }
    if (text[at] == ' ') space = at;
    if (space != std::string::npos && space > i) {
      out.push_back(text.substr(i, space - i));
      i = space + 1;
    } else {
      out.push_back(text.substr(i, at - i));
      i = at;
    }
  }
  if (out.empty()) out.push_back("");
  return out;
}

/// A call's text in lines: the call on the first lines and its result ("= -1 EPIPE
/// +SIGPIPE") starting a line of its own when both do not fit on one.
std::vector<std::string> wrap_call(const std::string& head, const std::string& tail, size_t width) {
  const std::string whole = tail.empty() ? head : head + " " + tail;
  if (shown_chars(whole) <= width) return {whole};
  std::vector<std::string> out = wrap(head, width);
  if (!tail.empty())
    for (auto& l : wrap(tail, width)) out.push_back(l);
  return out;
}

struct Colour {
  const char* stroke;
  const char* text;
};
const Colour kData{"#1f5fbf", "#1f4f9f"}, kCtl{"#8a8f98", "#555b66"}, kFin{"#d98a00", "#9a6200"},
    kRst{"#d12a2a", "#b01f1f"};

Colour packet_colour(const PacketEvent& p) {
  if (p.flags & tcpflag::RST) return kRst;
  if (p.flags & tcpflag::FIN) return kFin;
  if (p.len > 0) return kData;
  return kCtl;
}

/// A middle action in a few words: "R. to the server; R. to the client" (trace.txt has it all).
std::string middle_summary(const std::string& detail) {
  std::string out;
  size_t at = 0;
  while (at < detail.size()) {
    size_t end = detail.find("; ", at);
    if (end == std::string::npos) end = detail.size();
    const std::string part = detail.substr(at, end - at);
    out += (out.empty() ? "" : "; ") + part.substr(0, part.find(" as if"));
    at = end + 2;
  }
  return out;
}

std::string ms(double ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f ms", ns / 1e6);
  return b;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", std::round(v * 10) / 10);
  return b;
}

/// The call box of one row: its lines, the small print (state, SIGPIPE's fate) and size.
struct CallBox {
  std::vector<std::string> lines;
  std::string extra;        ///< small print, after the last line or on a line of its own
  bool extra_alone = false;  ///< the small print did not fit after the last line
  std::vector<std::string> expected;  ///< an unmet expectation, under the box
  int w = 0, h = 0;
};

/// One band of the ladder: an event, or the entry of a call that blocked.
struct Row {
  size_t event = 0;
  bool entry = false;  ///< the moment a blocked call was entered
  int64_t t_ns = 0;
  int y = 0;
  int up = 0, down = 0;     ///< how far its drawing reaches above and below y
  CallBox box;              ///< syscall rows
  std::vector<std::string> note;  ///< action rows: the note's lines
  bool verdict = false;     ///< packet rows: a verdict under the arrow
  int callout_top = 0;      ///< the first observer's row: where its callout starts
};

class Svg {
 public:
  Svg(const Trace& t, TimeMode mode, bool steps = false)
      : t_(t), mode_(mode), middle_(t.has_middle()), steps_(steps) {}

  std::string render() {
    layout();
    // The height is known from the layout: the document is written in one pass.
    const int legend_y = bottom_ + 30;
    height_ = legend_y + 70;
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << height_
      << "\" viewBox=\"0 0 " << kWidth << " " << height_ << "\" " << kFont << " font-size=\"12\">\n"
      << "<title>" << esc(t_.scenario + " - " + t_.title) << "</title>\n"
      << "<defs>\n";
    for (const Colour* c : {&kData, &kCtl, &kFin, &kRst})
      o << "<marker id=\"a" << (c->stroke + 1) << "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
        << "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"" << c->stroke
        << "\"/></marker>\n";
    o << "</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    header(o);
    lifelines(o);
    for (size_t k = 0; k < rows_.size(); ++k) {
      // For stepping through (the course): each row a group a page can show or hide.
      if (steps_) o << "<g class=\"step\" data-step=\"" << k << "\">\n";
      row(o, rows_[k]);
      if (steps_) o << "</g>\n";
    }
    legend(o, legend_y);
    o << "</svg>\n";
    return o.str();
  }

  std::vector<LadderRow> rows() {
    layout();
    std::vector<LadderRow> out;
    for (const Row& r : rows_) out.push_back({r.event, r.entry});
    return out;
  }

  LadderLayout shapes() {
    record_shapes_ = true;
    render();
    return LadderLayout{kWidth, height_, shapes_};
  }

 private:
  // ---- layout ------------------------------------------------------------------
  /// A call blocked when, between its entry and its return, something reached its side
  /// from outside: data, a FIN or an RST arriving, or another actor's step (which the
  /// runner takes only while a background call waits). Its own segments, and the ACKs
  /// and SYN-ACK they draw, go out and come back while any call runs: they do not count.
  bool blocked(size_t i) const {
    const auto* s = t_.events[i].syscall();
    if (!s || s->t_start_ns <= 0 || s->t_start_ns >= t_.events[i].t_ns) return false;
    for (size_t k = first_after(s->t_start_ns); k < i; ++k) {
      const Event& e = t_.events[k];
      if (const auto* p = e.packet()) {
        const bool toward = (p->dir == Dir::ServerToClient) == client_side(*s);
        if (toward && (p->len > 0 || (p->flags & (tcpflag::FIN | tcpflag::RST)))) return true;
      } else if (const auto* a = e.action()) {
        if (a->actor != s->actor) return true;
      } else if (const auto* out = e.output()) {
        if (out->actor != s->actor) return true;
      } else if (const auto* c = e.syscall()) {
        if (c->actor != s->actor) return true;
      }
    }
    return false;
  }
  /// The first event, from the start, whose time is after `t`. Events are sorted by time
  /// in a run's trace, but a trace.json may hold them in any order: this is the first k
  /// whose running maximum of times exceeds `t` (a binary search; the ladder asks it of
  /// every call, and a long trace has tens of thousands).
  size_t first_after(int64_t t) const {
    return static_cast<size_t>(std::upper_bound(running_max_.begin(), running_max_.end(), t) - running_max_.begin());
  }

  bool client_side(const SyscallEvent& call) const { return t_.side_of(call) == 0; }
  bool client_side(const std::string& actor) const {  // actions
    return detail::action_on_client(t_, ActionEvent{actor, "", ""});
  }

  CallBox call_box(const SyscallEvent& s, const Event& e, bool entry) const {
    CallBox b;
    const bool client = client_side(s);
    const int max_w = client ? kLeft - 10 - time_column_ : kWidth - 8 - (kRight + 10);
    const size_t chars = static_cast<size_t>((max_w - 14) / (kEm * 12));
    const std::string head = s.call + "(" + s.args + ")";
    if (entry) {
      b.lines = wrap(head, chars);
      b.extra = "blocks";
    } else {
      // The box says the call and its result; the small print says the state and what
      // SIGPIPE did.
      SyscallEvent compact = s;
      compact.fate = SignalFate::None;
      const std::string text = syscall_line(compact);
      const std::string tail = text.size() > head.size() + 1 && text.compare(0, head.size(), head) == 0
                                   ? text.substr(head.size() + 1)
                                   : "";
      b.lines = tail.empty() && text != head ? wrap(text, chars) : wrap_call(head, tail, chars);
      b.extra = s.state;
      if (s.fate != SignalFate::None)
        b.extra = std::string(signal_fate_name(s.fate)) + (b.extra.empty() ? "" : " ") + b.extra;
      if (e.met && !*e.met) b.expected = wrap("expected " + e.expected, chars);
    }
    double widest = 0;
    for (const auto& l : b.lines) widest = std::max(widest, text_width(l, 12));
    if (!b.extra.empty()) {
      const double last = text_width(b.lines.back(), 12) + 8 + text_width(b.extra, 10);
      b.extra_alone = last > max_w - 14;
      widest = std::max(widest, b.extra_alone ? text_width(b.extra, 10) : last);
    }
    const int lines = static_cast<int>(b.lines.size()) + (b.extra_alone ? 1 : 0);
    b.w = static_cast<int>(std::ceil(widest)) + 14;
    b.h = 22 + kLine * (lines - 1);
    return b;
  }

  void layout() {
    const size_t n = t_.events.size();
    running_max_.resize(n);
    for (size_t i = 0; i < n; ++i)
      running_max_[i] = i ? std::max(running_max_[i - 1], t_.events[i].t_ns) : t_.events[i].t_ns;
    verdicts_ = detail::packet_verdicts(t_);
    blocked_.assign(n, false);
    if (t_.first_observer) {
      const auto& f = *t_.first_observer;
      callout_title_ = wrap_call("first observer: " + f.actor + " " + f.call, "-> " + f.result, callout_chars());
      callout_ = wrap(f.reason, callout_chars());
    }
    // The rows: each event, and before the first event that happened while a call was
    // blocked, that call's entry.
    std::vector<std::vector<size_t>> entries(n + 1);
    size_t blocked_calls = 0;
    for (size_t i = 0; i < n; ++i)
      if (blocked(i)) {
        blocked_[i] = true;
        ++blocked_calls;
        entries[first_after(t_.events[i].syscall()->t_start_ns)].push_back(i);
      }
    rows_.clear();
    rows_.reserve(n + blocked_calls);
    entry_row_.assign(n, kNoRow);
    for (size_t i = 0; i < n; ++i) {
      for (size_t b : entries[i]) {
        Row r;
        r.event = b;
        r.entry = true;
        r.t_ns = t_.events[b].syscall()->t_start_ns;
        entry_row_[b] = rows_.size();
        rows_.push_back(r);
      }
      Row r;
      r.event = i;
      r.t_ns = t_.events[i].t_ns;
      rows_.push_back(r);
    }
    // The timestamps' column on the left edge: as wide as its widest label, so a call box
    // never reaches into it.
    const int64_t first = n ? t_.events.front().t_ns : 0;
    double widest = 0;
    for (const Row& r : rows_) widest = std::max(widest, text_width(ms(detail::elapsed_ns(first, r.t_ns)), 10));
    time_column_ = 8 + static_cast<int>(std::ceil(widest)) + 4;
    for (Row& r : rows_) measure(r);

    const int64_t t0 = n ? t_.events.front().t_ns : 0, t1 = n ? t_.events.back().t_ns : 0;
    // In double: a trace.json may hold any times, unsorted or far apart (trace_fuzz found
    // one whose int64 difference and scaled row overflowed).
    const double span = std::max(static_cast<double>(t1) - static_cast<double>(t0), 1.0);
    const double height = std::max<double>(400, static_cast<double>(rows_.size()) * kRow);
    int y = kTop;
    for (size_t k = 0; k < rows_.size(); ++k) {
      Row& r = rows_[k];
      int want = y;
      if (k > 0) {
        const Row& p = rows_[k - 1];
        const int base = t_.events[p.event].packet() ? kRow : kRow - 6;
        want = std::max(p.y + base, p.y + p.down + 1 + r.up);
      }
      if (mode_ == TimeMode::Proportional)
        want = std::max(want, kTop + static_cast<int>(
                                         std::clamp(static_cast<double>(r.t_ns) - static_cast<double>(t0), 0.0, span) /
                                         span * height));
      r.y = want;
      y = want;
      if (r.callout_top) r.callout_top += r.y;
    }
    if (rows_.empty()) {
      bottom_ = kTop;
    } else {
      const Row& last = rows_.back();
      bottom_ = std::max(last.y + (t_.events[last.event].packet() ? kRow : kRow - 6), last.y + last.down + 8);
    }
  }

  /// How far a row's drawing reaches above and below its y (callout_top relative to y).
  void measure(Row& r) {
    const Event& e = t_.events[r.event];
    if (const auto* p = e.packet()) {
      r.verdict = !verdicts_[r.event].empty();
      r.up = 20;                     // the label over the arrow
      r.down = r.verdict ? 30 : 13;  // the frame number, or the verdict under the arrow (and air)
      (void)p;
    } else if (const auto* s = e.syscall()) {
      r.box = call_box(*s, e, r.entry);
      r.up = 14;
      r.down = r.box.h - 14;
      if (!r.box.expected.empty()) r.down += 16 * static_cast<int>(r.box.expected.size());
      if (!r.entry && t_.first_observer && t_.first_observer->event == r.event) {
        r.callout_top = r.down + 12;
        r.down = r.callout_top + callout_height();
      }
    } else if (const auto* a = e.action()) {
      if (a->actor == "middle") {
        r.note = wrap("middle " + a->action + ": " + middle_summary(a->detail), 58);
      } else {
        const bool client = client_side(a->actor);
        const int room = client ? kLeft - 12 - time_column_ : kWidth - 8 - (kRight + 12);
        r.note = wrap(detail::action_label(t_, *a), static_cast<size_t>(room / (kEm * 11)));
      }
      r.up = 9;
      r.down = 4 + kNoteLine * (static_cast<int>(r.note.size()) - 1);
    } else if (const auto* out = e.output()) {
      const bool client = detail::output_on_client(t_, *out);
      const int room = client ? kLeft - 12 - time_column_ : kWidth - 8 - (kRight + 12);
      r.note = wrap(detail::output_label(*out), static_cast<size_t>(room / (kEm * 11)));
      r.up = 9;
      r.down = 4 + kNoteLine * (static_cast<int>(r.note.size()) - 1);
    }
  }

  // The callout has the band under its row to itself: it may reach over the lifelines.
  static constexpr int kCalloutX0 = kLeft - 20, kCalloutX1 = kRight + 20;
  static size_t callout_chars() { return static_cast<size_t>((kCalloutX1 - kCalloutX0 - 24) / (kEm * 12)); }
  int callout_height() const {
    return 14 + kLine * static_cast<int>(callout_title_.size() + callout_.size()) + 4;
  }

  // ---- drawing, each piece recorded as a shape -----------------------------------
  /// Records a shape (only when they are asked for: shapes()) and returns its index.
  int add_shape(LadderShape::Kind kind, double x0, double y0, double x1, double y1, std::string what, int inside = -1) {
    if (record_shapes_) shapes_.push_back(LadderShape{kind, x0, y0, x1, y1, std::move(what), inside});
    return shape_count_++;
  }
  /// Records one line of text at (x, baseline) of `size` px, anchored start/middle/end.
  void text_shape(double x, double baseline, const std::string& anchor, double size, const std::string& s,
                  double width, int inside = -1) {
    const double x0 = anchor == "middle" ? x - width / 2 : anchor == "end" ? x - width : x;
    add_shape(LadderShape::Kind::Text, x0, baseline - 0.8 * size, x0 + width, baseline + 0.22 * size, s, inside);
  }
  /// Writes a <text> of one line and records it.
  void text(std::ostringstream& o, double x, double y, const std::string& anchor, double size, const std::string& s,
            const std::string& attrs, int inside = -1) {
    o << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\"";
    if (anchor != "start") o << " text-anchor=\"" << anchor << "\"";
    if (size != 12) o << " font-size=\"" << num(size) << "\"";
    o << attrs << ">" << esc(s) << "</text>\n";
    if (record_shapes_) text_shape(x, y, anchor, size, s, text_width(s, size), inside);
    else ++shape_count_;
  }

  void header(std::ostringstream& o) {
    text(o, 20, 28, "start", 17, t_.scenario, " font-weight=\"bold\"");
    text(o, 20, 48, "start", 13, fit(t_.title, 140), " fill=\"#333\"");
    const ActorInfo* a[2] = {&t_.client, &t_.server};
    const int x[2] = {kLeft, kRight};
    for (int i = 0; i < 2; ++i) {
      const std::string kind = a[i]->kind == "kernel"    ? "kernel socket"
                               : a[i]->kind == "peer"    ? "crafted peer"
                               : a[i]->kind == "program" ? "traced program"
                                                         : "-";
      o << "<rect x=\"" << x[i] - 120 << "\" y=\"60\" width=\"240\" height=\"40\" rx=\"6\" fill=\"#eef2f8\" "
        << "stroke=\"#44546a\"/>\n";
      const int box = add_shape(LadderShape::Kind::Box, x[i] - 120, 60, x[i] + 120, 100, "actor");
      text(o, x[i], 77, "middle", 12, std::string(i ? "server" : "client") + " - " + kind, " font-weight=\"bold\"",
           box);
      text(o, x[i], 93, "middle", 12, a[i]->endpoint.str(), " fill=\"#44546a\"", box);
    }
    if (middle_) {
      o << "<rect x=\"" << kMid - 70 << "\" y=\"60\" width=\"140\" height=\"40\" rx=\"6\" fill=\"#f6eef8\" "
        << "stroke=\"#7a4a8a\"/>\n";
      const int box = add_shape(LadderShape::Kind::Box, kMid - 70, 60, kMid + 70, 100, "middle");
      text(o, kMid, 77, "middle", 12, "middle", " font-weight=\"bold\"", box);
      text(o, kMid, 93, "middle", 12, "middlebox", " fill=\"#7a4a8a\"", box);
    }
  }

  void lifelines(std::ostringstream& o) {
    for (int x : {kLeft, kRight})
      o << "<line x1=\"" << x << "\" y1=\"100\" x2=\"" << x << "\" y2=\"" << bottom_ + 6
        << "\" stroke=\"#44546a\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n";
    if (middle_)
      o << "<line x1=\"" << kMid << "\" y1=\"100\" x2=\"" << kMid << "\" y2=\"" << bottom_ + 6
        << "\" stroke=\"#b89cc4\" stroke-width=\"1.5\" stroke-dasharray=\"3 5\"/>\n";
  }

  void row(std::ostringstream& o, const Row& r) {
    const Event& e = t_.events[r.event];
    text(o, 8, r.y + 4, "start", 10, ms(detail::elapsed_ns(t_.events.front().t_ns, r.t_ns)), " fill=\"#9aa0a6\"");
    if (const auto* p = e.packet()) packet(o, *p, r);
    else if (const auto* s = e.syscall()) call(o, *s, r);
    else if (const auto* a = e.action()) action(o, *a, r);
    else if (const auto* out = e.output()) output(o, *out, r);
  }

  void packet(std::ostringstream& o, const PacketEvent& p, const Row& r) {
    const int y = r.y;
    const Colour c = packet_colour(p);
    const bool right = p.dir == Dir::ClientToServer;
    const bool injected = !p.injected_by.empty();  // starts on the middle's lifeline
    const int x1 = injected ? kMid : right ? kLeft : kRight, x2 = right ? kRight - 2 : kLeft + 2;
    const bool heavy = p.flags & (tcpflag::RST | tcpflag::FIN);
    o << "<line x1=\"" << x1 << "\" y1=\"" << y - 6 << "\" x2=\"" << x2 << "\" y2=\"" << y - 6 + kSlope
      << "\" stroke=\"" << c.stroke << "\" stroke-width=\"" << (heavy ? 2.6 : 1.6) << "\" marker-end=\"url(#a"
      << (c.stroke + 1) << ")\"" << (p.checksum_ok ? "" : " stroke-dasharray=\"5 3\"") << "/>\n";
    add_shape(LadderShape::Kind::Arrow, x1, y - 6, x2, y - 6 + kSlope, "arrow " + packet_label(p));
    const int mid = injected ? (x1 + x2) / 2 : (kLeft + kRight) / 2;
    // Over the middle's lifeline a label gets a white halo to stay readable.
    const std::string halo = middle_ ? " stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\"" : "";
    text(o, mid, y - 10, "middle", 12, packet_label(p),
         std::string(" fill=\"") + c.text + "\"" + (heavy ? " font-weight=\"bold\"" : "") + halo);
    text(o, right ? kRight + 8 : kLeft - 8, y + kSlope - 6, right ? "start" : "end", 10,
         "#" + std::to_string(p.frame), " fill=\"#9aa0a6\"");
    if (r.verdict)
      text(o, mid, y + kSlope + 6, "middle", 11, verdicts_[r.event],
           std::string(" font-style=\"italic\" fill=\"") + c.text + "\"" + halo);
  }

  void call(std::ostringstream& o, const SyscallEvent& s, const Row& r) {
    const int y = r.y;
    const bool client = client_side(s);
    const CallBox& b = r.box;
    const int x = client ? kLeft - 10 - b.w : kRight + 10;
    const bool observer = !r.entry && t_.first_observer && t_.first_observer->event == r.event;
    const bool error = s.failed();
    const bool eof = s.eof();
    const char* fill = r.entry ? "#ffffff" : observer ? "#fff4c2" : error ? "#fde8e8" : eof ? "#fff1dc" : "#f3f5f7";
    const char* stroke = observer ? "#e08a00" : error ? "#d12a2a" : eof ? "#d98a00" : "#9aa0a6";
    const char* ink = r.entry ? "#44546a" : error ? "#b01f1f" : eof ? "#9a6200" : "#1d2530";
    o << "<rect x=\"" << x << "\" y=\"" << y - 14 << "\" width=\"" << b.w << "\" height=\"" << b.h
      << "\" rx=\"4\" fill=\"" << fill << "\" stroke=\"" << stroke << "\" stroke-width=\"" << (observer ? 3 : 1)
      << "\"" << (r.entry ? " stroke-dasharray=\"4 3\"" : "") << "/>\n";
    const int box = add_shape(LadderShape::Kind::Box, x, y - 14, x + b.w, y - 14 + b.h,
                              r.entry ? "blocked call entry" : "call box");
    for (size_t k = 0; k < b.lines.size(); ++k) {
      const int ly = y + 1 + kLine * static_cast<int>(k);
      const bool last = k + 1 == b.lines.size();
      o << "<text x=\"" << x + 7 << "\" y=\"" << ly << "\" fill=\"" << ink << "\">" << esc(b.lines[k]);
      double w = text_width(b.lines[k], 12);
      if (last && !b.extra.empty() && !b.extra_alone) {
        o << "<tspan dx=\"8\" fill=\"#7a828c\" font-size=\"10\">" << esc(b.extra) << "</tspan>";
        w += 8 + text_width(b.extra, 10);
      }
      o << "</text>\n";
      text_shape(x + 7, ly, "start", 12, b.lines[k], w, box);
    }
    int below = y - 14 + b.h;
    if (!b.extra.empty() && b.extra_alone)
      text(o, x + 7, y + 1 + kLine * static_cast<int>(b.lines.size()), "start", 10, b.extra, " fill=\"#7a828c\"",
           box);
    for (const auto& line : b.expected) {  // an unmet expectation, under the box
      below += 16;
      text(o, client ? kLeft - 10 : kRight + 10, below - 3, client ? "end" : "start", 12, line,
           " fill=\"#d12a2a\" font-weight=\"bold\"");
    }
    if (r.entry) return;
    if (blocked_[r.event]) span(o, s, r, error);
    if (observer) callout(o, r, client ? x + b.w : x);
  }

  /// The bracket beside the lifeline from a blocked call's entry to its return: what
  /// arrived in between arrived while it waited.
  void span(std::ostringstream& o, const SyscallEvent& s, const Row& ret, bool error) {
    if (entry_row_[ret.event] == kNoRow) return;
    const Row* entry = &rows_[entry_row_[ret.event]];
    const bool client = client_side(s);
    const int edge = client ? kLeft - 10 : kRight + 10, bar = client ? kLeft - 4 : kRight + 4;
    const int y0 = entry->y - 3, y1 = ret.y - 3;
    o << "<polyline points=\"" << edge << "," << y0 << " " << bar << "," << y0 << " " << bar << "," << y1 << " "
      << edge << "," << y1 << "\" fill=\"none\" stroke=\"" << (error ? "#d12a2a" : "#7a828c")
      << "\" stroke-width=\"3\" stroke-linejoin=\"round\"/>\n";
    // Recorded as drawn: the bar beside the lifeline and the two ticks to the boxes.
    const double inner = client ? edge + 0.5 : edge - 0.5;
    const int whole = add_shape(LadderShape::Kind::Box, bar - 1.5, y0 - 1.5, bar + 1.5, y1 + 1.5, "blocked call span");
    for (int ty : {y0, y1})
      add_shape(LadderShape::Kind::Box, std::min<double>(inner, bar), ty - 1.5, std::max<double>(inner, bar), ty + 1.5,
                "blocked call span", whole);
  }

  void callout(std::ostringstream& o, const Row& r, int anchor_x) {
    const int top = r.callout_top, x = kCalloutX0, w = kCalloutX1 - kCalloutX0, h = callout_height();
    const bool client = anchor_x < kMid;
    o << "<line x1=\"" << anchor_x << "\" y1=\"" << r.y - 3 << "\" x2=\"" << (client ? x : x + w) << "\" y2=\""
      << top + 12 << "\" stroke=\"#e08a00\" stroke-width=\"2\"/>\n"
      << "<rect x=\"" << x << "\" y=\"" << top << "\" width=\"" << w << "\" height=\"" << h
      << "\" rx=\"8\" fill=\"#fff8dd\" stroke=\"#e08a00\" stroke-width=\"2\"/>\n";
    const int box = add_shape(LadderShape::Kind::Box, x, top, x + w, top + h, "first observer callout");
    int ly = top + 17;
    for (const auto& line : callout_title_) {
      text(o, x + 12, ly, "start", 12, line, " font-weight=\"bold\" fill=\"#8a5200\"", box);
      ly += kLine;
    }
    for (const auto& line : callout_) {
      text(o, x + 12, ly, "start", 12, line, " fill=\"#3d3320\"", box);
      ly += kLine;
    }
  }

  void action(std::ostringstream& o, const ActionEvent& a, const Row& r) {
    const bool middle = a.actor == "middle", client = client_side(a.actor);
    const int x = middle ? kMid : client ? kLeft - 12 : kRight + 12;
    const std::string anchor = middle ? "middle" : client ? "end" : "start";
    const std::string attrs = middle ? " font-style=\"italic\" fill=\"#7a4a8a\" stroke=\"#ffffff\" "
                                       "stroke-width=\"4\" paint-order=\"stroke\""
                                     : " font-style=\"italic\" fill=\"#5f6b7a\"";
    for (size_t k = 0; k < r.note.size(); ++k)
      text(o, x, r.y + 1 + kNoteLine * static_cast<int>(k), anchor, 11, r.note[k], attrs);
  }

  /// A line the program printed: beside its side's lifeline like an action, in the
  /// terminal's monospace (stderr in a darker red), so it reads as the program's own words.
  void output(std::ostringstream& o, const OutputEvent& out, const Row& r) {
    const bool client = detail::output_on_client(t_, out);
    const int x = client ? kLeft - 12 : kRight + 12;
    const std::string attrs = std::string(" font-family=\"monospace\" fill=\"") +
                              (out.stream == 2 ? "#8a3b12" : "#3c4043") + "\"";
    for (size_t k = 0; k < r.note.size(); ++k)
      text(o, x, r.y + 1 + kNoteLine * static_cast<int>(k), client ? "end" : "start", 11, r.note[k], attrs);
  }

  void legend(std::ostringstream& o, int y) {
    o << "<line x1=\"20\" y1=\"" << y - 16 << "\" x2=\"" << kWidth - 20 << "\" y2=\"" << y - 16
      << "\" stroke=\"#d0d4da\"/>\n";
    int x = 20;
    for (const auto& [c, name] : {std::pair{kData, "data"}, std::pair{kCtl, "handshake / ACK"},
                                  std::pair{kFin, "FIN"}, std::pair{kRst, "RST"}}) {
      o << "<line x1=\"" << x << "\" y1=\"" << y << "\" x2=\"" << x + 34 << "\" y2=\"" << y << "\" stroke=\""
        << c.stroke << "\" stroke-width=\"2.4\" marker-end=\"url(#a" << (c.stroke + 1) << ")\"/>\n";
      text(o, x + 42, y + 4, "start", 12, name, "");
      x += 60 + static_cast<int>(text_width(name, 12));
    }
    x = 20;
    const int y2 = y + 28;
    struct Sample {
      const char *fill, *stroke, *name;
    };
    const Sample samples[] = {{"#f3f5f7", "#9aa0a6", "call"},
                              {"#fde8e8", "#d12a2a", "error / signal"},
                              {"#fff1dc", "#d98a00", "EOF"},
                              {"#fff4c2", "#e08a00", "first observer"}};
    for (const Sample& sm : samples) {
      o << "<rect x=\"" << x << "\" y=\"" << y2 - 11 << "\" width=\"34\" height=\"16\" rx=\"3\" fill=\"" << sm.fill
        << "\" stroke=\"" << sm.stroke << "\"/>\n";
      text(o, x + 42, y2 + 2, "start", 12, sm.name, "");
      x += 60 + static_cast<int>(text_width(sm.name, 12));
    }
    // The span of a blocked call, drawn as on the ladder.
    o << "<polyline points=\"" << x << "," << y2 - 10 << " " << x + 8 << "," << y2 - 10 << " " << x + 8 << ","
      << y2 + 4 << " " << x << "," << y2 + 4 << "\" fill=\"none\" stroke=\"#7a828c\" stroke-width=\"3\"/>\n";
    text(o, x + 16, y2 + 2, "start", 12, "blocked from entry to return", "");
    text(o, kWidth - 20, y2 + 2, "end", 12,
         "rstlab - link " + t_.link + ", " + family_name(t_.family) +
             (t_.from_capture() ? " - #N = frame in the capture" : " - #N = frame in capture.pcap"),
         " fill=\"#9aa0a6\"");
  }

  const Trace& t_;
  TimeMode mode_;
  bool middle_;
  bool steps_;
  std::vector<Row> rows_;
  // Per event, filled by layout(): the running maximum of times (first_after), whether a
  // call blocked, its entry's row (kNoRow: none), and a packet's verdict.
  static constexpr size_t kNoRow = static_cast<size_t>(-1);
  std::vector<int64_t> running_max_;
  std::vector<bool> blocked_;
  std::vector<size_t> entry_row_;
  std::vector<std::string> verdicts_;
  std::vector<std::string> callout_title_, callout_;
  std::vector<LadderShape> shapes_;
  bool record_shapes_ = false;
  int shape_count_ = 0;
  int bottom_ = kTop, height_ = 0;
  int time_column_ = 66;
};

bool boxes_meet(const LadderShape& a, const LadderShape& b) {
  constexpr double kSlack = 0.5;  // shapes that only touch do not collide
  return a.x0 < b.x1 - kSlack && b.x0 < a.x1 - kSlack && a.y0 < b.y1 - kSlack && b.y0 < a.y1 - kSlack;
}

/// Whether the segment of an arrow passes through a box (sampled every pixel: arrows
/// are a few hundred pixels long).
bool arrow_through(const LadderShape& arrow, const LadderShape& box) {
  const double dx = arrow.x1 - arrow.x0, dy = arrow.y1 - arrow.y0;
  const int steps = std::max(1, static_cast<int>(std::hypot(dx, dy)));
  for (int k = 0; k <= steps; ++k) {
    const double x = arrow.x0 + dx * k / steps, y = arrow.y0 + dy * k / steps;
    if (x > box.x0 && x < box.x1 && y > box.y0 && y < box.y1) return true;
  }
  return false;
}

}  // namespace

std::string render_svg(const Trace& trace, TimeMode mode) { return Svg(trace, mode).render(); }

std::string render_svg_steps(const Trace& trace) { return Svg(trace, TimeMode::EventOrder, true).render(); }

std::vector<LadderRow> ladder_rows(const Trace& trace) { return Svg(trace, TimeMode::EventOrder).rows(); }

LadderLayout svg_ladder_layout(const Trace& trace, TimeMode mode) { return Svg(trace, mode).shapes(); }

std::vector<std::pair<size_t, size_t>> ladder_overlaps(const LadderLayout& layout) {
  using K = LadderShape::Kind;
  std::vector<std::pair<size_t, size_t>> out;
  const auto& s = layout.shapes;
  for (size_t i = 0; i < s.size(); ++i)
    for (size_t j = i + 1; j < s.size(); ++j) {
      const LadderShape &a = s[i], &b = s[j];
      bool hit = false;
      if (a.kind == K::Arrow && b.kind == K::Arrow) continue;  // arrows may cross
      if (a.kind == K::Arrow) hit = arrow_through(a, b);
      else if (b.kind == K::Arrow) hit = arrow_through(b, a);
      else if (b.inside == static_cast<int>(i) || a.inside == static_cast<int>(j)) hit = false;
      else hit = boxes_meet(a, b);
      if (hit) out.emplace_back(i, j);
    }
  return out;
}

}  // namespace rstlab
