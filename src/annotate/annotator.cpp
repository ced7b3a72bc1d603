// SPDX-License-Identifier: MIT
// Explains a live trace: walks its events in time order, feeding packets and calls to
// the connection model, and writes down what each RST, FIN and call means.
#include <algorithm>
#include <map>
#include <queue>
#include <cerrno>

#include "rstlab/annotate.h"
#include "rstlab/tcp_model.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

const char* kRole[2] = {"client", "server"};

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

/// The observed outcome of a call in the vocabulary of Prediction::result.
std::string observed(const SyscallEvent& s) {
  if (!s.ret) return "none";
  if (*s.ret < 0) {
    std::string r = s.err ? errno_name(*s.err) : "error";
    if (s.signal) r += " +" + signal_name(*s.signal);
    return r;
  }
  if (s.call == "read" || s.call == "recv") return *s.ret == 0 ? "EOF" : "data";
  if (s.call == "getsockopt" && s.args == "SO_ERROR") return s.value;
  return "ok";
}

/// The result as the first observer reports it: "ECONNRESET", "EPIPE +SIGPIPE (killed)".
std::string result_text(const SyscallEvent& s) {
  std::string r = observed(s);
  if (s.call == "poll") r = s.value;
  if (s.call == "getsockopt") r = "SO_ERROR " + s.value;
  if (s.fate == SignalFate::Killed) r += " (killed)";
  return r;
}

/// The bytes a write asked for, from its arguments as the trace prints them ("100000 bytes"
/// or an escaped string, see printable()); nullopt when they say neither.
std::optional<uint64_t> requested_bytes(const std::string& args) {
  if (!args.empty() && args[0] == '"') {
    uint64_t n = 0;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == '"') return n;
      if (args[i] == '\\') i += i + 1 < args.size() && args[i + 1] == 'x' ? 3 : 1;
      ++n;
    }
    return std::nullopt;
  }
  const size_t digits = args.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string::npos || args.compare(digits, 6, " bytes") != 0) return std::nullopt;
  return std::stoull(args.substr(0, digits));
}

/// A write that returned fewer bytes than it asked for: it blocked and something ended it.
bool cut_short(const SyscallEvent& c) {
  if (!c.ret || *c.ret < 0) return false;
  const auto want = requested_bytes(c.args);
  return want && static_cast<uint64_t>(*c.ret) < *want;
}

bool abnormal(const SyscallEvent& s) {
  if (!s.ret) return false;
  if (*s.ret < 0)
    return s.err && (*s.err == ECONNRESET || *s.err == EPIPE || *s.err == ECONNREFUSED || *s.err == ETIMEDOUT);
  if ((s.call == "read" || s.call == "recv") && *s.ret == 0) return true;
  if (s.call == "getsockopt" && s.args == "SO_ERROR") return s.value != "0";
  if (s.call == "poll") return has(s.value, "POLLERR") || has(s.value, "POLLHUP") || has(s.value, "POLLRDHUP");
  return false;
}

class Annotator {
 public:
  explicit Annotator(Trace& t) : t_(t) {
    kernel_[0] = t.client.kind == "kernel";
    kernel_[1] = t.server.kind == "kernel";
    model_.event_name = [this](size_t e) { return ref(e); };
    if (t.invalid_ratelimit_ms) model_.invalid_ratelimit_ms = *t.invalid_ratelimit_ms;
  }

