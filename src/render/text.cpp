// SPDX-License-Identifier: MIT
#include <cstdio>
#include <sstream>

#include "render/text_util.h"
#include "rstlab/render.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

struct Palette {
  bool on;
  const char* c(const char* code) const { return on ? code : ""; }
  const char* red() const { return c("\033[31m"); }
  const char* green() const { return c("\033[32m"); }
  const char* amber() const { return c("\033[33m"); }
  const char* dim() const { return c("\033[2m"); }
  const char* bold() const { return c("\033[1m"); }
  const char* reset() const { return c("\033[0m"); }
};

std::string ms(double ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%9.3f", ns / 1e6);
  return buf;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

/// A capture's footer: each endpoint's next read and write as the wire predicts them
/// (the table's and the JSON's predictions, with their reasons), and where the packets are.
void render_capture_footer(std::ostringstream& o, const Trace& t, const Palette& p) {
  o << "\n" << p.bold() << "prediction from the capture" << p.reset()
    << " (what each endpoint's next call returns, as far as the wire tells):\n";
  bool inferred = false;
  for (const EndpointOutlook& e : t.outlook) {
    const bool bad = e.next_read != "ok" || e.next_write != "ok";
    o << "  " << pad(e.role, 9) << pad(e.endpoint.str(), 24) << (bad ? p.red() : "") << "next read " << e.next_read
      << ", next write " << e.next_write << (e.sigpipe ? " +SIGPIPE" : "") << p.reset();
    if (e.so_error != "0" && !e.so_error.empty()) o << " (SO_ERROR " << e.so_error << ")";
    if (e.inferred) {
      o << " *";
      inferred = true;
    }
    o << "\n";
    if (!e.why.empty()) o << "    " << e.why << "\n";
    if (!e.unknown.empty()) o << "    unknown: " << e.unknown << "\n";
  }
  if (inferred)
    o << "  * rests on state inferred from the other side's segments (that endpoint's own are not all in the "
         "capture)\n";
  o << "\ncapture: " << t.capture.packets << " packets of this connection in " << detail::visible(t.capture.file);
  if (!t.frames_in.empty()) o << " (" << t.frames_in << ")";
  o << "\n";
}

}  // namespace

std::string packet_line(const PacketEvent& p) {
  std::ostringstream s;
  s << (p.dir == Dir::ClientToServer ? "client > server" : "server > client");
  s << "  Flags [" << tcp_flags_string(p.flags) << "], seq " << p.seq;
  if (p.len) s << ":" << (p.seq + p.len);
  if (p.flags & tcpflag::ACK) s << ", ack " << p.ack;
  s << ", win " << p.window << ", length " << p.len;
  if (!p.payload.empty()) s << " \"" << printable(p.payload) << (p.len > p.payload.size() ? "...\"" : "\"");
  if (!p.checksum_ok) s << " [bad tcp cksum]";
  return s.str();
}

std::string syscall_line(const SyscallEvent& e) {
  std::ostringstream s;
  s << e.call << "(" << e.args << ")";
  if (!e.ret) {
    s << " did not return";
    return s.str();
  }
  s << " = " << *e.ret;
  if (e.err) s << " " << errno_name(*e.err);
  if (*e.ret >= 0 && !e.value.empty()) {
    if (e.facts.op == CallOp::Read)  // a bulk read: a glimpse, as for packets
      s << " \"" << printable(e.value.substr(0, 64)) << (e.value.size() > 64 ? "...\"" : "\"");
    else s << " -> " << e.value;
  }
  if (e.eof()) s << " (EOF)";
  if (e.signal) {
    s << " +" << signal_name(*e.signal);
    switch (e.fate) {
      case SignalFate::Killed: s << " (process killed by " << signal_name(*e.signal) << ")"; break;
      case SignalFate::Ignored: s << " (ignored)"; break;
      case SignalFate::Handled: s << " (caught by handler)"; break;
      case SignalFate::None: break;
    }
  }
  return s.str();
}

