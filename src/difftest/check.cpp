// SPDX-License-Identifier: MIT
// The comparisons of the differential tester: a live run's annotated trace against the
// kernel's results and the capture. Each check uses only what the kernel and the
// capture say on one side and what rstlab wrote on the other, never the model's state,
// so that a wrong rule cannot excuse itself.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <fstream>
#include <map>

#include "difftest/difftest.h"
#include "rstlab/error.h"
#include "rstlab/seq.h"
#include "rstlab/wire.h"

namespace rstlab::difftest {
namespace {

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

int side_of(const std::string& actor) { return actor == "client" ? 0 : 1; }
int side_of(Dir d) { return d == Dir::ClientToServer ? 0 : 1; }

std::string describe(const Trace& t, size_t e) {
  const SyscallEvent& c = *t.events[e].syscall();
  std::string r = c.actor + " " + c.call + "(" + c.args + ") = ";
  if (!c.ret) return r + "(no return)";
  if (*c.ret < 0) r += "-1 " + (c.err ? errno_name(*c.err) : std::string("?"));
  else r += std::to_string(*c.ret);
  if (!c.value.empty() && c.facts.op != CallOp::Read) r += " " + c.value;
  return r + " [" + t.events[e].line + "]";
}

/// How a call's result differs from what it would have been with the connection alive.
enum class Felt { Nothing, Eof, End };

Felt felt(const SyscallEvent& c) {
  if (!c.ret) return Felt::Nothing;
  const CallFacts& f = c.facts;
  if (*c.ret < 0) {
    if (!c.err) return Felt::Nothing;
    switch (*c.err) {
      case ECONNRESET:
      case ECONNREFUSED:
      case ETIMEDOUT:
      case EPIPE: return Felt::End;  // from an RST, a timeout, or the actor's own shutdown
      default: return Felt::Nothing;
    }
  }
  if (f.on_pipe) return Felt::Nothing;
  switch (f.op) {
    case CallOp::Read: return *c.ret == 0 ? Felt::Eof : Felt::Nothing;
    case CallOp::Write:
      // A write cut short: something ended the wait for room in the send buffer.
      return f.size && static_cast<uint64_t>(*c.ret) < *f.size && f.may_block() ? Felt::End : Felt::Nothing;
    case CallOp::GetSockOpt: return f.option == SockOpt::Error && f.so_error ? Felt::End : Felt::Nothing;
    case CallOp::Poll:
      // POLLERR: an error is pending. POLLHUP alone is both directions shut - a FIN and
      // the actor's own shutdown, or an error already taken - no news of an end by itself.
      if (f.revents & POLLERR) return Felt::End;
      return f.revents & (POLLHUP | POLLRDHUP) ? Felt::Eof : Felt::Nothing;
    default: return Felt::Nothing;
  }
}

/// The first observer, from the kernel's results alone: the first call whose result the
/// end of the connection decided. When something ended the connection (an error, a
/// hang-up, a local shutdown's EPIPE), an EOF before it was the FIN's and does not count -
/// unless the actor's own shutdown(SHUT_RD), before any FIN reached it, made it;
/// in a story of FINs only, the first EOF is the first observer.
std::optional<size_t> first_felt(const Trace& t) {
  // An exact RST to a kernel socket (seq = all its sender had sent, as the capture shows)
  // aborts it; when a later call of that socket feels it (even only as EPIPE after a FIN),
  // the story is one of an abort. Not to a socket that sent an RST itself, nor to one
  // closed gracefully: it has no connection left.
  std::optional<int64_t> exact_rst[2];
  // When the first FIN toward each side was captured: an EOF after the actor's own
  // shutdown(SHUT_RD) is the shutdown's doing only if the FIN had not come before it.
  std::optional<int64_t> fin_at[2];
  {
    uint64_t sent_end[2] = {0, 0};
    bool started[2] = {false, false}, rst_sent[2] = {false, false}, fin_acked[2] = {false, false};
    std::optional<uint64_t> fin_end[2];
    const bool kernel[2] = {t.client.kind == "kernel", t.server.kind == "kernel"};
    for (const Event& e : t.events) {
      const PacketEvent* p = e.packet();
      if (!p || !p->injected_by.empty()) continue;
      const int from = side_of(p->dir), to = 1 - from;
      const uint64_t end = uint64_t(p->seq) + p->len + ((p->flags & (tcpflag::SYN | tcpflag::FIN)) ? 1 : 0);
      const bool closed = fin_acked[to] && fin_end[from];
      if ((p->flags & tcpflag::RST) && kernel[to] && started[from] && p->seq == sent_end[from] && p->checksum_ok &&
          !rst_sent[to] && !closed && !exact_rst[to])
        exact_rst[to] = e.t_ns;
      if (p->flags & tcpflag::RST) {
        rst_sent[from] = true;
        continue;
      }
      sent_end[from] = std::max(sent_end[from], end);
      started[from] = true;
      if (p->flags & tcpflag::FIN) {
        fin_end[from] = end;
        if (!fin_at[to] && p->checksum_ok) fin_at[to] = e.t_ns;
      }
      if ((p->flags & tcpflag::ACK) && fin_end[to] && p->ack >= *fin_end[to]) fin_acked[to] = true;
    }
  }
  std::optional<size_t> first_end, first_any;
  bool reset = false;  // an abort (an RST, a timeout) ended the connection and a call felt it
  bool shut_rd[2] = {false, false};  // the actor shut its own receive side: its EOFs are its own doing
  for (size_t i = 0; i < t.events.size(); ++i) {
    const SyscallEvent* c = t.events[i].syscall();
    if (!c) continue;
    Felt how = felt(*c);
    const int s = side_of(c->actor);
    if (how == Felt::End && exact_rst[s] && t.events[i].t_ns > *exact_rst[s]) reset = true;
    if (how == Felt::Eof && shut_rd[s]) how = Felt::End;  // a local shutdown's observation counts as an end
    if (c->facts.op == CallOp::Shutdown && c->facts.shut_how != SHUT_WR && c->ret && *c->ret == 0 &&
        !(fin_at[s] && *fin_at[s] <= c->t_start_ns))
      shut_rd[s] = true;
    if (how == Felt::End && !first_end) first_end = i;
    if (how != Felt::Nothing && !first_any) first_any = i;
    if (c->err && (*c->err == ECONNRESET || *c->err == ETIMEDOUT || *c->err == ECONNREFUSED)) reset = true;
    if (c->facts.op == CallOp::GetSockOpt && c->facts.so_error) reset = true;
    if (c->facts.op == CallOp::Poll && (c->facts.revents & POLLERR)) reset = true;
  }
  // In a story of FINs, shutdowns and closes only, whatever came first; once an abort is in
  // it, an EOF (the FIN's) is not its observer.
  return reset ? (first_end ? first_end : first_any) : first_any;
}

void check_first_observer(const Trace& t, std::vector<Mismatch>& out) {
  const std::optional<size_t> truth = first_felt(t);
  const std::optional<size_t> named = t.first_observer ? std::optional<size_t>(t.first_observer->event) : std::nullopt;
  if (truth == named) return;
  Mismatch m;
  m.kind = "first-observer";
  m.event = named ? *named : *truth;
  m.text = "rstlab names " + (named ? describe(t, *named) : std::string("no first observer")) +
           "; the first call whose result the end decided is " +
           (truth ? describe(t, *truth) : std::string("none"));
  out.push_back(m);
}

/// Per RST toward a kernel socket: did rstlab predict a challenge ACK, and does the
/// capture hold one (the receiver's next segment a bare ACK, within 20 ms)?
void check_challenge_acks(const Trace& t, std::vector<Mismatch>& out) {
  std::map<size_t, std::string> rst_words;
  for (const Annotation& a : t.annotations)
    if (a.kind == "rst") rst_words[a.event] = a.text;
  const bool kernel[2] = {t.client.kind == "kernel", t.server.kind == "kernel"};
  std::optional<uint32_t> last_ack[2];
  // Whether an exact RST reached each side: its receiver had acknowledged all its sender
  // had sent, and the RST sits there. Linux accepts it: from then on that kernel has no
  // connection and sends no ACK, so a bare ACK captured later was sent before the RST
  // reached it - in flight past the capture point, as the server's segments are on tun -
  // and answers neither that RST nor any after it.
  bool exact_rst_to[2] = {false, false};
  std::optional<uint32_t> sent_end[2];
  for (size_t i = 0; i < t.events.size(); ++i) {
    const PacketEvent* p = t.events[i].packet();
    if (!p) continue;
    const int from = side_of(p->dir), to = 1 - from;
    if (p->flags & tcpflag::ACK && !(p->flags & tcpflag::RST)) last_ack[from] = p->ack_abs;
    if (!(p->flags & tcpflag::RST)) {
      const uint32_t end = p->seq_abs + p->len + ((p->flags & (tcpflag::SYN | tcpflag::FIN)) ? 1 : 0);
      if (!sent_end[from] || seq::gt(end, *sent_end[from])) sent_end[from] = end;
    }
    if (!(p->flags & tcpflag::RST) || !kernel[to] || !p->checksum_ok) continue;
    if (last_ack[to] && sent_end[from] && p->seq_abs == *last_ack[to] && p->seq_abs == *sent_end[from])
      exact_rst_to[to] = true;
    const auto words = rst_words.find(i);
    if (words == rst_words.end()) continue;
    const bool predicted = has(words->second, "a challenge ACK answers it");
    std::optional<size_t> answer;
    for (size_t k = i + 1; k < t.events.size(); ++k) {
      const PacketEvent* q = t.events[k].packet();
      if (!q) continue;
      if (side_of(q->dir) == from) break;  // a later segment (another RST) owns what follows
      if (q->flags == tcpflag::ACK && q->len == 0 && t.events[k].t_ns - t.events[i].t_ns < 20'000'000) answer = k;
      break;
    }
    Mismatch m;
    m.kind = "challenge-ack";
    m.event = i;
    if (predicted && !answer) {
      m.text = "rstlab says a challenge ACK answers the RST #" + std::to_string(p->frame) +
               "; the capture holds none (" + words->second + ")";
      out.push_back(m);
    } else if (!predicted && answer) {
      // Only a bare ACK that acknowledges nothing new and follows at once is a challenge
      // ACK; a delayed ACK or a window update may follow an RST by chance.
      const PacketEvent& q = *t.events[*answer].packet();
      const bool nothing_new = last_ack[to] && q.ack_abs == *last_ack[to];
      if (nothing_new && !exact_rst_to[to] && t.events[*answer].t_ns - t.events[i].t_ns < 5'000'000) {
        m.text = "the capture holds a challenge ACK #" + std::to_string(q.frame) + " answering the RST #" +
                 std::to_string(p->frame) + "; rstlab says: " + words->second;
        out.push_back(m);
      }
    }
  }
}

/// Annotations about a write's bytes on the wire against the capture: "accepted and
/// sent" needs the bytes in a captured segment; "never reached the wire" needs them absent.
void check_wire_claims(const Trace& t, std::vector<Mismatch>& out) {
  std::map<size_t, std::string> call_words;
  for (const Annotation& a : t.annotations)
    if (a.kind == "call") call_words[a.event] = a.text;
  // The highest relative sequence number (data starts at 1) each side's data reached.
  uint64_t wire_end[2] = {1, 1};
  for (const Event& e : t.events)
    if (const PacketEvent* p = e.packet(); p && p->len > 0 && p->injected_by.empty()) {
      uint64_t& w = wire_end[side_of(p->dir)];
      w = std::max<uint64_t>(w, uint64_t(p->seq) + p->len);
    }
  uint64_t written[2] = {0, 0};
  for (size_t i = 0; i < t.events.size(); ++i) {
    const SyscallEvent* c = t.events[i].syscall();
    if (!c || c->facts.op != CallOp::Write || c->facts.on_pipe || !c->ret || *c->ret <= 0) continue;
    const int s = side_of(c->actor);
    const uint64_t end = 1 + written[s] + static_cast<uint64_t>(*c->ret);
    written[s] += static_cast<uint64_t>(*c->ret);
    const auto words = call_words.find(i);
    if (words == call_words.end()) continue;
    const bool on_wire = wire_end[s] >= end;
    Mismatch m;
    m.kind = "wire";
    m.event = i;
    if (has(words->second, "accepted and sent") && !on_wire) {
      m.text = describe(t, i) + ": rstlab says \"accepted and sent\"; its bytes never appear in the capture";
      out.push_back(m);
    } else if ((has(words->second, "never reached the wire") || has(words->second, "not all its bytes reached")) &&
               on_wire) {
      m.text = describe(t, i) + ": rstlab says its bytes did not all reach the wire; the capture holds them";
      out.push_back(m);
    }
  }
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

}  // namespace

std::vector<Mismatch> check(const Trace& t) {
  std::vector<Mismatch> out;
  for (const std::string& f : t.failures)
    if (has(f, "did not return within")) out.push_back({"stalled", f, 0});
  if (!out.empty()) return out;  // a killed actor leaves nothing comparable behind it
  for (const Annotation& a : t.annotations)
    if (a.kind == "mismatch") {
      const SyscallEvent* c = t.events[a.event].syscall();
      out.push_back({"call", (c ? describe(t, a.event) + ": " : std::string()) + a.text, a.event});
    }
  check_first_observer(t, out);
  check_challenge_acks(t, out);
  check_wire_claims(t, out);
  return out;
}

std::vector<Known> load_known(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot read the list of known mismatch classes");
  std::vector<Known> v;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const size_t a = line.find('|'), b = a == std::string::npos ? a : line.find('|', a + 1);
    if (b == std::string::npos)
      throw InputError(path + ":" + std::to_string(n) + ": expected 'KIND | TEXT FRAGMENT | REASON'");
    Known k{trim(line.substr(0, a)), trim(line.substr(a + 1, b - a - 1)), trim(line.substr(b + 1))};
    if (k.kind.empty() || k.fragment.empty() || k.reason.empty())
      throw InputError(path + ":" + std::to_string(n) + ": a kind, a text fragment and a reason, none empty");
    v.push_back(k);
  }
  return v;
}

const Known* explained(const Mismatch& m, const std::vector<Known>& known) {
  for (const Known& k : known)
    if (k.kind == m.kind && has(m.text, k.fragment.c_str())) return &k;
  return nullptr;
}

}  // namespace rstlab::difftest