  void run() {
    t_.annotations.clear();
    t_.first_observer.reset();
    // How far each side's data reached on the wire, for what the words say about a write.
    for (const Event& e : t_.events)
      if (const auto* p = e.packet(); p && p->len > 0 && p->injected_by.empty()) {
        uint64_t& w = wire_end_[p->dir == Dir::ClientToServer ? 0 : 1];
        w = std::max<uint64_t>(w, uint64_t(p->seq) + p->len);
      }
    // A capture that does not start with a SYN began mid-stream.
    for (const Event& e : t_.events)
      if (const auto* p = e.packet()) {
        if (!(p->flags & tcpflag::SYN)) model_.assume_established();
        break;
      }
    // A call's result is decided when it starts (write, close, SO_ERROR...), unless it
    // had to wait (a read with nothing queued, a blocking connect, accept, a poll with a
    // timeout): then it is decided when it returns. The model sees each call at that
    // moment, between the packets around it.
    struct Item {
      int64_t t;
      size_t i;
      bool deferred;
      bool operator>(const Item& o) const { return t != o.t ? t > o.t : i > o.i; }
    };
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
    for (size_t i = 0; i < t_.events.size(); ++i) {
      const auto* c = t_.events[i].syscall();
      queue.push({c ? c->t_start_ns : t_.events[i].t_ns, i, false});
    }
    while (!queue.empty()) {
      const Item it = queue.top();
      queue.pop();
      const Event& e = t_.events[it.i];
      if (const auto* p = e.packet()) on_packet(*p, it.i);
      else if (const auto* a = e.action()) on_action(*a, it.i);
      else if (const auto* c = e.syscall()) {
        if (!it.deferred && decided_on_return(*c)) queue.push({e.t_ns, it.i, true});
        else on_call(*c, it.i);
      }
    }
    choose_first_observer();
    std::stable_sort(t_.annotations.begin(), t_.annotations.end(),
                     [](const Annotation& a, const Annotation& b) { return a.event < b.event; });
  }

 private:
  /// Packets are named by their frame in capture.pcap (as trace.txt and Wireshark show
  /// them), calls by what they were.
  std::string ref(size_t e) const {
    if (const auto* p = t_.events[e].packet())
      return "#" + std::to_string(p->frame) + (p->injected_by.empty() ? "" : " (injected by the middlebox)");
    if (const auto* c = t_.events[e].syscall()) return "(" + c->actor + " " + c->call + ")";
    return "(event " + std::to_string(e) + ")";
  }

  void note(size_t event, const std::string& kind, const std::string& text) {
    t_.annotations.push_back({event, kind, text});
  }

  // ---- packets ---------------------------------------------------------------
  void on_packet(const PacketEvent& p, size_t i) {
    const int from = p.dir == Dir::ClientToServer ? 0 : 1, to = 1 - from;
    const bool injected = !p.injected_by.empty();
    SegmentFacts f{p.flags, p.seq_abs, p.ack_abs, p.len, p.window, p.wscale, p.checksum_ok};
    f.injected = injected;
    const bool rst = p.flags & tcpflag::RST;
    const std::string cause = injected ? injected_cause(p, from) : rst ? rst_cause(from) : "";
    const std::string by = injected ? ", injected by the middlebox" : "";
    if (p.len > 0) last_data_from_[from] = i;
    const bool aborted_before = model_.side[to].aborted_on_data;
    const SegmentVerdict v = model_.on_segment(from, f, i, t_.events[i].t_ns);
    // Data after shutdown(SHUT_RD) in FIN_WAIT1/2 made the receiver abort (no RST came in):
    // that data segment ended the connection, as an accepted RST would have.
    if (!aborted_before && model_.side[to].aborted_on_data && model_.side[to].pending_err && kernel_[to] &&
        !principal_)
      principal_ = i;
    if (v.challenge_ack)
      note(i, "challenge-ack", std::string("challenge ACK from the ") + kRole[from] +
                                   " (RFC 5961): it answers the in-window RST with its real rcv_nxt");
    if (injected && !rst) note(i, "cause", cause);
    if (rst) {
      if (!cause.empty()) note(i, "cause", cause);
      if (!kernel_[to]) {
        note(i, "rst", std::string("RST to the crafted peer: it drops its side of the connection"));
      } else {
        note(i, "rst", std::string("RST to the ") + kRole[to] + by + ": " + v.why);
        if (v.reaction == RstReaction::Accepted && v.err && !principal_) principal_ = i;
        // One middlebox act (an idle timeout resetting both ends) is one cause.
        if (v.reaction == RstReaction::Accepted && v.err && injected) injected_accepted_.push_back(i);
      }
    } else if (v.dropped_bad_checksum) {
      note(i, "dropped", v.why);
    }
    if (v.fin && kernel_[to]) {
      note(i, "fin", std::string("FIN from the ") + kRole[from] + by + ": the " + kRole[to] +
                         "'s receive side is shut (" + tcp_state_label(model_.side[to].state) +
                         "); its reads return 0 once the queue is empty, and it can still send");
      if (!fin_principal_) fin_principal_ = i;
    }
  }

