// SPDX-License-Identifier: MIT
#include <cstdio>
#include <sstream>

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

std::string ms(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%9.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string printable(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '"' || c == '\\') out += std::string("\\") + static_cast<char>(c);
    else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

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
    if (e.call == "read" || e.call == "recv") s << " \"" << printable(e.value) << "\"";
    else s << " -> " << e.value;
  }
  if (e.call == "read" && *e.ret == 0 && !e.err) s << " (EOF)";
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
  o << p.bold() << t.scenario << p.reset() << "  (link " << t.link << ", " << family_name(t.family)
    << ")  " << (t.passed() ? p.green() : p.red()) << (t.passed() ? "PASSED" : "FAILED") << p.reset()
    << "\n";
  if (!t.title.empty()) o << t.title << "\n";
  o << "\n";
  for (const auto* a : {&t.client, &t.server}) {
    o << "  " << pad(a == &t.client ? "client" : "server", 8) << pad(a->endpoint.str(), 24)
      << (a->kind == "kernel" ? "kernel socket" : "crafted peer (libtins)");
    if (!a->sigpipe.empty()) o << ", SIGPIPE " << a->sigpipe;
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
      if (sc->err || sc->signal) colour = p.red();
      else if ((sc->call == "read" || sc->call == "recv") && sc->ret && *sc->ret == 0) colour = p.amber();
    } else if (const auto* a = e.action()) {
      who = a->actor;
      text = (a->actor == "middle" ? "" : "peer ") + a->action + ": " + a->detail;
      colour = p.dim();
    }
    o << ms(e.t_ns - t0) << "  " << pad(who, 8) << " " << colour << text << p.reset();
    if (!e.expected.empty()) {
      const bool ok = e.met.value_or(false);
      o << "   " << (ok ? p.green() : p.red()) << (ok ? "ok: " : "EXPECTED ") << e.expected << p.reset();
    }
    o << "\n";
    const size_t index = static_cast<size_t>(&e - t.events.data());
    for (; next_note < t.annotations.size() && t.annotations[next_note].event <= index; ++next_note) {
      const Annotation& a = t.annotations[next_note];
      const bool key = a.kind == "observer" || a.kind == "mismatch";
      o << std::string(21, ' ') << "| " << (key ? p.bold() : p.dim())
        << (a.kind == "mismatch" ? p.red() : "") << a.text << p.reset() << "\n";
    }
  }
  if (t.first_observer) {
    const FirstObserver& f = *t.first_observer;
    o << "\n" << p.bold() << "first observer: " << f.actor << " " << f.call << " -> " << f.result << p.reset()
      << "\n  " << f.reason << "\n";
  } else {
    o << "\nfirst observer: none - no call saw a reset, FIN or local shutdown\n";
  }
  o << "\ncapture: " << t.capture.packets << " packets in " << t.capture.file << ", "
    << t.capture.dropped << " dropped by the capture, " << t.capture.if_dropped
    << " by the interface\n";
  if (t.passed()) {
    o << p.green() << "result: every expectation met" << p.reset() << "\n";
  } else {
    o << p.red() << "result: " << t.failures.size() << " problem" << (t.failures.size() == 1 ? "" : "s")
      << p.reset() << "\n";
    for (const auto& f : t.failures) o << "  - " << f << "\n";
  }
  return o.str();
}

}  // namespace rstlab
