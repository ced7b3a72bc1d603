// SPDX-License-Identifier: MIT
#include "rstlab/tcp_model.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "rstlab/rules.h"
#include "rstlab/seq.h"
#include "rstlab/wire.h"
#include "util/concat.h"

namespace rstlab {

namespace {

/// Whether an RST that `m` sends now can only be the abort of data that reached it after
/// its shutdown(SHUT_RD) (not close()) in FIN_WAIT1/2 - see sender_step.
bool rst_is_late_data_abort(const EndpointModel& m) {
  return m.rd_shut && !m.app_closed && !m.reset && !m.fin_received &&
         (m.state == TcpState::FinWait1 || m.state == TcpState::FinWait2);
}

}  // namespace

const char* rst_reaction_name(RstReaction r) {
  switch (r) {
    case RstReaction::Accepted: return "accepted";
    case RstReaction::ChallengeAck: return "challenge-ack";
    case RstReaction::Ignored: return "ignored";
  }
  return "?";
}

void ConnectionModel::set_state(EndpointModel& m, TcpState to, size_t event, RuleId rule) {
  if (m.state == to) return;
  m.history_[m.changes_ % EndpointModel::kHistory] = {m.state, to, rule, event};
  ++m.changes_;
  m.state = to;
}

void ConnectionModel::assume_established() {
  for (auto& e : side_) {
    set_state(e, TcpState::Established, 0, RuleId::AssumedMidStream);
    e.seen = true;
    e.inferred = true;
  }
}

void ConnectionModel::assume_refused_syn(int syn_sender, uint32_t ack) {
  EndpointModel& a = side_[syn_sender];
  set_state(a, TcpState::SynSent, 0, RuleId::AssumedRefusedSyn);
  a.seen = true;
  a.inferred = true;
  a.isn = ack - 1;
  a.snd_nxt = ack;
  EndpointModel& b = side_[1 - syn_sender];
  set_state(b, TcpState::Closed, 0, RuleId::AssumedRefusedSyn);
  b.inferred = true;
}

void ConnectionModel::reset() {
  side_[0] = side_[1] = EndpointModel{};
  challenge_pending_[0] = challenge_pending_[1] = false;
  last_challenge_ns_[0] = last_challenge_ns_[1] = -1;
  last_tw_ack_ns_[0] = last_tw_ack_ns_[1] = -1;
  wscale_on_ = false;
}

RuleId rst_answer_for(const SocketView& k, const SegmentFacts& s) {
  if (s.flags & tcpflag::RST) return RuleId::None;  // an RST is never answered
  if (k.gone) return (s.flags & (tcpflag::SYN | tcpflag::ACK)) == tcpflag::SYN ? RuleId::CauseRefused
                                                                              : RuleId::CauseNoSocket;
  if (k.listening) return s.flags & tcpflag::SYN ? RuleId::None : RuleId::CauseListenerNonSyn;
  // New data for a socket its application closed (tcp_rcv_state_process, FIN_WAIT1/2
  // with the receive side shut): the kernel resets the connection.
  if (k.closed && s.len > 0 && (!k.rcv_known || seq::gt(s.seq + s.len, k.rcv_nxt))) return RuleId::CauseDataAfterClose;
  return RuleId::None;
}

RuleId rst_answer_for(const EndpointModel& m, const SegmentFacts& s, bool closed) {
  // An endpoint nothing was seen of: only a SYN to it tells something (nothing listens
  // answers it); any other segment proves it exists, unseen (a one-way capture).
  if (!m.seen && m.state == TcpState::Closed && (s.flags & (tcpflag::SYN | tcpflag::ACK)) != tcpflag::SYN)
    return RuleId::None;
  SocketView k;
  k.gone = m.reset || m.sent_reset || m.state == TcpState::Closed;
  k.listening = m.state == TcpState::Listen;
  k.closed = closed;
  k.rcv_known = m.rcv_known;
  k.rcv_nxt = m.rcv_nxt;
  return rst_answer_for(k, s);
}

// ---- on_segment, step by step -------------------------------------------------

/// `b` takes the FIN sent as event `event`: its receive side is shut (tcp_fin).
void ConnectionModel::take_fin(EndpointModel& b, size_t event) {
  b.rcv_nxt += 1;
  b.fin_received = true;
  b.fin_event = event;
  if (!b.rd_shut) {
    b.rd_shut = true;
    b.rd_cause = event;
  }
  if (b.state == TcpState::Established || b.state == TcpState::SynRecv)
    set_state(b, TcpState::CloseWait, event, RuleId::FinReceived);
  else if (b.state == TcpState::FinWait1)
    set_state(b, TcpState::Closing, event, RuleId::FinReceived);
  else if (b.state == TcpState::FinWait2)
    set_state(b, TcpState::TimeWait, event, RuleId::FinReceived);
}

/// What the segment tells about its sender `a` (its handshake, sequence space, FIN), and
/// what its ACK does to the receiver `b` (tcp_ack: the handshake and the close move on).
bool ConnectionModel::sender_step(EndpointModel& a, EndpointModel& b, int from, const SegmentFacts& s, size_t event,
                                  SegmentVerdict& v) {
  const bool syn = s.flags & tcpflag::SYN, ack = s.flags & tcpflag::ACK, fin = s.flags & tcpflag::FIN,
             rst = s.flags & tcpflag::RST;
  const uint32_t seg_len = s.len + (syn ? 1 : 0) + (fin ? 1 : 0);
  a.seen = true;
  a.own_segments = true;
  // The challenge ACK: the first pure ACK after an in-window RST it was sent.
  if (challenge_pending_[from] && ack && !syn && !fin && !rst && s.len == 0) {
    v.challenge_ack = true;
    challenge_pending_[from] = false;
  }
  // A SYN with the ISN already seen is a retransmission (it crossed the SYN-ACK, or an
  // answer was lost): it never moves the endpoint back in state or sequence space.
  const bool syn_again = syn && a.syn_sent && s.seq == a.isn;
  if (syn && !syn_again) {
    a.isn = s.seq;
    a.syn_sent = true;
    a.wscale = static_cast<int8_t>(s.wscale > 14 ? 14 : s.wscale);  // RFC 7323: larger counts as 14
    set_state(a, ack ? TcpState::SynRecv : TcpState::SynSent, event,
              ack ? RuleId::StateSynRecv : RuleId::StateSynSent);
    if (ack) wscale_on_ = a.wscale >= 0 && b.wscale >= 0;
  }
  // A segment that is neither SYN nor RST, acknowledging: its sender is past its handshake.
  if (!syn && !rst && ack && (a.state == TcpState::SynSent || a.state == TcpState::SynRecv))
    set_state(a, TcpState::Established, event, RuleId::StateEstablished);
  if (!rst) {
    if (!a.snd_nxt || seq::gt(s.seq + seg_len, a.snd_nxt) || (syn && !syn_again)) a.snd_nxt = s.seq + seg_len;
    a.window = syn ? s.window : uint32_t(s.window) << (wscale_on_ && a.wscale > 0 ? a.wscale : 0);
  }
  if (fin && !rst) {
    if (!a.fin_sent) a.fin_sent_event = event;
    a.fin_sent = true;
    if (a.state == TcpState::Established || a.state == TcpState::SynRecv)
      set_state(a, TcpState::FinWait1, event, RuleId::StateFinSent);
    else if (a.state == TcpState::CloseWait)
      set_state(a, TcpState::LastAck, event, RuleId::StateFinSent);
    if (!a.wr_shut) {
      a.wr_shut = true;
      a.wr_cause = event;
    }
  }
  // An RST from a socket that shut its receive side (shutdown(SHUT_RD), not close()), in
  // FIN_WAIT1/2, with no data captured after its shutdown: data did reach its kernel after
  // the shutdown - segments captured before it on the sender's side of the link were still
  // in flight - and it aborted as above. Its RST is the evidence, and the abort's moment.
  if (rst && rst_is_late_data_abort(a)) abort_on_data(a, event);
  // The sender of an RST has no connection left (it closed, aborted or never had one)
  // - unless it carries on sending, as a blind or crafted RST's sender does.
  a.sent_reset = rst;
  if (!ack || rst) return syn_again;
  // What it acknowledges now is where its receive window starts (rcv_wup).
  a.rcv_wup = s.ack;
  a.wup_known = true;
  // An acknowledging segment proves the other endpoint exists, even when the capture
  // holds none of its segments (one direction only): it answered a's SYN, or sent the
  // SYN a answers, and the ack is its snd_nxt.
  if (!b.seen) {
    b.seen = true;
    b.inferred = true;
    b.snd_nxt = s.ack;
    if (syn) {  // a's SYN-ACK answers b's SYN: b waits in SYN_SENT for it
      set_state(b, TcpState::SynSent, event, RuleId::StateSynSent);
      b.syn_sent = true;
      b.isn = s.ack - 1;
    } else {
      set_state(b, TcpState::Established, event, RuleId::StateEstablished);
    }
  } else if (!b.own_segments && seq::gt(s.ack, b.snd_nxt)) {
    b.snd_nxt = s.ack;  // b sent at least what a acknowledges
  }
  // The ack is a's rcv_nxt. Beyond what the capture delivered to a, a had more of b's
  // bytes: a segment the capture shows with a bad checksum reached TCP after all, or the
  // tap missed it. (Not beyond what b is seen to have sent: that ack would be invalid.)
  if (!a.rcv_known) {
    a.rcv_nxt = s.ack;
    a.rcv_known = true;
  } else if (seq::gt(s.ack, a.rcv_nxt) && (!b.own_segments || !seq::gt(s.ack, b.snd_nxt))) {
    const bool fin_covered = b.fin_sent && s.ack == b.snd_nxt && !a.fin_received;
    a.received += seq::diff(s.ack, a.rcv_nxt) - (fin_covered ? 1 : 0);
    a.rcv_nxt = s.ack - (fin_covered ? 1 : 0);
    if (fin_covered) {
      take_fin(a, b.fin_sent_event);
      v.fin_by_ack = true;
      v.fin_event = b.fin_sent_event;
    }
  }
  // Its ACK moves the receiver's handshake and close along.
  if (b.state == TcpState::SynRecv && s.ack == b.snd_nxt)
    set_state(b, TcpState::Established, event, RuleId::StateEstablished);
  if (b.fin_sent && s.ack == b.snd_nxt) {
    if (b.state == TcpState::FinWait1) set_state(b, TcpState::FinWait2, event, RuleId::StateFinAcked);
    else if (b.state == TcpState::Closing) set_state(b, TcpState::TimeWait, event, RuleId::StateFinAcked);
    else if (b.state == TcpState::LastAck) set_state(b, TcpState::Closed, event, RuleId::StateFinAcked);
  }
  return syn_again;
}

/// tcp_validate_incoming's first test, before TCP: a segment whose checksum is neither
/// correct nor offload-pending never reaches it. False: dropped.
bool ConnectionModel::validate_incoming(const SegmentFacts& s, SegmentVerdict& v) const {
  if (s.checksum_ok) return true;
  v.dropped_bad_checksum = true;
  v.rst = s.flags & tcpflag::RST;
  v.rule = RuleId::BadChecksum;
  if (with_reasons) append_rule_words(v.why, RuleId::BadChecksum, 0);
  return false;
}

RuleId ConnectionModel::reset_check(const EndpointModel& b, const SegmentFacts& s) const {
  if (b.state == TcpState::SynSent) {
    // tcp_rcv_synsent_state_process: only an RST|ACK that acknowledges the SYN counts.
    if (!(s.flags & tcpflag::ACK)) return RuleId::RstIgnoredSynSentNoAck;
    return s.ack == b.snd_nxt ? RuleId::RstAcceptedSynSent : RuleId::RstIgnoredSynSentBadAck;
  }
  // (A receiver whose application closed and whose own last segment was an RST - an
  // abortive close - has no connection left. Only calls tell that: in a capture, an RST
  // "from" it may be a middlebox's, sent in its name.)
  if (!b.seen || b.state == TcpState::Closed || b.state == TcpState::Listen || (b.sent_reset && b.app_closed))
    return RuleId::RstIgnoredNoConnection;
  if (b.app_closed && b.state == TcpState::FinWait2 && b.rcv_known) {
    // A closed socket whose FIN is acknowledged lives on as a timewait socket in its
    // FIN_WAIT2 substate (tcp_time_wait): tcp_timewait_state_process kills it for an RST
    // anywhere in its window, with no challenge, and answers one outside with an ACK.
    const uint32_t wnd = b.window ? b.window : 65535;
    return s.seq == b.rcv_nxt || seq::in_window(s.seq, b.rcv_nxt, wnd) ? RuleId::RstAcceptedTimewaitFinWait2
                                                                        : RuleId::RstTimewaitAck;
  }
  // tcp_timewait_state_process: only an RST at rcv_nxt ends TIME_WAIT; any other is dropped.
  if (b.state == TcpState::TimeWait && b.rcv_known && s.seq != b.rcv_nxt) return RuleId::RstIgnoredTimeWait;
  // tcp_reset_check: seq == rcv_nxt, or rcv_nxt - 1 after a FIN was received in
  // CLOSE_WAIT, LAST_ACK or CLOSING (the FIN took that sequence number) - not in
  // TIME_WAIT, whose segments tcp_timewait_state_process judges by rcv_nxt alone.
  const bool after_fin = b.fin_received && s.seq + 1 == b.rcv_nxt &&
                         (b.state == TcpState::CloseWait || b.state == TcpState::LastAck ||
                          b.state == TcpState::Closing);
  if (!b.rcv_known || s.seq == b.rcv_nxt || after_fin) {
    // tcp_reset: the errno depends on the state the RST finds.
    if (b.state == TcpState::CloseWait) return RuleId::RstAcceptedCloseWait;
    if (b.state == TcpState::TimeWait) return RuleId::RstAcceptedTimeWait;
    return RuleId::RstAcceptedEstablished;
  }
  const uint32_t wnd = b.window ? b.window : 65535;
  // Linux's window (tcp_sequence) starts at rcv_wup, the ack it last sent, not at
  // rcv_nxt: with bytes received and not yet acknowledged (a delayed ACK pending), an
  // RST a little below rcv_nxt is in the window and gets a challenge ACK.
  const uint32_t left = b.wup_known && seq::lt(b.rcv_wup, b.rcv_nxt) ? b.rcv_wup : b.rcv_nxt;
  return seq::in_window(s.seq, left, wnd) ? RuleId::RstChallengeAck : RuleId::RstOutsideWindow;
}

void ConnectionModel::tcp_reset(EndpointModel& b, size_t event, SegmentVerdict& v) {
  b.reset = true;
  if (v.err) {
    b.pending_err = v.err;
    b.err_cause = event;
    b.err_state = v.state_before;
    b.err_rule = v.rule;
  }
  if (!b.rd_shut) b.rd_cause = event;
  if (!b.wr_shut) b.wr_cause = event;
  b.rd_shut = b.wr_shut = true;
  set_state(b, TcpState::Closed, event, v.rule);
}

void ConnectionModel::reset_step(EndpointModel& b, int to, const SegmentFacts& s, size_t event, SegmentVerdict& v) {
  v.rst = true;
  v.state_before = b.state;
  v.rule = reset_check(b, s);
  int64_t since_ms = -1;  // the rate limit: how long ago the last challenge ACK went
  unsigned words = 0;     // which phrasing of the rule
  switch (v.rule) {
    case RuleId::RstAcceptedSynSent:
      v.reaction = RstReaction::Accepted;
      v.err = ECONNREFUSED;
      break;
    case RuleId::RstAcceptedEstablished:
      v.reaction = RstReaction::Accepted;
      v.err = ECONNRESET;
      break;
    case RuleId::RstAcceptedCloseWait:
      v.reaction = RstReaction::Accepted;
      v.err = EPIPE;
      break;
    case RuleId::RstAcceptedTimeWait:
      v.reaction = RstReaction::Accepted;
      break;
    case RuleId::RstAcceptedTimewaitFinWait2:
      v.reaction = RstReaction::Accepted;
      break;
    case RuleId::RstChallengeAck: {
      // Linux rate-limits challenge ACKs per socket: one per net.ipv4.tcp_invalid_ratelimit
      // (tcp_send_challenge_ack -> __tcp_oow_rate_limited); an RST inside the interval
      // since the last one changes nothing and gets no answer.
      int64_t& last = last_challenge_ns_[to];
      since_ms = now_ns_ >= 0 && last >= 0 ? (now_ns_ - last) / 1'000'000 : -1;
      if (now_ns_ >= 0 && last >= 0 && now_ns_ - last < int64_t(invalid_ratelimit_ms) * 1'000'000) {
        v.rule = RuleId::RstChallengeAckRateLimited;
        v.reaction = RstReaction::Ignored;
        v.rate_limited = true;
        break;
      }
      v.reaction = RstReaction::ChallengeAck;
      challenge_pending_[to] = true;
      if (now_ns_ >= 0) last = now_ns_;
      break;
    }
    case RuleId::RstTimewaitAck: {
      // That ACK is rate-limited like a challenge ACK, on the timewait socket's own clock
      // (tcp_time_wait sets tw_last_oow_ack_time to 0).
      int64_t& last = last_tw_ack_ns_[to];
      v.outside_window = true;
      if (now_ns_ >= 0 && last >= 0 && now_ns_ - last < int64_t(invalid_ratelimit_ms) * 1'000'000) {
        v.reaction = RstReaction::Ignored;
        v.rate_limited = true;
        words = 1;
        break;
      }
      v.reaction = RstReaction::ChallengeAck;
      challenge_pending_[to] = true;
      if (now_ns_ >= 0) last = now_ns_;
      break;
    }
    case RuleId::RstOutsideWindow:
      v.reaction = RstReaction::Ignored;
      v.outside_window = true;
      break;
    default:
      v.reaction = RstReaction::Ignored;
      break;
  }
  if (with_reasons) {
    switch (v.rule) {
      case RuleId::RstAcceptedEstablished:
      case RuleId::RstAcceptedCloseWait:
      case RuleId::RstAcceptedTimeWait:
        append_rule_words(v.why, v.rule, 0,
                          {b.rcv_known && s.seq != b.rcv_nxt ? "= rcv_nxt-1 after a FIN" : "= rcv_nxt",
                           tcp_state_label(b.state)});
        break;
      case RuleId::RstChallengeAck:
      case RuleId::RstOutsideWindow:
        append_rule_words(v.why, v.rule, 0, {std::to_string(seq::diff(s.seq, b.rcv_nxt))});
        break;
      case RuleId::RstChallengeAckRateLimited:
        append_rule_words(v.why, v.rule, 0,
                          {std::to_string(seq::diff(s.seq, b.rcv_nxt)), std::to_string(since_ms),
                           std::to_string(invalid_ratelimit_ms)});
        break;
      default: append_rule_words(v.why, v.rule, words); break;
    }
  }
  if (v.reaction == RstReaction::Accepted) tcp_reset(b, event, v);
}

void ConnectionModel::abort_on_data(EndpointModel& m, size_t event) {
  m.err_state = m.state;
  m.err_rule = RuleId::AbortDataAfterShutRd;
  m.reset = true;
  m.aborted_on_data = true;
  if (!m.app_closed) {
    m.pending_err = ECONNRESET;
    m.err_cause = event;
  }
  if (!m.wr_shut) m.wr_cause = event;
  m.wr_shut = true;
  set_state(m, TcpState::Closed, event, RuleId::AbortDataAfterShutRd);
}

/// Data and FIN in order (tcp_data_queue, tcp_fin): a retransmission, a keep-alive or
/// zero-window probe at rcv_nxt-1, or a hole changes nothing.
void ConnectionModel::data_and_fin_step(EndpointModel& b, const SegmentFacts& s, size_t event, SegmentVerdict& v) {
  const bool fin = s.flags & tcpflag::FIN;
  if (!b.rcv_known) {
    b.rcv_nxt = s.seq;
    b.rcv_known = true;
  }
  if (s.seq != b.rcv_nxt || (s.len == 0 && !fin)) return;
  if (s.len > 0 && (b.rd_shut || b.app_closed) && !b.fin_received &&
      (b.state == TcpState::FinWait1 || b.state == TcpState::FinWait2)) {
    // New data for a socket whose receive side is shut (shutdown(SHUT_RD), or close()),
    // in FIN_WAIT1/2: Linux aborts the connection (tcp_rcv_state_process, RFC 1122) -
    // sk_err = ECONNRESET - and its kernel answers with RST.
    abort_on_data(b, event);
    v.rule = RuleId::AbortDataAfterShutRd;
    return;
  }
  if (s.len > 0) {
    b.rcv_nxt += s.len;
    b.received += s.len;
    if (!b.app_closed && track_receive_queue) b.rx_queue += s.len;
  }
  if (fin) {
    v.fin = true;
    v.rule = RuleId::FinReceived;
    take_fin(b, event);
  }
}

SegmentVerdict ConnectionModel::on_segment(int from, const SegmentFacts& s, size_t event, int64_t t_ns) {
  now_ns_ = t_ns;
  // An injected segment changes nothing of its nominal sender, who never sent it (its ACK
  // field still moves the receiver along, as the receiver's kernel processes it).
  std::optional<EndpointModel> scratch;
  if (s.injected) scratch = side_[from];
  EndpointModel& a = scratch ? *scratch : side_[from];
  EndpointModel& b = side_[1 - from];
  SegmentVerdict v;
  // Would the receiver's kernel answer this segment with RST, in the state it finds it?
  const RuleId answer = rst_answer_for(b, s, calls_observed ? b.app_closed : b.fin_sent);
  const bool syn_again = sender_step(a, b, from, s, event, v);

  // ---- the receiver --------------------------------------------------------
  if (!validate_incoming(s, v)) return v;
  if (!(s.flags & tcpflag::RST)) {
    // Kept for classify_rst_cause: a socket gone or closed stays so, a listener or an
    // empty port only until the next segment.
    constexpr uint8_t kSticky =
        EndpointModel::answer_bit(RuleId::CauseNoSocket) | EndpointModel::answer_bit(RuleId::CauseDataAfterClose);
    b.rst_answers = static_cast<uint8_t>((b.rst_answers & kSticky) | EndpointModel::answer_bit(answer));
  }
  if (s.flags & tcpflag::SYN) {
    if (!syn_again || !b.rcv_known) {
      b.rcv_nxt = s.seq + 1;
      b.rcv_known = true;
    }
    if ((s.flags & tcpflag::ACK) && b.state == TcpState::SynSent && s.ack == b.snd_nxt)
      set_state(b, TcpState::Established, event, RuleId::StateEstablished);
    return v;
  }
  if (s.flags & tcpflag::RST) {
    reset_step(b, 1 - from, s, event, v);
    return v;
  }
  // A reset socket is gone: its kernel answers data with RST and queues nothing.
  if (b.reset) return v;
  data_and_fin_step(b, s, event, v);
  return v;
}

void ConnectionModel::timed_out(EndpointModel& m, size_t event) {
  m.reset = true;      // the socket is gone as after a reset...
  m.timed_out = true;  // ...but no RST ended it: the words must not speak of one
  set_state(m, TcpState::Closed, event, RuleId::UserTimeout);
  if (!m.wr_shut) m.wr_cause = event;
  if (!m.rd_shut) m.rd_cause = event;
  m.rd_shut = m.wr_shut = true;
}

void ConnectionModel::on_call(int s, const CallFacts& f, const CallOutcome& r, size_t event) {
  if (f.on_pipe) return;  // pipes are not TCP: the annotator explains them
  EndpointModel& m = side_[s];
  switch (f.op) {
    case CallOp::Listen: set_state(m, TcpState::Listen, event, RuleId::Listen); break;
    case CallOp::Connect:
      if (r.err == ECONNREFUSED) consume(s);  // connect reported the stored error
      break;
    case CallOp::Read:
      if (r.err == ETIMEDOUT) {
        timed_out(m, event);
      } else if (r.err != EAGAIN) {
        if (r.ret && *r.ret > 0) m.rx_queue -= std::min<uint64_t>(m.rx_queue, static_cast<uint64_t>(*r.ret));
        if (r.err && r.err == m.pending_err) consume(s);
      }
      break;
    case CallOp::Write:
      if (r.err == ETIMEDOUT) timed_out(m, event);
      else if (r.err && r.err == m.pending_err) consume(s);
      if (r.killed) {
        // The dead process's descriptors are closed by the kernel: as close() (a closed
        // socket in FIN_WAIT2 becomes a timewait socket, unread data makes it abort).
        m.app_closed = true;
        m.unread_at_close = m.rx_queue;
      }
      break;
    case CallOp::GetSockOpt:
      if (f.option == SockOpt::Error) consume(s);
      break;
    case CallOp::Shutdown:
      if (f.shut_how == SHUT_WR || f.shut_how == SHUT_RDWR) {
        if (!m.wr_shut) m.wr_cause = event;
        m.wr_shut = true;
        // tcp_shutdown -> tcp_close_state: the state moves at the call, before the FIN is
        // on the wire (TCP_INFO read right after the call already says FIN_WAIT1).
        if (r.ret && *r.ret == 0) {
          if (m.state == TcpState::Established) set_state(m, TcpState::FinWait1, event, RuleId::ShutdownWrite);
          else if (m.state == TcpState::CloseWait) set_state(m, TcpState::LastAck, event, RuleId::ShutdownWrite);
        }
      }
      if (f.shut_how == SHUT_RD || f.shut_how == SHUT_RDWR) {
        if (!m.rd_shut) {
          m.rd_cause = event;
          m.rd_shut_by_call = true;
        }
        m.rd_shut = true;
      }
      break;
    case CallOp::Close:
      m.app_closed = true;
      m.close_event = event;
      m.unread_at_close = m.rx_queue;
      break;
    case CallOp::SetSockOpt:
      if (f.option == SockOpt::Linger) m.linger_zero = f.linger_on && f.linger_seconds == 0;
      break;
    default: break;
  }
}

RuleId ConnectionModel::classify_rst_cause(int from, const RstEvidence& e) const {
  const EndpointModel& a = side_[from];
  const EndpointModel& b = side_[1 - from];
  if (e.calls_known) {
    // (A closed socket answering data is cause.data-after-close: the same abort, its own words.)
    if ((a.aborted_on_data || rst_is_late_data_abort(a)) && !a.app_closed) return RuleId::AbortDataAfterShutRd;
    if (a.app_closed && a.linger_zero) return RuleId::CauseLingerZero;
    if (a.app_closed && a.unread_at_close > 0) return RuleId::CauseCloseUnreadData;
    if (a.app_closed && a.answers(RuleId::CauseDataAfterClose)) return RuleId::CauseDataAfterClose;
    if (a.answers(RuleId::CauseRefused) || !a.seen) return RuleId::CauseRefused;
    if (a.answers(RuleId::CauseListenerNonSyn)) return RuleId::CauseListenerNonSyn;
    if (a.reset && a.err_cause) return RuleId::CauseNoSocket;
    return RuleId::CauseAbort;
  }
  if (b.state == TcpState::SynSent && e.ack) return RuleId::CauseRefused;
  if (a.answers(RuleId::CauseDataAfterClose)) return RuleId::CauseDataAfterClose;
  if (e.retrans_from >= 3 || e.retrans_other >= 3) return RuleId::CauseRetransmissionStorm;
  if (!a.fin_sent && e.ack &&
      (e.last_data_from == 1 - from ||
       // none of the other side's segments are in the capture, but the RST's sender
       // acknowledged bytes from it and sent none since
       (!b.own_segments && a.received > 0 && e.last_data_from != from)))
    return RuleId::CauseCloseUnreadData;
  return RuleId::CauseAbort;
}

void ConnectionModel::stored(const EndpointModel& m, std::string& out) const {
  if (m.err_rule == RuleId::AbortDataAfterShutRd) {
    append_rule_words(out, RuleId::AbortDataAfterShutRd, 0,
                      {event_name(*m.err_cause), tcp_state_label(m.err_state), errno_name(m.pending_err)});
    return;
  }
  // Why that state matters: the accepting rule's fragment (" (the FIN came first)").
  const char* why = rule_template(m.err_rule, 3);
  append_rule_words(out, RuleId::ErrorReportedOnce, 0,
                    {event_name(*m.err_cause), tcp_state_label(m.err_state), why ? why : "",
                     errno_name(m.pending_err)});
}

Prediction ConnectionModel::reports_pending_error(const EndpointModel& m, std::string_view call, unsigned then,
                                                  std::string* reason) const {
  Prediction p;
  p.result = errno_name(m.pending_err);
  p.rule = RuleId::ErrorReportedOnce;
  p.cause = m.err_cause;
  if (reason) {
    stored(m, *reason);
    append_rule_words(*reason, RuleId::ErrorReportedOnce, 1, {call, p.result});
    append_rule_words(*reason, RuleId::ErrorReportedOnce, then);
  }
  return p;
}

namespace {

/// The decisions behind predict_read and predict_write, shared with next_calls (which
/// gives the same results without words).
enum class ReadCase { SenderOfReset, Queued, AfterFin, PendingError, Shut, Waits };
enum class WriteCase { SenderOfReset, PendingError, Shut, AfterFin, Open };

/// The side that sent an RST has no connection left - unless it had closed gracefully
/// first (state CLOSE after LAST_ACK) and answered a late segment: its calls then see
/// the ended connection, not an abort.
bool no_connection_left(const EndpointModel& m) {
  const bool closed_gracefully = m.state == TcpState::Closed && m.fin_received && m.fin_sent;
  return m.sent_reset && !m.reset && !closed_gracefully;
}

ReadCase read_case(const EndpointModel& m) {
  if (no_connection_left(m)) return ReadCase::SenderOfReset;
  if (m.rx_queue > 0) return ReadCase::Queued;
  if (m.fin_received) return ReadCase::AfterFin;
  if (m.pending_err) return ReadCase::PendingError;
  if (m.rd_shut) return ReadCase::Shut;
  return ReadCase::Waits;
}

WriteCase write_case(const EndpointModel& m) {
  if (no_connection_left(m)) return WriteCase::SenderOfReset;
  if (m.pending_err) return WriteCase::PendingError;
  if (m.wr_shut) return WriteCase::Shut;
  if (m.state == TcpState::CloseWait) return WriteCase::AfterFin;
  return WriteCase::Open;
}

/// A prediction decided by `rule`, its words (variant 0, `args`) appended to `reason`
/// when wanted (non-null).
Prediction decided(const char* result, RuleId rule, std::optional<size_t> cause, std::string* reason,
                   std::initializer_list<std::string_view> args = {}) {
  Prediction p;
  p.result = result;
  p.rule = rule;
  p.cause = cause;
  if (reason) append_rule_words(*reason, rule, 0, args);
  return p;
}

}  // namespace

Prediction ConnectionModel::read_prediction(int s, std::string* reason) const {
  const EndpointModel& m = side_[s];
  switch (read_case(m)) {
    case ReadCase::SenderOfReset:
      return decided("closed", RuleId::SentReset, std::nullopt, reason);
    case ReadCase::Queued: {
      Prediction p = decided("data", RuleId::ReadQueuedData, std::nullopt, nullptr);
      if (reason) {
        append_rule_words(*reason, RuleId::ReadQueuedData, 0,
                          {detail::concat(std::to_string(m.rx_queue), m.rx_queue == 1 ? " byte" : " bytes")});
        if (m.reset) append_rule_words(*reason, RuleId::ReadQueuedData, 1);
      }
      return p;
    }
    case ReadCase::AfterFin: {
      // The actor's own shutdown(SHUT_RD) came before the FIN: the read would have
      // returned 0 without it (tcp_recvmsg stops at RCV_SHUTDOWN), so the call decided it.
      if (m.rd_shut_by_call) {
        Prediction p = decided("EOF", RuleId::ReadEofShut, m.rd_cause, reason);
        if (reason && m.pending_err)
          append_rule_words(*reason, RuleId::ReadFinHidesError, 0, {errno_name(m.pending_err)});
        return p;
      }
      Prediction p = decided("EOF", RuleId::ReadEofAfterFin, m.fin_event, nullptr);
      if (!reason) return p;
      append_rule_words(*reason, RuleId::ReadEofAfterFin, 0, {event_name(*m.fin_event)});
      if (m.pending_err) append_rule_words(*reason, RuleId::ReadFinHidesError, 0, {errno_name(m.pending_err)});
      return p;
    }
    case ReadCase::PendingError:
      return reports_pending_error(m, "read", 2, reason);
    case ReadCase::Shut:
      if (m.timed_out) return decided("EOF", RuleId::ReadEofAfterTimeout, m.rd_cause, reason);
      return m.reset ? decided("EOF", RuleId::ReadEofAfterReset, m.rd_cause, reason)
                     : decided("EOF", RuleId::ReadEofShut, m.rd_cause, reason);
    case ReadCase::Waits:
      break;
  }
  return decided("block", RuleId::ReadBlocks, std::nullopt, reason);
}

Prediction ConnectionModel::write_prediction(int s, std::string* reason) const {
  const EndpointModel& m = side_[s];
  switch (write_case(m)) {
    case WriteCase::SenderOfReset:
      return decided("closed", RuleId::SentReset, std::nullopt, reason);
    case WriteCase::PendingError: {
      // " and raises SIGPIPE" or " (no SIGPIPE: only EPIPE raises it)"
      Prediction p = reports_pending_error(m, "write", m.pending_err == EPIPE ? 3 : 4, reason);
      if (m.pending_err == EPIPE) p.result += " +SIGPIPE";
      return p;
    }
    case WriteCase::Shut:
      if (m.timed_out) return decided("EPIPE +SIGPIPE", RuleId::WriteEpipeAfterTimeout, m.wr_cause, reason);
      return m.reset ? decided("EPIPE +SIGPIPE", RuleId::WriteEpipeAfterReset, m.wr_cause, reason)
                     : decided("EPIPE +SIGPIPE", RuleId::WriteEpipeShut, m.wr_cause, reason);
    case WriteCase::AfterFin:
      return decided("ok", RuleId::WriteAfterFin, m.fin_event, reason);
    case WriteCase::Open:
      break;
  }
  return decided("ok", RuleId::WriteOpen, std::nullopt, reason);
}

ConnectionModel::NextCalls ConnectionModel::next_calls(int s) const {
  const EndpointModel& m = side_[s];
  NextCalls n;
  n.so_error = m.pending_err;
  const char* err = known_errno_name(m.pending_err);
  if (!err) err = "error";  // not one the model stores
  switch (read_case(m)) {
    case ReadCase::SenderOfReset: n.read = "closed"; break;
    case ReadCase::Queued: n.read = "data"; break;
    case ReadCase::AfterFin:
    case ReadCase::Shut: n.read = "EOF"; break;
    case ReadCase::PendingError: n.read = err; break;
    case ReadCase::Waits: n.read = "block"; break;
  }
  switch (write_case(m)) {
    case WriteCase::SenderOfReset: n.write = "closed"; break;
    case WriteCase::PendingError:
      n.write = err;
      n.sigpipe = m.pending_err == EPIPE;
      break;
    case WriteCase::Shut:
      n.write = "EPIPE";
      n.sigpipe = true;
      break;
    case WriteCase::AfterFin:
    case WriteCase::Open: n.write = "ok"; break;
  }
  return n;
}

Prediction ConnectionModel::so_error_prediction(int s, std::string* reason) const {
  const EndpointModel& m = side_[s];
  if (m.pending_err) {
    Prediction p;
    p.result = errno_name(m.pending_err);
    p.rule = RuleId::ErrorReportedOnce;
    p.cause = m.err_cause;
    if (reason) {
      stored(m, *reason);
      append_rule_words(*reason, RuleId::ErrorReportedOnce, 5);
    }
    return p;
  }
  if (m.timed_out) return decided("0", RuleId::SoErrorAfterTimeout, std::nullopt, reason);
  return m.reset ? decided("0", RuleId::SoErrorAfterReset, std::nullopt, reason)
                 : decided("0", RuleId::SoErrorNone, std::nullopt, reason);
}

Prediction ConnectionModel::predict_read(int s, bool with_reason) const {
  std::string reason;
  Prediction p = read_prediction(s, with_reason ? &reason : nullptr);
  p.reason = std::move(reason);
  return p;
}

Prediction ConnectionModel::predict_write(int s, bool with_reason) const {
  std::string reason;
  Prediction p = write_prediction(s, with_reason ? &reason : nullptr);
  p.reason = std::move(reason);
  return p;
}

Prediction ConnectionModel::predict_so_error(int s, bool with_reason) const {
  std::string reason;
  Prediction p = so_error_prediction(s, with_reason ? &reason : nullptr);
  p.reason = std::move(reason);
  return p;
}

Prediction ConnectionModel::predict_read(int s, std::string& reason) const { return read_prediction(s, &reason); }
Prediction ConnectionModel::predict_write(int s, std::string& reason) const { return write_prediction(s, &reason); }
Prediction ConnectionModel::predict_so_error(int s, std::string& reason) const {
  return so_error_prediction(s, &reason);
}

}  // namespace rstlab