  /// Who sent a segment the middle injected, and how it aimed.
  std::string injected_cause(const PacketEvent& p, int from) const {
    std::string s = std::string("injected by the middlebox in the ") + kRole[from] + "'s name: the " + kRole[from] +
                    " never sent it";
    if (last_middle_action_) {
      // "seq=rcv_nxt", "seq=rcv_nxt+100"...: how the middle aimed, from what it saw.
      const std::string part = middle_part(t_.events[*last_middle_action_].action()->detail, p);
      const size_t at = part.find("seq=");
      if (at != std::string::npos) s += " (" + part.substr(at, part.find(' ', at) - at) + " as the middle saw it)";
    }
    return s;
  }

  /// The part of a middle action's detail that describes this packet ("R. to the client ...").
  static std::string middle_part(const std::string& detail, const PacketEvent& p) {
    const std::string to = std::string(" to the ") + (p.dir == Dir::ClientToServer ? "server" : "client");
    size_t at = 0;
    while (at < detail.size()) {
      size_t end = detail.find("; ", at);
      if (end == std::string::npos) end = detail.size();
      const std::string part = detail.substr(at, end - at);
      if (part.find(to) != std::string::npos) return part;
      at = end + 2;
    }
    return detail;
  }

  /// Why the sender sent this RST (before the model sees the RST).
  std::string rst_cause(int from) const {
    const std::string who = kRole[from];
    if (!kernel_[from]) {
      if (last_peer_action_) {
        const ActionEvent& a = *t_.events[*last_peer_action_].action();
        if (a.action == "rst") return "crafted by the peer: " + a.detail;
        if (a.action == "auto" || a.action == "close") return "the peer behaves like a Linux socket: " + a.detail;
      }
      return "sent by the crafted peer";
    }
    const EndpointModel& a = model_.side[from];
    if (a.aborted_on_data)
      return "the " + who + " had shut its receive side and data arrived in " + tcp_state_label(a.err_state) +
             ": Linux aborts the connection and answers with RST (RFC 1122)";
    if (a.app_closed && a.linger_zero)
      return "the " + who + " set SO_LINGER {on, 0} and closed: an abortive close sends RST instead of FIN";
    if (a.app_closed && a.unread_at_close > 0)
      return "the " + who + " closed with " + std::to_string(a.unread_at_close) + " unread byte" +
             (a.unread_at_close == 1 ? "" : "s") + ": tcp_close() aborts the connection with RST instead of FIN";
    if (a.app_closed && close_event_[from] && last_data_from_[1 - from] &&
        *last_data_from_[1 - from] > *close_event_[from])
      return "the " + who + "'s application has closed: data arriving now is answered with RST "
             "(seq = the segment's ack)";
    if (!a.seen || a.state == TcpState::Listen)
      return "nothing listens on the " + who + "'s port: its kernel answers the SYN with RST|ACK";
    if (a.reset && a.err_cause)
      return "the " + who + "'s socket was reset by " + ref(*a.err_cause) +
             ": its kernel has no connection left and answers the " + kRole[1 - from] +
             "'s segment with RST (seq = the segment's ack)";
    return "the " + who + "'s kernel reset the connection";
  }

  void on_action(const ActionEvent& a, size_t i) {
    if (a.actor == "middle") {
      last_middle_action_ = i;
      return;
    }
    const int s = a.actor == "client" ? 0 : 1;
    if (kernel_[s]) return;
    last_peer_action_ = i;
  }