std::string render_text(const Trace& t, bool color) {
  const Palette p{color};
  std::ostringstream o;
  // Every piece that may carry bytes from a scenario or a trace file goes through
  // visible(): a CR or LF in an expectation must not break the line, nor an ESC drive
  // the terminal.
  using detail::visible;
  if (t.from_capture())  // no expectations to pass or fail: what the wire predicts
    o << p.bold() << visible(t.scenario) << p.reset() << "  (" << visible(t.link) << ", " << family_name(t.family)
      << ")  prediction from the capture\n";
  else
    o << p.bold() << visible(t.scenario) << p.reset() << "  (link " << visible(t.link) << ", "
      << family_name(t.family) << ")  " << (t.passed() ? p.green() : p.red()) << (t.passed() ? "PASSED" : "FAILED")
      << p.reset() << "\n";
  if (!t.title.empty()) o << visible(t.title) << "\n";
  o << "\n";
  for (const auto* a : {&t.client, &t.server}) {
    // A capture's analysis names the endpoints a and b (a sent the SYN): both names here.
    const char* role = a == &t.client ? (t.from_capture() ? "client a" : "client")
                                      : (t.from_capture() ? "server b" : "server");
    if (t.connections.empty() && t.client.kind == "none" && t.server.kind == "none") {
      o << "  no TCP connection, so no endpoints to show\n";  // a traced program that made none
      break;
    }
    o << "  " << pad(role, t.from_capture() ? 9 : 8) << pad(visible(a->endpoint.str()), 24)
      << (a->kind == "kernel"    ? (t.from_capture() ? "kernel socket (taken to be Linux)" : "kernel socket")
          : a->kind == "program" ? "a traced program's kernel socket"
          : a->kind == "none"    ? "outside the trace"
                                 : "crafted peer (libtins)");
    if (!a->sigpipe.empty()) o << ", SIGPIPE " << visible(a->sigpipe);
    o << "\n";
  }
  if (t.has_middle()) o << "  " << pad("middle", 8) << pad("on the path", 24) << "middlebox: injects RSTs and FINs\n";
  o << "\n" << p.dim() << "     t (ms)  who      event" << p.reset() << "\n";
  const int64_t t0 = t.events.empty() ? 0 : t.events.front().t_ns;
  size_t next_note = 0;
  for (const Event& e : t.events) {
    std::string who, text, colour;
    if (const auto* pk = e.packet()) {
      who = pk->injected_by.empty() ? "wire" : pk->injected_by;  // the middle's own segments
      text = packet_line(*pk) + "  #" + std::to_string(pk->frame);
      if (pk->flags & tcpflag::RST) colour = p.red();
      else if (pk->flags & tcpflag::FIN) colour = p.amber();
    } else if (const auto* sc = e.syscall()) {
      who = sc->actor;
      text = syscall_line(*sc);
      if (!sc->state.empty()) text += "   [" + sc->state + "]";
      if (sc->failed()) colour = p.red();
      else if (sc->eof()) colour = p.amber();
    } else if (const auto* a = e.action()) {
      who = a->actor;
      text = detail::action_label(t, *a);
      colour = p.dim();
    } else if (const auto* out = e.output()) {
      who = out->actor;
      text = detail::output_label(*out);
      colour = out->stream == 2 ? p.amber() : p.dim();
    }
    o << ms(detail::elapsed_ns(t0, e.t_ns)) << "  " << pad(visible(who), 8) << " " << colour << visible(text) << p.reset();
    if (!e.expected.empty()) {
      const bool ok = e.met.value_or(false);
      o << "   " << (ok ? p.green() : p.red()) << (ok ? "ok: " : "EXPECTED ") << visible(e.expected) << p.reset();
    }
    o << "\n";
    const size_t index = static_cast<size_t>(&e - t.events.data());
    for (; next_note < t.annotations.size() && t.annotations[next_note].event <= index; ++next_note) {
      const Annotation& a = t.annotations[next_note];
      const bool key = a.kind == "observer" || a.kind == "mismatch";
      o << std::string(21, ' ') << "| " << (key ? p.bold() : p.dim())
        << (a.kind == "mismatch" ? p.red() : "") << visible(a.text) << p.reset() << "\n";
    }
  }
  if (t.from_capture()) {
    render_capture_footer(o, t, p);
    return o.str();
  }
  if (t.first_observer) {
    const FirstObserver& f = *t.first_observer;
    o << "\n" << p.bold() << "first observer: " << visible(f.actor + " " + f.call + " -> " + f.result) << p.reset()
      << "\n  " << visible(f.reason) << "\n";
  } else {
    o << "\nfirst observer: none - no call saw a reset, FIN or local shutdown\n";
  }
  o << "\ncapture: " << t.capture.packets << " packets in " << visible(t.capture.file) << ", "
    << t.capture.dropped << " dropped by the capture, " << t.capture.if_dropped
    << " by the interface\n";
  // Results the rules did not predict and TCP_INFO states the model did not reach.
  const size_t mismatches = model_mismatches(t);
  o << (mismatches ? p.red() : "") << "model mismatches: " << mismatches << (mismatches ? p.reset() : "") << "\n";
  if (t.passed()) {
    o << p.green() << "result: every expectation met" << p.reset() << "\n";
  } else {
    o << p.red() << "result: " << t.failures.size() << " problem" << (t.failures.size() == 1 ? "" : "s")
      << p.reset() << "\n";
    for (const auto& f : t.failures) o << "  - " << visible(f) << "\n";
  }
  return o.str();
}

}  // namespace rstlab
