// SPDX-License-Identifier: MIT
// Explains a live trace: walks its events in time order, feeding packets and calls to
// the connection model, and writes down what each RST, FIN and call means.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <queue>

#include "rstlab/annotate.h"
#include "rstlab/rules.h"
#include "rstlab/tcp_model.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

const char* kRole[2] = {"client", "server"};

/// The observed outcome of a call in the vocabulary of Prediction::result.
std::string observed(const SyscallEvent& s) {
  if (!s.ret) return "none";
  if (*s.ret < 0) {
    std::string r = s.err ? errno_name(*s.err) : "error";
    if (s.signal) r += " +" + signal_name(*s.signal);
    return r;
  }
  if (s.facts.op == CallOp::Read) return *s.ret == 0 ? "EOF" : "data";
  if (s.facts.op == CallOp::GetSockOpt && s.facts.option == SockOpt::Error)
    return s.facts.so_error ? errno_name(s.facts.so_error) : "0";
  return "ok";
}

/// The result as the first observer reports it: "ECONNRESET", "EPIPE +SIGPIPE (killed)".
std::string result_text(const SyscallEvent& s) {
  std::string r = observed(s);
  // poll's revents as the trace prints them: copied for people, never read for a rule.
  if (s.facts.op == CallOp::Poll) r = s.value;
  if (s.facts.op == CallOp::GetSockOpt) r = "SO_ERROR " + r;
  if (s.fate == SignalFate::Killed) r += " (killed)";
  return r;
}

/// A write that returned fewer bytes than it asked for: it blocked and something ended it.
bool cut_short(const SyscallEvent& c) {
  if (!c.ret || *c.ret < 0) return false;
  return c.facts.size && static_cast<uint64_t>(*c.ret) < *c.facts.size;
}

bool abnormal(const SyscallEvent& s) {
  if (!s.ret) return false;
  if (*s.ret < 0)
    return s.err && (*s.err == ECONNRESET || *s.err == EPIPE || *s.err == ECONNREFUSED || *s.err == ETIMEDOUT);
  if (s.facts.op == CallOp::Read && *s.ret == 0) return true;
  if (s.facts.op == CallOp::GetSockOpt && s.facts.option == SockOpt::Error) return s.facts.so_error != 0;
  if (s.facts.op == CallOp::Poll) return s.facts.revents & (POLLERR | POLLHUP | POLLRDHUP);
  return false;
}