  // ---- calls -----------------------------------------------------------------
  bool decided_on_return(const SyscallEvent& c) const {
    const int s = c.actor == "client" ? 0 : 1;
    if (c.call == "accept") return true;
    if (c.call == "connect") return !has(c.args, "O_NONBLOCK");
    if (c.call == "poll") return !has(c.args, ", 0 ms");
    if (c.call == "read" || c.call == "recv") return !pipe_[s] && model_.predict_read(s).result == "block";
    // A write that the rules let through when it started but that came back short or
    // failed had to wait for room in the send buffer: what ended it happened while it
    // waited, so it is judged when it returns.
    if ((c.call == "write" || c.call == "send") && !pipe_[s])
      return model_.predict_write(s, false).result == "ok" && (cut_short(c) || (c.ret && *c.ret < 0));
    return false;
  }

  void on_call(const SyscallEvent& c, size_t i) {
    const int s = c.actor == "client" ? 0 : 1;
    EndpointModel& m = model_.side[s];
    const std::string obs = observed(c);
    std::optional<size_t> cause;
    std::string reason;
    auto check = [&](const Prediction& p, std::string predicted) {
      cause = p.cause;
      reason = p.reason;
      if (p.result == "block" || obs == predicted) return;
      note(i, "mismatch", "MODEL MISMATCH: the kernel rules predict " + predicted + ", the kernel returned " + obs);
    };

    if (c.call == "pipe") {
      pipe_[s] = true;
      reason = "pipe(): this process writes into the write end and reads from the read end";
    } else if (pipe_[s]) {
      if (c.call == "close") {
        pipe_reader_closed_ = i;
        reason = "the reader is gone (like head exiting): the pipe has no reader left";
      } else if (c.call == "write" && c.err && *c.err == EPIPE) {
        cause = pipe_reader_closed_;
        reason = "the pipe has no reader: write fails with EPIPE and raises SIGPIPE (pipe_write in fs/pipe.c)";
      } else if (c.call == "write") {
        reason = "the pipe has a reader and room: the bytes are queued";
      } else if (c.call == "read") {
        reason = "the bytes written earlier come back out of the pipe";
      }
    } else if (c.call == "listen") {
      m.state = TcpState::Listen;
      reason = "the socket now accepts connections";
    } else if (c.call == "connect") {
      if (c.err && *c.err == ECONNREFUSED) {
        check(model_.predict_so_error(s), errno_name(ECONNREFUSED));
        reason = cause ? "the RST|ACK " + ref(*cause) + " was accepted in SYN_SENT: connect fails with ECONNREFUSED"
                       : "the connection was refused";
        model_.consume(s);
      } else if (c.err && *c.err == EINPROGRESS) {
        reason = "non-blocking connect: the SYN is out, the handshake finishes in the background";
      } else if (c.ret && *c.ret == 0) {
        reason = "the three-way handshake completed";
      }
    } else if (c.call == "read" || c.call == "recv") {
      if (c.err && *c.err == ETIMEDOUT) {
        timed_out(m, i, reason);
      } else if (c.err && *c.err == EAGAIN) {
        // A non-blocking read that found nothing: the rules must have said it would wait.
        check(model_.predict_read(s), model_.predict_read(s).result);
        reason = "nothing to read yet (non-blocking)";
      } else {
        check(model_.predict_read(s), model_.predict_read(s).result);
        if (c.ret && *c.ret > 0) m.rx_queue -= std::min<uint64_t>(m.rx_queue, static_cast<uint64_t>(*c.ret));
        if (c.err && *c.err == m.pending_err) model_.consume(s);
      }
    } else if (c.call == "write" || c.call == "send") {
      const uint64_t before = written_[s];  // the stream offset of this write's first byte
      if (c.ret && *c.ret > 0) written_[s] += static_cast<uint64_t>(*c.ret);
      if (c.err && *c.err == ETIMEDOUT) {
        timed_out(m, i, reason);
      } else if (cut_short(c)) {
        short_write(c, m, i, cause, reason);
      } else {
        Prediction p = model_.predict_write(s);
        std::string predicted = p.result == "ok" ? "ok" : p.result;
        if (has(c.args, "MSG_NOSIGNAL") && has(predicted, " +SIGPIPE")) {
          predicted = predicted.substr(0, predicted.find(" +SIGPIPE"));
          p.reason += "; MSG_NOSIGNAL: no signal";
        }
        check(p, predicted);
        if (c.ret && *c.ret > 0) not_on_wire(s, before, static_cast<uint64_t>(*c.ret), reason);
        if (cause && t_.events[*cause].t_ns > c.t_start_ns)
          reason += "; the write had been waiting for room in the send buffer when it arrived";
        if (c.err && *c.err == m.pending_err) model_.consume(s);
      }
      if (c.fate == SignalFate::Killed) {
        reason += "; SIGPIPE's default action kills the process (signal 13)";
        // The dead process's descriptors are closed by the kernel: as close() (a closed
        // socket in FIN_WAIT2 becomes a timewait socket, unread data makes it abort).
        m.app_closed = true;
        m.unread_at_close = m.rx_queue;
      }
      if (c.fate == SignalFate::Ignored) reason += "; SIGPIPE is ignored, the process carries on";
      if (c.fate == SignalFate::Handled) reason += "; a SIGPIPE handler ran, the process carries on";
    } else if (c.call == "getsockopt" && c.args == "SO_ERROR") {
      check(model_.predict_so_error(s), model_.predict_so_error(s).result);
      model_.consume(s);
    } else if (c.call == "poll") {
      reason = poll_reason(c.value, m, cause);
    } else if (c.call == "shutdown") {
      if (has(c.args, "WR")) {
        if (!m.wr_shut) m.wr_cause = i;
        m.wr_shut = true;
        reason = "shutdown(SHUT_WR): a FIN is sent; from now on writes fail locally with EPIPE";
      }
      if (has(c.args, "RD")) {
        if (!m.rd_shut) m.rd_cause = i;
        m.rd_shut = true;
        reason += std::string(reason.empty() ? "" : "; ") + "shutdown(SHUT_RD): reads return 0";
      }
    } else if (c.call == "close") {
      m.app_closed = true;
      close_event_[s] = i;
      m.unread_at_close = m.rx_queue;
      if (m.reset) reason = "the connection was already reset: close() just releases the descriptor";
      else if (m.linger_zero) reason = "SO_LINGER {on, 0}: close() aborts the connection with RST";
      else if (m.rx_queue > 0)
        reason = "close() with " + std::to_string(m.rx_queue) + " unread byte" + (m.rx_queue == 1 ? "" : "s") +
                 ": the kernel aborts the connection with RST instead of FIN";
      else reason = "close(): a FIN is sent; data arriving after it will be answered with RST";
    } else if (c.call == "setsockopt" && has(c.args, "SO_LINGER")) {
      m.linger_zero = has(c.args, "{on, 0}");
      reason = m.linger_zero ? "SO_LINGER {on, 0}: a later close() will abort with RST" : "linger set";
    } else if (c.call == "setsockopt" && has(c.args, "TCP_USER_TIMEOUT")) {
      reason = "TCP_USER_TIMEOUT: unacknowledged data older than this aborts the connection";
    }
    if (const auto& lp = left_pending_[s]; lp && cause == lp->first && lp->second != i && c.err) {
      // Not the first call after the RST, but the first to report it.
      const std::string after = " is the first call after it, so it reports ";
      if (const size_t at = reason.find(after); at != std::string::npos)
        reason.replace(at, after.size(), " is the first call to report it (the write cut short before it returned "
                                         "its count and left the error pending), so it reports ");
      left_pending_[s].reset();
    }
    if (!reason.empty()) note(i, "call", reason);
    if (abnormal(c) || short_writes_.count(i)) observations_.push_back({i, cause, reason});
  }

