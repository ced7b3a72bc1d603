// SPDX-License-Identifier: MIT
// The SVG ladder diagram: two lifelines, sloped packet arrows, call boxes beside the
// kernel sides, the first observer called out with its reason, and a legend. A trace
// with a middle actor gets a third lifeline between the two, from which the segments
// it injected start.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "render/text_util.h"
#include "rstlab/diagram.h"
#include "rstlab/render.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

constexpr int kWidth = 1220, kLeft = 450, kRight = 860, kTop = 118, kRow = 34, kSlope = 16;
constexpr int kMid = (kLeft + kRight) / 2;  // the middle actor's lifeline
constexpr double kCharW = 7.25;  // 12 px monospace
const char* kFont = "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\"";

std::string esc(const std::string& s) { return detail::xml_escape(detail::visible(s)); }

std::string fit(const std::string& s, size_t chars) {
  return s.size() <= chars ? s : s.substr(0, chars - 3) + "...";
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

std::string ms(int64_t ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f ms", static_cast<double>(ns) / 1e6);
  return b;
}

class Svg {
 public:
  Svg(const Trace& t, TimeMode mode) : t_(t), mode_(mode), middle_(t.has_middle()) {}

  std::string render() {
    layout();
    std::ostringstream body;
    header(body);
    lifelines(body);
    for (size_t i = 0; i < t_.events.size(); ++i) event(body, i);
    const int legend_y = bottom_ + 30;
    legend(body, legend_y);
    const int height = legend_y + 70;
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << kWidth << " " << height << "\" " << kFont << " font-size=\"12\">\n"
      << "<title>" << esc(t_.scenario + " - " + t_.title) << "</title>\n"
      << "<defs>\n";
    for (const Colour* c : {&kData, &kCtl, &kFin, &kRst})
      o << "<marker id=\"a" << (c->stroke + 1) << "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
        << "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"" << c->stroke
        << "\"/></marker>\n";
    o << "</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n" << body.str() << "</svg>\n";
    return o.str();
  }

 private:
  /// Row positions: one per event, in order or proportional to time; the first
  /// observer's callout takes extra room below its row.
  void layout() {
    y_.assign(t_.events.size(), 0);
    const size_t n = t_.events.size();
    const int64_t t0 = n ? t_.events.front().t_ns : 0, t1 = n ? t_.events.back().t_ns : 0;
    const double span = std::max<int64_t>(t1 - t0, 1);
    const double height = std::max<double>(400, static_cast<double>(n) * kRow);
    if (t_.first_observer) callout_ = detail::wrap_words(t_.first_observer->reason, 56);
    int y = kTop;
    for (size_t i = 0; i < n; ++i) {
      int want = y;
      if (mode_ == TimeMode::Proportional)
        want = std::max(y, kTop + static_cast<int>((t_.events[i].t_ns - t0) / span * height));
      y_[i] = want;
      y = want + (t_.events[i].packet() ? kRow : kRow - 6);
      if (t_.first_observer && t_.first_observer->event == i) y += 34 + 15 * static_cast<int>(callout_.size());
    }
    bottom_ = y;
  }

  void header(std::ostringstream& o) {
    o << "<text x=\"20\" y=\"28\" font-size=\"17\" font-weight=\"bold\">" << esc(t_.scenario) << "</text>\n"
      << "<text x=\"20\" y=\"48\" font-size=\"13\" fill=\"#333\">" << esc(fit(t_.title, 140)) << "</text>\n";
    const ActorInfo* a[2] = {&t_.client, &t_.server};
    const int x[2] = {kLeft, kRight};
    for (int i = 0; i < 2; ++i) {
      const std::string kind = a[i]->kind == "kernel" ? "kernel socket" : a[i]->kind == "peer" ? "crafted peer" : "-";
      o << "<rect x=\"" << x[i] - 120 << "\" y=\"60\" width=\"240\" height=\"40\" rx=\"6\" fill=\"#eef2f8\" "
        << "stroke=\"#44546a\"/>\n"
        << "<text x=\"" << x[i] << "\" y=\"77\" text-anchor=\"middle\" font-weight=\"bold\">" << (i ? "server" : "client")
        << " - " << kind << "</text>\n"
        << "<text x=\"" << x[i] << "\" y=\"93\" text-anchor=\"middle\" fill=\"#44546a\">" << esc(a[i]->endpoint.str())
        << "</text>\n";
    }
    if (middle_)
      o << "<rect x=\"" << kMid - 70 << "\" y=\"60\" width=\"140\" height=\"40\" rx=\"6\" fill=\"#f6eef8\" "
        << "stroke=\"#7a4a8a\"/>\n"
        << "<text x=\"" << kMid << "\" y=\"77\" text-anchor=\"middle\" font-weight=\"bold\">middle</text>\n"
        << "<text x=\"" << kMid << "\" y=\"93\" text-anchor=\"middle\" fill=\"#7a4a8a\">middlebox</text>\n";
  }

  void lifelines(std::ostringstream& o) {
    for (int x : {kLeft, kRight})
      o << "<line x1=\"" << x << "\" y1=\"100\" x2=\"" << x << "\" y2=\"" << bottom_ + 6
        << "\" stroke=\"#44546a\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n";
    if (middle_)
      o << "<line x1=\"" << kMid << "\" y1=\"100\" x2=\"" << kMid << "\" y2=\"" << bottom_ + 6
        << "\" stroke=\"#b89cc4\" stroke-width=\"1.5\" stroke-dasharray=\"3 5\"/>\n";
  }

  void event(std::ostringstream& o, size_t i) {
    const Event& e = t_.events[i];
    const int y = y_[i];
    o << "<text x=\"8\" y=\"" << y + 4 << "\" font-size=\"10\" fill=\"#9aa0a6\">"
      << ms(e.t_ns - t_.events.front().t_ns) << "</text>\n";
    if (const auto* p = e.packet()) packet(o, *p, i, y);
    else if (const auto* s = e.syscall()) call(o, *s, e, i, y);
    else if (const auto* a = e.action()) action(o, *a, y);
  }

  void packet(std::ostringstream& o, const PacketEvent& p, size_t i, int y) {
    const Colour c = packet_colour(p);
    const bool right = p.dir == Dir::ClientToServer;
    const bool injected = !p.injected_by.empty();  // starts on the middle's lifeline
    const int x1 = injected ? kMid : right ? kLeft : kRight, x2 = right ? kRight - 2 : kLeft + 2;
    const bool heavy = p.flags & (tcpflag::RST | tcpflag::FIN);
    o << "<line x1=\"" << x1 << "\" y1=\"" << y - 6 << "\" x2=\"" << x2 << "\" y2=\"" << y - 6 + kSlope
      << "\" stroke=\"" << c.stroke << "\" stroke-width=\"" << (heavy ? 2.6 : 1.6) << "\" marker-end=\"url(#a"
      << (c.stroke + 1) << ")\"" << (p.checksum_ok ? "" : " stroke-dasharray=\"5 3\"") << "/>\n";
    const int mid = injected ? (x1 + x2) / 2 : (kLeft + kRight) / 2;
    // Over the middle's lifeline a label gets a white halo to stay readable.
    const char* halo = middle_ ? " stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\"" : "";
    o << "<text x=\"" << mid << "\" y=\"" << y - 10 << "\" text-anchor=\"middle\" fill=\"" << c.text << "\""
      << (heavy ? " font-weight=\"bold\"" : "") << halo << ">" << esc(packet_label(p)) << "</text>\n";
    o << "<text x=\"" << (right ? kRight + 8 : kLeft - 8) << "\" y=\"" << y + kSlope - 6 << "\" font-size=\"10\" "
      << "fill=\"#9aa0a6\" text-anchor=\"" << (right ? "start" : "end") << "\">#" << p.frame << "</text>\n";
    const std::string verdict = packet_verdict(t_, i);
    if (!verdict.empty())
      o << "<text x=\"" << mid << "\" y=\"" << y + kSlope + 6 << "\" text-anchor=\"middle\" font-size=\"11\" "
        << "font-style=\"italic\" fill=\"" << c.text << "\"" << halo << ">" << esc(verdict) << "</text>\n";
  }

  void call(std::ostringstream& o, const SyscallEvent& s, const Event& e, size_t i, int y) {
    const bool client = t_.side_of(s) == 0;
    // The box says the call and its result; the small print says the state and what
    // SIGPIPE did.
    SyscallEvent compact = s;
    compact.fate = SignalFate::None;
    const std::string text = syscall_line(compact);
    std::string extra = s.state;
    if (s.fate != SignalFate::None)
      extra = std::string(signal_fate_name(s.fate)) + (extra.empty() ? "" : " ") + extra;
    const size_t room = client ? 50 : 44;
    const size_t shown = std::min(text.size(), room - std::min(extra.size(), room / 2));
    const int w = static_cast<int>((shown + (extra.empty() ? 0 : extra.size() + 1)) * kCharW) + 16;
    const int x = client ? kLeft - 10 - w : kRight + 10;
    const bool observer = t_.first_observer && t_.first_observer->event == i;
    const bool error = s.failed();
    const bool eof = s.eof();
    const char* fill = observer ? "#fff4c2" : error ? "#fde8e8" : eof ? "#fff1dc" : "#f3f5f7";
    const char* stroke = observer ? "#e08a00" : error ? "#d12a2a" : eof ? "#d98a00" : "#9aa0a6";
    const char* ink = error ? "#b01f1f" : eof ? "#9a6200" : "#1d2530";
    o << "<rect x=\"" << x << "\" y=\"" << y - 14 << "\" width=\"" << w << "\" height=\"22\" rx=\"4\" fill=\"" << fill
      << "\" stroke=\"" << stroke << "\" stroke-width=\"" << (observer ? 3 : 1) << "\"/>\n"
      << "<text x=\"" << x + 7 << "\" y=\"" << y + 1 << "\" fill=\"" << ink << "\">"
      << esc(fit(text, shown)) << "<tspan dx=\"8\" fill=\"#7a828c\" font-size=\"10\">" << esc(extra)
      << "</tspan></text>\n";
    if (e.met && !*e.met)
      o << "<text x=\"" << (client ? x - 6 : x + w + 6) << "\" y=\"" << y + 1 << "\" fill=\"#d12a2a\" "
        << "font-weight=\"bold\" text-anchor=\"" << (client ? "end" : "start") << "\">expected " << esc(e.expected)
        << "</text>\n";
    if (observer) callout(o, y, client ? x + w : x);
  }

  void callout(std::ostringstream& o, int y, int anchor_x) {
    const int top = y + 18, w = 56 * 7 + 40, x = (kLeft + kRight) / 2 - w / 2;
    const int h = 24 + 15 * static_cast<int>(callout_.size());
    o << "<line x1=\"" << anchor_x << "\" y1=\"" << y << "\" x2=\"" << x + (anchor_x < x ? 0 : w) << "\" y2=\""
      << top + 12 << "\" stroke=\"#e08a00\" stroke-width=\"2\"/>\n"
      << "<rect x=\"" << x << "\" y=\"" << top << "\" width=\"" << w << "\" height=\"" << h
      << "\" rx=\"8\" fill=\"#fff8dd\" stroke=\"#e08a00\" stroke-width=\"2\"/>\n"
      << "<text x=\"" << x + 12 << "\" y=\"" << top + 17 << "\" font-weight=\"bold\" fill=\"#8a5200\">first observer: "
      << esc(t_.first_observer->actor + " " + t_.first_observer->call + " -> " + t_.first_observer->result)
      << "</text>\n";
    for (size_t k = 0; k < callout_.size(); ++k)
      o << "<text x=\"" << x + 12 << "\" y=\"" << top + 33 + 15 * static_cast<int>(k) << "\" fill=\"#3d3320\">"
        << esc(callout_[k]) << "</text>\n";
  }

  void action(std::ostringstream& o, const ActionEvent& a, int y) {
    if (a.actor == "middle") {
      o << "<text x=\"" << kMid << "\" y=\"" << y + 1 << "\" font-size=\"11\" font-style=\"italic\" fill=\"#7a4a8a\" "
        << "text-anchor=\"middle\" stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\">"
        << esc(fit("middle " + a.action + ": " + middle_summary(a.detail), 58)) << "</text>\n";
      return;
    }
    const bool client = a.actor == "client";
    const std::string text = fit("peer " + a.action + ": " + a.detail, 46);
    o << "<text x=\"" << (client ? kLeft - 12 : kRight + 12) << "\" y=\"" << y + 1 << "\" font-size=\"11\" "
      << "font-style=\"italic\" fill=\"#5f6b7a\" text-anchor=\"" << (client ? "end" : "start") << "\">" << esc(text)
      << "</text>\n";
  }

  void legend(std::ostringstream& o, int y) {
    o << "<line x1=\"20\" y1=\"" << y - 16 << "\" x2=\"" << kWidth - 20 << "\" y2=\"" << y - 16
      << "\" stroke=\"#d0d4da\"/>\n";
    int x = 20;
    for (const auto& [c, name] : {std::pair{kData, "data"}, std::pair{kCtl, "handshake / ACK"},
                                  std::pair{kFin, "FIN"}, std::pair{kRst, "RST"}}) {
      o << "<line x1=\"" << x << "\" y1=\"" << y << "\" x2=\"" << x + 34 << "\" y2=\"" << y << "\" stroke=\""
        << c.stroke << "\" stroke-width=\"2.4\" marker-end=\"url(#a" << (c.stroke + 1) << ")\"/>\n"
        << "<text x=\"" << x + 42 << "\" y=\"" << y + 4 << "\">" << name << "</text>\n";
      x += 60 + static_cast<int>(std::string(name).size() * kCharW);
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
      const char *fill = sm.fill, *stroke = sm.stroke, *name = sm.name;
      o << "<rect x=\"" << x << "\" y=\"" << y2 - 11 << "\" width=\"34\" height=\"16\" rx=\"3\" fill=\"" << fill
        << "\" stroke=\"" << stroke << "\"/>\n<text x=\"" << x + 42 << "\" y=\"" << y2 + 2 << "\">" << name
        << "</text>\n";
      x += 60 + static_cast<int>(std::string(name).size() * kCharW);
    }
    o << "<text x=\"" << kWidth - 20 << "\" y=\"" << y2 + 2 << "\" text-anchor=\"end\" fill=\"#9aa0a6\">"
      << "rstlab - link " << esc(t_.link) << ", " << family_name(t_.family) << (t_.from_capture() ? " - #N = frame in the capture" : " - #N = frame in capture.pcap")
      << "</text>\n";
  }

  const Trace& t_;
  TimeMode mode_;
  bool middle_;
  std::vector<int> y_;
  std::vector<std::string> callout_;
  int bottom_ = kTop;
};

}  // namespace

std::string render_svg(const Trace& trace, TimeMode mode) { return Svg(trace, mode).render(); }

}  // namespace rstlab