CallOutcome outcome(const SyscallEvent& c) { return {c.ret, c.err.value_or(0), c.fate == SignalFate::Killed}; }

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
    // Counted from each side's SYN (its ISN), so only for sides whose SYN the trace holds.
    for (const Event& e : t_.events)
      if (const auto* p = e.packet(); p && p->injected_by.empty()) {
        const int d = p->dir == Dir::ClientToServer ? 0 : 1;
        if ((p->flags & tcpflag::SYN) && !isn_[d]) isn_[d] = p->seq_abs;
        if (p->len > 0 && isn_[d]) {
          uint64_t& w = wire_end_[d];
          w = std::max<uint64_t>(w, uint64_t(p->seq_abs - *isn_[d]) + p->len);
        }
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

  void note(size_t event, const std::string& kind, const std::string& text, RuleId rule = RuleId::None) {
    t_.annotations.push_back({event, kind, text, rule_name(rule)});
  }

  // ---- packets ---------------------------------------------------------------
  void on_packet(const PacketEvent& p, size_t i) {
    const int from = p.dir == Dir::ClientToServer ? 0 : 1, to = 1 - from;
    const bool injected = !p.injected_by.empty();
    SegmentFacts f{p.flags, p.seq_abs, p.ack_abs, p.len, p.window, p.wscale, p.checksum_ok};
    f.injected = injected;
    const bool rst = p.flags & tcpflag::RST;
    RuleId cause_rule = RuleId::None;
    std::string cause;
    if (injected) {
      cause_rule = RuleId::CauseInjected;
      cause = injected_cause(p, from);
    } else if (rst) {
      cause_rule = rst_cause(from, cause);
    }
    const std::string by = injected ? ", injected by the middlebox" : "";
    const bool aborted_before = model_.side(to).aborted_on_data;
    const bool sender_aborted_before = model_.side(from).aborted_on_data;
    // What ended the sender's own connection before it sent this RST (an RST it accepted,
    // or data after its shutdown(SHUT_RD) that made it abort): an RST it sends in answer
    // carries that same end on to the other side.
    const std::optional<size_t>& sender_end = model_.side(from).err_cause;
    const bool carries_end = rst && kernel_[from] && sender_end && same_end(*sender_end);
    const SegmentVerdict v = model_.on_segment(from, f, i, t_.events[i].t_ns);
    // Data after shutdown(SHUT_RD) in FIN_WAIT1/2 made the receiver abort (no RST came in):
    // that data segment ended the connection, as an accepted RST would have.
    if (!aborted_before && model_.side(to).aborted_on_data && model_.side(to).pending_err && kernel_[to] &&
        !principal_)
      principal_ = i;
    // Its own RST showed that the sender aborted so (the data was in flight past the
    // capture point when it shut its receive side): that RST is the end's cause.
    if (!sender_aborted_before && model_.side(from).aborted_on_data && model_.side(from).pending_err &&
        kernel_[from] && !principal_)
      principal_ = i;
    if (v.challenge_ack)
      note(i, "challenge-ack", rule_words(RuleId::RstChallengeAck, 1, {kRole[from]}), RuleId::RstChallengeAck);
    if (injected && !rst) note(i, "cause", cause, cause_rule);
    if (rst) {
      if (!cause.empty()) note(i, "cause", cause, cause_rule);
      if (!kernel_[to]) {
        note(i, "rst", rule_words(RuleId::PeerDropsConnection), RuleId::PeerDropsConnection);
      } else {
        note(i, "rst", std::string("RST to the ") + kRole[to] + by + ": " + v.why, v.rule);
        if (v.reaction == RstReaction::Accepted && v.err && !principal_) principal_ = i;
        // An abort's RST (the sender aborted on data after shutdown(SHUT_RD), or was reset
        // itself) that the other side accepts is the same end reaching it: whichever side
        // feels it first is the first observer.
        else if (v.reaction == RstReaction::Accepted && v.err && carries_end)
          same_end_.push_back(i);
        // One middlebox act (an idle timeout resetting both ends) is one cause.
        if (v.reaction == RstReaction::Accepted && v.err && injected) injected_accepted_.push_back(i);
      }
    } else if (v.dropped_bad_checksum) {
      note(i, "dropped", v.why, v.rule);
    }
    if (v.fin && kernel_[to]) {
      note(i, "fin",
           rule_words(RuleId::FinReceived, 0, {kRole[from], by, kRole[to], tcp_state_label(model_.side(to).state)}),
           RuleId::FinReceived);
      if (!fin_principal_) fin_principal_ = i;
    }
  }

  /// Who sent a segment the middle injected, and how it aimed.
  std::string injected_cause(const PacketEvent& p, int from) const {
    std::string s = rule_words(RuleId::CauseInjected, 0, {kRole[from]});
    if (last_middle_action_) {
      // "seq=rcv_nxt", "seq=rcv_nxt+100"...: how the middle aimed, from what it saw.
      const std::string part = middle_part(t_.events[*last_middle_action_].action()->detail, p);
      const size_t at = part.find("seq=");
      if (at != std::string::npos)
        append_rule_words(s, RuleId::CauseInjected, 1, {part.substr(at, part.find(' ', at) - at)});
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

  /// Why the sender sent this RST (before the model sees the RST): its rule, and the
  /// words in `text`.
  RuleId rst_cause(int from, std::string& text) const {
    const char* who = kRole[from];
    if (!kernel_[from]) {
      if (last_peer_action_) {
        const ActionEvent& a = *t_.events[*last_peer_action_].action();
        if (a.action == "rst") {
          text = rule_words(RuleId::CausePeerCrafted, 0, {a.detail});
          return RuleId::CausePeerCrafted;
        }
        if (a.action == "auto" || a.action == "close") {
          text = rule_words(RuleId::CausePeerLinux, 0, {a.detail});
          return RuleId::CausePeerLinux;
        }
      }
      text = rule_words(RuleId::CausePeer);
      return RuleId::CausePeer;
    }
    RstEvidence e;
    e.calls_known = true;
    const RuleId r = model_.classify_rst_cause(from, e);
    const EndpointModel& a = model_.side(from);
    switch (r) {
      case RuleId::CauseCloseUnreadData: {
        const std::string unread = std::to_string(a.unread_at_close) +
                                   (a.unread_at_close == 1 ? " unread byte" : " unread bytes");
        text = rule_words(r, 0, {who, unread});
        break;
      }
      case RuleId::CauseNoSocket:
        text = rule_words(r, 0, {who, ref(*a.err_cause), kRole[1 - from]});
        break;
      case RuleId::AbortDataAfterShutRd: text = rule_words(r, 1, {who, tcp_state_label(a.err_state)}); break;
      default: text = rule_words(r, 0, {who}); break;
    }
    return r;
  }

  void on_action(const ActionEvent& a, size_t i) {
    if (a.action == "note") return;  // words only: it neither sends nor calls
    if (a.actor == "middle") {
      last_middle_action_ = i;
      return;
    }
    const int s = a.actor == "client" ? 0 : 1;
    if (kernel_[s]) return;
    last_peer_action_ = i;
  }

  // ---- calls -----------------------------------------------------------------
  /// The call's facts, with on_pipe kept for every call after pipe(): the actor reports
  /// on_pipe only while the pipe's read end is open, and the write after the reader
  /// closed it is still a write into the pipe.
  CallFacts facts_of(const SyscallEvent& c, int s) const {
    CallFacts f = c.facts;
    f.on_pipe = f.on_pipe || pipe_[s];
    return f;
  }

  bool decided_on_return(const SyscallEvent& c) const {
    const int s = c.actor == "client" ? 0 : 1;
    const CallFacts f = facts_of(c, s);
    switch (f.op) {
      case CallOp::Accept: return true;
      case CallOp::Connect: return !f.nonblock;
      case CallOp::Poll: return f.timeout_ms != 0;
      case CallOp::Read: return !f.on_pipe && model_.predict_read(s, false).result == "block";
      case CallOp::Write:
        // A write that the rules let through when it started but that came back short or
        // failed had to wait for room in the send buffer: what ended it happened while it
        // waited, so it is judged when it returns.
        return !f.on_pipe && model_.predict_write(s, false).result == "ok" && (cut_short(c) || (c.ret && *c.ret < 0));
      default: return false;
    }
  }

  void on_call(const SyscallEvent& c, size_t i) {
    const int s = c.actor == "client" ? 0 : 1;
    if (c.facts.op == CallOp::Pipe) pipe_[s] = true;
    const CallFacts f = facts_of(c, s);
    const EndpointModel& m = model_.side(s);
    const std::string obs = observed(c);
    const auto failed = [&](int e) { return c.err && *c.err == e; };
    std::optional<size_t> cause;
    std::string reason;
    RuleId rule = RuleId::None;
    const auto say = [&](RuleId r, std::initializer_list<std::string_view> args = {}) {
      rule = r;
      reason = rule_words(r, 0, args);
    };
    auto check = [&](const Prediction& p, std::string predicted) {
      cause = p.cause;
      reason = p.reason;
      rule = p.rule;
      if (p.result == "block" || obs == predicted) return;
      note(i, "mismatch", "MODEL MISMATCH: the kernel rules predict " + predicted + ", the kernel returned " + obs);
    };

    if (f.op == CallOp::Pipe) {
      say(RuleId::PipeCreated);
    } else if (f.on_pipe) {
      if (f.op == CallOp::Close) {
        pipe_reader_closed_ = i;
        say(RuleId::PipeReaderGone);
      } else if (f.op == CallOp::Write && failed(EPIPE)) {
        cause = pipe_reader_closed_;
        say(RuleId::PipeNoReader);
      } else if (f.op == CallOp::Write) {
        say(RuleId::PipeWrite);
      } else if (f.op == CallOp::Read) {
        say(RuleId::PipeRead);
      }
    } else if (f.op == CallOp::Listen) {
      say(RuleId::Listen);
    } else if (f.op == CallOp::Connect) {
      if (failed(ECONNREFUSED)) {
        check(model_.predict_so_error(s), errno_name(ECONNREFUSED));
        rule = RuleId::RstAcceptedSynSent;
        reason = cause ? rule_words(rule, 1, {ref(*cause)}) : rule_words(rule, 2);
      } else if (failed(EINPROGRESS)) {
        say(RuleId::ConnectInProgress);
      } else if (c.ret && *c.ret == 0) {
        say(RuleId::ConnectEstablished);
      }
    } else if (f.op == CallOp::Read) {
      if (failed(ETIMEDOUT)) {
        say(RuleId::UserTimeout);
      } else if (failed(EAGAIN)) {
        // A non-blocking read that found nothing: the rules must have said it would wait.
        const Prediction p = model_.predict_read(s);
        check(p, p.result);
        say(RuleId::ReadWouldBlock);
      } else {
        const Prediction p = model_.predict_read(s);
        check(p, p.result);
      }
    } else if (f.op == CallOp::Write) {
      const uint64_t before = written_[s];  // the stream offset of this write's first byte
      if (c.ret && *c.ret > 0) written_[s] += static_cast<uint64_t>(*c.ret);
      if (failed(ETIMEDOUT)) {
        say(RuleId::UserTimeout);
      } else if (cut_short(c)) {
        short_write(c, m, i, cause, reason, rule);
      } else {
        Prediction p = model_.predict_write(s);
        std::string predicted = p.result;
        if (f.nosignal && p.result.size() > 9 && p.result.compare(p.result.size() - 9, 9, " +SIGPIPE") == 0) {
          predicted = p.result.substr(0, p.result.size() - 9);
          append_rule_words(p.reason, RuleId::WriteNoSignal, 0);
        }
        check(p, predicted);
        if (c.ret && *c.ret > 0 && p.rule == RuleId::WriteAfterFin)
          not_on_wire(s, before, static_cast<uint64_t>(*c.ret), reason, rule);
        if (cause && t_.events[*cause].t_ns > c.t_start_ns) append_rule_words(reason, RuleId::WriteWaited, 0);
      }
      if (c.fate == SignalFate::Killed) append_rule_words(reason, RuleId::SigpipeKills, 0);
      if (c.fate == SignalFate::Ignored) append_rule_words(reason, RuleId::SigpipeIgnored, 0);
      if (c.fate == SignalFate::Handled) append_rule_words(reason, RuleId::SigpipeHandled, 0);
    } else if (f.op == CallOp::GetSockOpt && f.option == SockOpt::Error) {
      const Prediction p = model_.predict_so_error(s);
      check(p, p.result);
    } else if (f.op == CallOp::Poll) {
      poll_reason(f.revents, m, cause, reason, rule);
    } else if (f.op == CallOp::Shutdown) {
      if (f.shut_how == SHUT_WR || f.shut_how == SHUT_RDWR) say(RuleId::ShutdownWrite);
      if (f.shut_how == SHUT_RD || f.shut_how == SHUT_RDWR) {
        if (!reason.empty()) reason += "; ";
        else rule = RuleId::ShutdownRead;
        append_rule_words(reason, RuleId::ShutdownRead, 0);
      }
    } else if (f.op == CallOp::Close) {
      // The close's rule, in its own words (variant 1 of the RST causes it sets off).
      if (m.reset) {
        say(RuleId::CloseAfterReset);
      } else if (m.linger_zero) {
        rule = RuleId::CauseLingerZero;
        reason = rule_words(rule, 1);
      } else if (m.rx_queue > 0) {
        rule = RuleId::CauseCloseUnreadData;
        const char* unit = m.rx_queue == 1 ? " unread byte" : " unread bytes";
        reason = rule_words(rule, 1, {std::to_string(m.rx_queue) + unit});
      } else {
        say(RuleId::CloseSendsFin);
      }
    } else if (f.op == CallOp::SetSockOpt && f.option == SockOpt::Linger) {
      if (f.linger_on && f.linger_seconds == 0) {
        rule = RuleId::CauseLingerZero;
        reason = rule_words(rule, 2);
      } else {
        say(RuleId::LingerSet);
      }
    } else if (f.op == CallOp::SetSockOpt && f.option == SockOpt::UserTimeout) {
      rule = RuleId::UserTimeout;
      reason = rule_words(rule, 1);
    }
    // What the call changes in its endpoint, now that its result is judged.
    model_.on_call(s, f, outcome(c), i);
    if (const auto& lp = left_pending_[s]; lp && cause == lp->first && lp->second != i && c.err) {
      // Not the first call after the RST, but the first to report it.
      const std::string after = rule_template(RuleId::ErrorReportedOnce, 6);
      if (const size_t at = reason.find(after); at != std::string::npos)
        reason.replace(at, after.size(), rule_template(RuleId::ErrorReportedOnce, 7));
      left_pending_[s].reset();
    }
    if (!reason.empty()) note(i, "call", reason, rule);
    if (abnormal(c) || short_writes_.count(i)) observations_.push_back({i, cause, reason, rule});
  }

  /// A write the rules let through copies its bytes to the send queue; whether they
  /// were sent is the capture's to say. When none of them ever appears on the wire (Nagle
  /// held them back behind unacknowledged data, and the connection ended first - an RST
  /// purges the send queue), the words must not claim they were sent.
  void not_on_wire(int s, uint64_t before, uint64_t n, std::string& reason, RuleId& rule) {
    const uint64_t first = 1 + before, end = first + n;  // relative sequence numbers: data starts at 1
    if (!isn_[s] || wire_end_[s] >= end) return;
    const std::string part = wire_end_[s] <= first ? "its bytes never reached the wire (the capture holds none"
                                                   : "not all its bytes reached the wire (the capture holds " +
                                                         std::to_string(wire_end_[s] - first) + " of " +
                                                         std::to_string(n);
    rule = RuleId::WriteNotOnWire;
    reason = rule_words(RuleId::WriteNotOnWire, 0, {part});
  }

  /// A blocking write that returned fewer bytes than it asked for. tcp_sendmsg() waits
  /// for room in the send buffer; when an error or a shut send side ends the wait after
  /// some bytes were copied, it returns their count and leaves sk_err for the next call.
  void short_write(const SyscallEvent& c, const EndpointModel& m, size_t i, std::optional<size_t>& cause,
                   std::string& reason, RuleId& rule) {
    const std::string counts =
        rule_words(RuleId::WriteCutShort, 4, {std::to_string(*c.ret), std::to_string(*c.facts.size)});
    const std::optional<size_t> ended = m.pending_err ? m.err_cause : m.wr_shut ? m.wr_cause : std::nullopt;
    if (!ended || t_.events[*ended].t_ns < c.t_start_ns) {
      rule = c.facts.dontwait ? RuleId::WriteDontwaitPartial : RuleId::WriteCutShort;
      reason = rule_words(rule, 0, {counts});
      return;
    }
    cause = ended;
    rule = RuleId::WriteCutShort;
    const Event& e = t_.events[*ended];
    const bool rst = e.packet() && (e.packet()->flags & tcpflag::RST);
    reason = rule_words(RuleId::WriteCutShort, 1, {counts, rst ? "RST " : "", ref(*ended)});
    if (m.pending_err)
      append_rule_words(reason, RuleId::WriteCutShort, 2, {tcp_state_label(m.err_state), errno_name(m.pending_err)});
    else
      append_rule_words(reason, RuleId::WriteCutShort, 3);
    short_writes_[i] = rule_words(RuleId::WriteCutShort, 5, {counts});
    if (m.pending_err) left_pending_[c.actor == "client" ? 0 : 1] = {*ended, i};
  }

  void poll_reason(short revents, const EndpointModel& m, std::optional<size_t>& cause, std::string& r,
                   RuleId& rule) {
    auto add = [&](RuleId id) {
      if (r.empty()) rule = id;
      else r += "; ";
      append_rule_words(r, id, 0);
    };
    if (revents & POLLERR) {
      add(RuleId::PollErr);
      cause = m.err_cause;
    }
    if (revents & POLLHUP) {
      add(RuleId::PollHup);
      if (!cause) cause = m.rd_cause;
    }
    if (revents & POLLRDHUP) {
      add(RuleId::PollRdHup);
      if (!cause) cause = m.rd_cause;
    }
    if (r.empty()) add(RuleId::PollQuiet);
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
        if (o.cause == principal || (principal == principal_ && o.cause && same_end(*o.cause)) ||
            (middle_principal && o.cause &&
             std::find(injected_accepted_.begin(), injected_accepted_.end(), *o.cause) != injected_accepted_.end())) {
          chosen = &o;
          break;
        }
    if (!chosen) chosen = &observations_.front();
    // An observation with a local cause - the actor's own shutdown (EPIPE after
    // shutdown(SHUT_WR), EOF after shutdown(SHUT_RD)) or a timeout (ETIMEDOUT, no packet
    // behind it) - counts when it comes first: it felt the end before any observer of the packet.
    // So does, in a story without an accepted RST, the EOF of the other side's FIN: when both
    // sides close, the side whose FIN came second may well read its EOF first.
    for (const auto& o : observations_) {
      if (&o == chosen) break;
      const SyscallEvent& c = *t_.events[o.event].syscall();
      const bool local = o.cause ? t_.events[*o.cause].syscall() != nullptr : c.err && *c.err == ETIMEDOUT;
      const PacketEvent* cause_packet = o.cause ? t_.events[*o.cause].packet() : nullptr;
      const bool other_fin = !principal_ && cause_packet && (cause_packet->flags & tcpflag::FIN);
      if (local || other_fin) {
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
        what += std::string(" of the ") +
                ((p->flags & tcpflag::RST) ? "RST" : (p->flags & tcpflag::FIN) ? "FIN" : "data") + " " +
                ref(*f.cause);
      else
        what += " of " + ref(*f.cause);
    }
    note(f.event, "observer", what + ": the first call whose result it decided", chosen->rule);
  }

  /// Whether event `e` is the principal cause or an RST that carried it on.
  bool same_end(size_t e) const {
    return e == principal_ || std::find(same_end_.begin(), same_end_.end(), e) != same_end_.end();
  }

  struct Observation {
    size_t event;
    std::optional<size_t> cause;
    std::string reason;
    RuleId rule;
  };

  Trace& t_;
  ConnectionModel model_;
  bool kernel_[2];
  bool pipe_[2] = {false, false};  ///< the actor made a pipe: its calls are on it
  std::optional<size_t> pipe_reader_closed_;
  std::optional<size_t> last_peer_action_;
  std::optional<size_t> last_middle_action_;
  std::vector<size_t> injected_accepted_;  // injected RSTs that stored an error
  std::optional<size_t> principal_, fin_principal_;
  std::vector<size_t> same_end_;  ///< accepted RSTs that carried the principal cause on (same_end)
  std::vector<Observation> observations_;
  std::map<size_t, std::string> short_writes_;
  uint64_t wire_end_[2] = {1, 1};  ///< per side: the highest relative seq its captured data reached
  std::optional<uint32_t> isn_[2];  ///< per side: the seq of its SYN, when the trace holds it
  uint64_t written_[2] = {0, 0};   ///< per side: bytes the writes so far returned
  /// (the RST, the short write) when a short write left the RST's error pending.
  std::optional<std::pair<size_t, size_t>> left_pending_[2];  ///< writes an error cut short: "78192 of 100000 bytes (cut short)"
};

}  // namespace

void annotate(Trace& trace) { Annotator(trace).run(); }

}  // namespace rstlab