  /// A write the rules let through copies its bytes to the send queue; whether they
  /// were sent is the capture's to say. When none of them ever appears on the wire (Nagle
  /// held them back behind unacknowledged data, and the connection ended first - an RST
  /// purges the send queue), the words must not claim they were sent.
  void not_on_wire(int s, uint64_t before, uint64_t n, std::string& reason) {
    const uint64_t first = 1 + before, end = first + n;  // relative sequence numbers: data starts at 1
    if (wire_end_[s] >= end) return;
    const std::string sent = "this write is accepted and sent";
    const size_t at = reason.find(sent);
    if (at == std::string::npos) return;
    const std::string part = wire_end_[s] <= first ? "its bytes never reached the wire (the capture holds none"
                                                   : "not all its bytes reached the wire (the capture holds " +
                                                         std::to_string(wire_end_[s] - first) + " of " +
                                                         std::to_string(n);
    reason.replace(at, sent.size(),
                   "this write is accepted into the send queue, but " + part +
                       ": held back, as Nagle holds small segments while data is unacknowledged, until the "
                       "connection ended)");
  }

  /// A blocking write that returned fewer bytes than it asked for. tcp_sendmsg() waits
  /// for room in the send buffer; when an error or a shut send side ends the wait after
  /// some bytes were copied, it returns their count and leaves sk_err for the next call.
  void short_write(const SyscallEvent& c, const EndpointModel& m, size_t i, std::optional<size_t>& cause,
                   std::string& reason) {
    const std::string counts = std::to_string(*c.ret) + " of " + std::to_string(*requested_bytes(c.args)) + " bytes";
    const std::optional<size_t> ended = m.pending_err ? m.err_cause : m.wr_shut ? m.wr_cause : std::nullopt;
    if (!ended || t_.events[*ended].t_ns < c.t_start_ns) {
      reason = has(c.args, "MSG_DONTWAIT")
                   ? "MSG_DONTWAIT: the send copied what fitted in the send buffer, " + counts + ", without waiting"
                   : "the write returned after copying " + counts + ": it waited for room in the send buffer and "
                     "was cut short (nothing the rules follow ended it)";
      return;
    }
    cause = ended;
    const Event& e = t_.events[*ended];
    const bool rst = e.packet() && (e.packet()->flags & tcpflag::RST);
    reason = "the write blocked, waiting for room in the send buffer, after copying " + counts + "; the " +
             (rst ? "RST " : "") + ref(*ended) + " arrived while it waited";
    if (m.pending_err)
      reason += " (accepted in " + std::string(tcp_state_label(m.err_state)) + " -> sk_err = " +
                errno_name(m.pending_err) + ") and ended it: a write that has copied bytes returns their count, "
                "so this short count is the reset's first effect; the error stays pending and the next call "
                "reports it";
    else
      reason += " and shut the send side: the write returns the bytes it had copied";
    short_writes_[i] = counts + " (cut short)";
    if (m.pending_err) left_pending_[c.actor == "client" ? 0 : 1] = {*ended, i};
  }

  void timed_out(EndpointModel& m, size_t i, std::string& reason) {
    reason = "the data went unacknowledged longer than TCP_USER_TIMEOUT allows: the kernel aborts "
             "the connection with ETIMEDOUT and sends no RST";
    m.reset = true;  // the socket is gone as after a reset...
    m.timed_out = true;  // ...but no RST ended it: the words must not speak of one
    m.state = TcpState::Closed;
    if (!m.wr_shut) m.wr_cause = i;
    if (!m.rd_shut) m.rd_cause = i;
    m.rd_shut = m.wr_shut = true;
  }

  std::string poll_reason(const std::string& revents, const EndpointModel& m, std::optional<size_t>& cause) {
    std::string r;
    auto add = [&](const std::string& s) { r += (r.empty() ? "" : "; ") + s; };
    if (has(revents, "POLLERR")) {
      add("POLLERR: an error is pending (poll reports it without consuming it)");
      cause = m.err_cause;
    }
    if (has(revents, "POLLHUP")) {
      add("POLLHUP: both directions are shut");
      if (!cause) cause = m.rd_cause;
    }
    if (has(revents, "POLLRDHUP")) {
      add("POLLRDHUP: the receive side is shut (FIN or reset)");
      if (!cause) cause = m.rd_cause;
    }
    if (r.empty()) r = "no error and no hang-up";
    return r;
  }

  // ---- the first observer ------------------------------------------------------
  void choose_first_observer() {
    if (observations_.empty()) return;
    const std::optional<size_t> principal = principal_ ? principal_ : fin_principal_;
    const Observation* chosen = nullptr;
    // When the middlebox reset both ends, either of its RSTs is the principal cause.
    const bool middle_principal = principal && std::find(injected_accepted_.begin(), injected_accepted_.end(),
                                                         *principal) != injected_accepted_.end();
    if (principal)
      for (const auto& o : observations_)
        if (o.cause == principal ||
            (middle_principal && o.cause &&
             std::find(injected_accepted_.begin(), injected_accepted_.end(), *o.cause) != injected_accepted_.end())) {
          chosen = &o;
          break;
        }
    if (!chosen) chosen = &observations_.front();
    // An observation with a local cause - the actor's own shutdown (EPIPE after
    // shutdown(SHUT_WR), EOF after shutdown(SHUT_RD)) or a timeout (ETIMEDOUT, no packet
    // behind it) - counts when it comes first: it felt the end before any observer of the packet.
    for (const auto& o : observations_) {
      if (&o == chosen) break;
      const SyscallEvent& c = *t_.events[o.event].syscall();
      const bool local = o.cause ? t_.events[*o.cause].syscall() != nullptr : c.err && *c.err == ETIMEDOUT;
      if (local) {
        chosen = &o;
        break;
      }
    }
    const SyscallEvent& c = *t_.events[chosen->event].syscall();
    FirstObserver f;
    f.event = chosen->event;
    f.actor = c.actor;
    f.call = c.call;
    const auto short_write = short_writes_.find(chosen->event);
    f.result = short_write != short_writes_.end() ? short_write->second : result_text(c);
    f.reason = chosen->reason;
    f.cause = chosen->cause;
    t_.first_observer = f;
    std::string what = "FIRST OBSERVER";
    if (f.cause) {
      const Event& ce = t_.events[*f.cause];
      if (const auto* p = ce.packet())
        what += std::string(" of the ") + ((p->flags & tcpflag::RST) ? "RST" : "FIN") + " " + ref(*f.cause);
      else
        what += " of " + ref(*f.cause);
    }
    note(f.event, "observer", what + ": the first call whose result it decided");
  }

  struct Observation {
    size_t event;
    std::optional<size_t> cause;
    std::string reason;
  };

  Trace& t_;
  ConnectionModel model_;
  bool kernel_[2];
  bool pipe_[2] = {false, false};
  std::optional<size_t> pipe_reader_closed_;
  std::optional<size_t> last_peer_action_;
  std::optional<size_t> last_middle_action_;
  std::vector<size_t> injected_accepted_;  // injected RSTs that stored an error
  std::optional<size_t> last_data_from_[2];
  std::optional<size_t> close_event_[2];
  std::optional<size_t> principal_, fin_principal_;
  std::vector<Observation> observations_;
  std::map<size_t, std::string> short_writes_;
  uint64_t wire_end_[2] = {1, 1};  ///< per side: the highest relative seq its captured data reached
  uint64_t written_[2] = {0, 0};   ///< per side: bytes the writes so far returned
  /// (the RST, the short write) when a short write left the RST's error pending.
  std::optional<std::pair<size_t, size_t>> left_pending_[2];  ///< writes an error cut short: "78192 of 100000 bytes (cut short)"
};

}  // namespace

void annotate(Trace& trace) { Annotator(trace).run(); }

}  // namespace rstlab
