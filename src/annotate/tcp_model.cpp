// SPDX-License-Identifier: MIT
#include "rstlab/tcp_model.h"

#include <cerrno>

#include "rstlab/seq.h"
#include "util/concat.h"
#include "rstlab/trace.h"
#include "rstlab/wire.h"

namespace rstlab {
const char* rst_reaction_name(RstReaction r) {
  switch (r) {
    case RstReaction::Accepted: return "accepted";
    case RstReaction::ChallengeAck: return "challenge-ack";
    case RstReaction::Ignored: return "ignored";
  }
  return "?";
}

void ConnectionModel::assume_established() {
  for (auto& e : side) {
    e.state = TcpState::Established;
    e.seen = true;
    e.inferred = true;
  }
}

void ConnectionModel::assume_refused_syn(int syn_sender, uint32_t ack) {
  EndpointModel& a = side[syn_sender];
  a.state = TcpState::SynSent;
  a.seen = true;
  a.inferred = true;
  a.isn = ack - 1;
  a.snd_nxt = ack;
  EndpointModel& b = side[1 - syn_sender];
  b.state = TcpState::Closed;
  b.inferred = true;
}

void ConnectionModel::reset() {
  side[0] = side[1] = EndpointModel{};
  challenge_pending_[0] = challenge_pending_[1] = false;
  last_challenge_ns_[0] = last_challenge_ns_[1] = -1;
  last_tw_ack_ns_[0] = last_tw_ack_ns_[1] = -1;
  wscale_on_ = false;
}

namespace {

/// `b` takes the FIN sent as event `event`: its receive side is shut.
void take_fin(EndpointModel& b, size_t event) {
  b.rcv_nxt += 1;
  b.fin_received = true;
  b.fin_event = event;
  if (!b.rd_shut) {
    b.rd_shut = true;
    b.rd_cause = event;
  }
  if (b.state == TcpState::Established || b.state == TcpState::SynRecv) b.state = TcpState::CloseWait;
  else if (b.state == TcpState::FinWait1) b.state = TcpState::Closing;
  else if (b.state == TcpState::FinWait2) b.state = TcpState::TimeWait;
}

}  // namespace

SegmentVerdict ConnectionModel::on_segment(int from, const SegmentFacts& s, size_t event, int64_t t_ns) {
  // An injected segment changes nothing of its nominal sender, who never sent it (its ACK
  // field still moves the receiver along, as the receiver's kernel processes it).
  std::optional<EndpointModel> scratch;
  if (s.injected) scratch = side[from];
  EndpointModel& a = scratch ? *scratch : side[from];
  EndpointModel& b = side[1 - from];
  SegmentVerdict v;
  const bool syn = s.flags & tcpflag::SYN, ack = s.flags & tcpflag::ACK, fin = s.flags & tcpflag::FIN,
             rst = s.flags & tcpflag::RST;
  const uint32_t seg_len = s.len + (syn ? 1 : 0) + (fin ? 1 : 0);

  // ---- the sender ----------------------------------------------------------
  a.seen = true;
  a.own_segments = true;
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
    a.state = ack ? TcpState::SynRecv : TcpState::SynSent;
    if (ack) wscale_on_ = a.wscale >= 0 && b.wscale >= 0;
  }
  // A segment that is neither SYN nor RST, acknowledging: its sender is past its handshake.
  if (!syn && !rst && ack && (a.state == TcpState::SynSent || a.state == TcpState::SynRecv))
    a.state = TcpState::Established;
  if (!rst) {
    if (!a.snd_nxt || seq::gt(s.seq + seg_len, a.snd_nxt) || (syn && !syn_again)) a.snd_nxt = s.seq + seg_len;
    a.window = syn ? s.window : uint32_t(s.window) << (wscale_on_ && a.wscale > 0 ? a.wscale : 0);
  }
  if (fin && !rst) {
    if (!a.fin_sent) a.fin_sent_event = event;
    a.fin_sent = true;
    if (a.state == TcpState::Established || a.state == TcpState::SynRecv) a.state = TcpState::FinWait1;
    else if (a.state == TcpState::CloseWait) a.state = TcpState::LastAck;
    if (!a.wr_shut) {
      a.wr_shut = true;
      a.wr_cause = event;
    }
  }
  // The sender of an RST has no connection left (it closed, aborted or never had one)
  // - unless it carries on sending, as a blind or crafted RST's sender does.
  a.sent_reset = rst;
  if (ack && !rst) {  // what it acknowledges now is where its receive window starts
    a.rcv_wup = s.ack;
    a.wup_known = true;
  }
  if (ack && !rst) {
    // An acknowledging segment proves the other endpoint exists, even when the capture
    // holds none of its segments (one direction only): it answered a's SYN, or sent the
    // SYN a answers, and the ack is its snd_nxt.
    if (!b.seen) {
      b.seen = true;
      b.inferred = true;
      b.snd_nxt = s.ack;
      if (syn) {  // a's SYN-ACK answers b's SYN: b waits in SYN_SENT for it
        b.state = TcpState::SynSent;
        b.syn_sent = true;
        b.isn = s.ack - 1;
      } else {
        b.state = TcpState::Established;
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
    if (b.state == TcpState::SynRecv && s.ack == b.snd_nxt) b.state = TcpState::Established;
    if (b.fin_sent && s.ack == b.snd_nxt) {
      if (b.state == TcpState::FinWait1) b.state = TcpState::FinWait2;
      else if (b.state == TcpState::Closing) b.state = TcpState::TimeWait;
      else if (b.state == TcpState::LastAck) b.state = TcpState::Closed;
    }
  }

  // ---- the receiver --------------------------------------------------------
  if (!s.checksum_ok) {
    v.dropped_bad_checksum = true;
    v.rst = rst;
    if (with_reasons)
      v.why = "bad TCP checksum (neither correct nor the sending host's offload-pending sum): dropped before TCP "
              "looks at it";
    return v;
  }
  if (syn) {
    if (!syn_again || !b.rcv_known) {
      b.rcv_nxt = s.seq + 1;
      b.rcv_known = true;
    }
    if (ack && b.state == TcpState::SynSent && s.ack == b.snd_nxt) b.state = TcpState::Established;
    return v;
  }
  if (rst) {
    v.rst = true;
    v.state_before = b.state;
    if (b.state == TcpState::SynSent) {
      if (ack && s.ack == b.snd_nxt) {
        v.reaction = RstReaction::Accepted;
        v.err = ECONNREFUSED;
        if (with_reasons) v.why = "RST|ACK acknowledges the SYN: accepted in SYN_SENT, the connection is refused";
      } else {
        v.reaction = RstReaction::Ignored;
        if (with_reasons)
          v.why = ack ? "RST in SYN_SENT whose ack is not the SYN's: ignored"
                      : "RST without ACK in SYN_SENT: ignored (it must acknowledge the SYN)";
      }
    } else if (!b.seen || b.state == TcpState::Closed || b.state == TcpState::Listen ||
               (b.sent_reset && b.app_closed)) {
      // (A receiver whose application closed and whose own last segment was an RST - an
      // abortive close - has no connection left. Only calls tell that: in a capture, an RST
      // "from" it may be a middlebox's, sent in its name.)
      v.reaction = RstReaction::Ignored;
      if (with_reasons) v.why = "no connection there to reset";
      return v;
    } else if (b.app_closed && b.state == TcpState::FinWait2 && b.rcv_known) {
      // A closed socket whose FIN is acknowledged lives on as a timewait socket in its
      // FIN_WAIT2 substate (tcp_time_wait): tcp_timewait_state_process kills it for an RST
      // anywhere in its window, with no challenge, and answers one outside with an ACK.
      const uint32_t wnd = b.window ? b.window : 65535;
      if (s.seq == b.rcv_nxt || seq::in_window(s.seq, b.rcv_nxt, wnd)) {
        v.reaction = RstReaction::Accepted;
        if (with_reasons)
          v.why = "the closed socket lives on in FIN_WAIT2 as a timewait socket: an RST in its window ends it "
                  "(no challenge ACK, no application left to tell)";
      } else {
        // That ACK is rate-limited like a challenge ACK, on the timewait socket's own clock.
        int64_t& last = last_tw_ack_ns_[1 - from];
        const int64_t since = t_ns >= 0 && last >= 0 ? t_ns - last : -1;
        v.outside_window = true;
        if (since >= 0 && since < int64_t(invalid_ratelimit_ms) * 1'000'000) {
          v.reaction = RstReaction::Ignored;
          v.rate_limited = true;
          if (with_reasons)
            v.why = "the closed socket lives on in FIN_WAIT2 as a timewait socket: an RST outside its window "
                    "would be answered with an ACK, but the rate limit (net.ipv4.tcp_invalid_ratelimit) holds "
                    "it back: no answer";
        } else {
          v.reaction = RstReaction::ChallengeAck;
          challenge_pending_[1 - from] = true;
          if (t_ns >= 0) last = t_ns;
          if (with_reasons)
            v.why = "the closed socket lives on in FIN_WAIT2 as a timewait socket: an RST outside its window is "
                    "answered with an ACK (a challenge ACK answers it), and the socket stays";
        }
      }
    } else if (b.state == TcpState::TimeWait && b.rcv_known && s.seq != b.rcv_nxt) {
      // tcp_timewait_state_process: only an RST at rcv_nxt ends TIME_WAIT; any other is dropped.
      v.reaction = RstReaction::Ignored;
      if (with_reasons) v.why = "TIME_WAIT: only an RST at rcv_nxt ends it; this one is dropped silently";
      return v;
    } else if (!b.rcv_known || s.seq == b.rcv_nxt ||
               (s.seq + 1 == b.rcv_nxt && b.fin_received)) {
      v.reaction = RstReaction::Accepted;
      v.err = b.state == TcpState::CloseWait ? EPIPE
              : b.state == TcpState::TimeWait ? 0
                                               : ECONNRESET;
      if (with_reasons)
        detail::append_all(v.why, "seq ", b.rcv_known && s.seq != b.rcv_nxt ? "= rcv_nxt-1 after a FIN" : "= rcv_nxt",
                           ": accepted in ", tcp_state_label(b.state),
                           v.err == EPIPE        ? " (the FIN came first) -> sk_err = EPIPE"
                           : v.err == ECONNRESET ? " -> sk_err = ECONNRESET"
                                                 : ": the TIME_WAIT remnant is dropped, no error");
    } else {
      const uint32_t wnd = b.window ? b.window : 65535;
      // Linux's window (tcp_sequence) starts at rcv_wup, the ack it last sent, not at
      // rcv_nxt: with bytes received and not yet acknowledged (a delayed ACK pending), an
      // RST a little below rcv_nxt is in the window and gets a challenge ACK.
      const uint32_t left = b.wup_known && seq::lt(b.rcv_wup, b.rcv_nxt) ? b.rcv_wup : b.rcv_nxt;
      const bool in_window = seq::in_window(s.seq, left, wnd);
      // Linux rate-limits challenge ACKs per socket: one per net.ipv4.tcp_invalid_ratelimit
      // (tcp_send_challenge_ack -> __tcp_oow_rate_limited); an RST inside the interval
      // since the last one changes nothing and gets no answer.
      int64_t& last = last_challenge_ns_[1 - from];
      const int64_t since = t_ns >= 0 && last >= 0 ? t_ns - last : -1;
      const bool limited = in_window && since >= 0 && since < int64_t(invalid_ratelimit_ms) * 1'000'000;
      if (in_window && limited) {
        v.reaction = RstReaction::Ignored;
        v.rate_limited = true;
        if (with_reasons)
          detail::append_all(v.why, "seq in the window but not rcv_nxt (off by ",
                             std::to_string(seq::diff(s.seq, b.rcv_nxt)), "): not accepted; its challenge ACK is ",
                             "rate-limited (the last one went ", std::to_string(since / 1'000'000),
                             " ms ago, under net.ipv4.tcp_invalid_ratelimit = ", std::to_string(invalid_ratelimit_ms),
                             " ms): no answer, the connection survives");
      } else if (in_window) {
        v.reaction = RstReaction::ChallengeAck;
        challenge_pending_[1 - from] = true;
        if (t_ns >= 0) last = t_ns;
        if (with_reasons)
          detail::append_all(v.why, "seq in the window but not rcv_nxt (off by ",
                             std::to_string(seq::diff(s.seq, b.rcv_nxt)),
                             "): not accepted; a challenge ACK answers it (RFC 5961), the connection survives");
      } else {
        v.reaction = RstReaction::Ignored;
        v.outside_window = true;
        if (with_reasons)
          detail::append_all(v.why, "seq outside the receive window (off by ",
                             std::to_string(seq::diff(s.seq, b.rcv_nxt)), "): dropped silently");
      }
    }
    if (v.reaction == RstReaction::Accepted) {
      b.state = TcpState::Closed;
      b.reset = true;
      if (v.err) {
        b.pending_err = v.err;
        b.err_cause = event;
        b.err_state = v.state_before;
      }
      if (!b.rd_shut) b.rd_cause = event;
      if (!b.wr_shut) b.wr_cause = event;
      b.rd_shut = b.wr_shut = true;
    }
    return v;
  }
  // A reset socket is gone: its kernel answers data with RST and queues nothing.
  if (b.reset) return v;
  // Data and FIN, in order only (a retransmission, a keep-alive or zero-window probe at
  // rcv_nxt-1, or a hole changes nothing).
  if (!b.rcv_known) {
    b.rcv_nxt = s.seq;
    b.rcv_known = true;
  }
  if (s.seq != b.rcv_nxt || (s.len == 0 && !fin)) return v;
  if (s.len > 0 && (b.rd_shut || b.app_closed) && !b.fin_received &&
      (b.state == TcpState::FinWait1 || b.state == TcpState::FinWait2)) {
    // New data for a socket whose receive side is shut (shutdown(SHUT_RD), or close()),
    // in FIN_WAIT1/2: Linux aborts the connection (tcp_rcv_state_process, RFC 1122) -
    // sk_err = ECONNRESET - and its kernel answers with RST.
    b.err_state = b.state;
    b.state = TcpState::Closed;
    b.reset = true;
    b.aborted_on_data = true;
    if (!b.app_closed) {
      b.pending_err = ECONNRESET;
      b.err_cause = event;
    }
    if (!b.wr_shut) b.wr_cause = event;
    b.wr_shut = true;
    return v;
  }
  if (s.len > 0) {
    if (b.fin_sent) b.data_after_fin = true;
    b.rcv_nxt += s.len;
    b.received += s.len;
    if (!b.app_closed && track_receive_queue) b.rx_queue += s.len;
  }
  if (fin) {
    v.fin = true;
    take_fin(b, event);
  }
  return v;
}

std::string ConnectionModel::stored(const EndpointModel& m, std::string_view then) const {
  if (m.aborted_on_data)
    return detail::concat("data ", event_name(*m.err_cause), " arrived after its receive side was shut, in ",
                          tcp_state_label(m.err_state), ": Linux aborts the connection (RFC 1122) and sends RST",
                          " -> sk_err = ", errno_name(m.pending_err), then);
  const char* why = m.err_state == TcpState::CloseWait ? " (the FIN came first)"
                    : m.err_state == TcpState::SynSent ? " (connect in progress)"
                                                       : "";
  return detail::concat("the RST ", event_name(*m.err_cause), " was accepted in ", tcp_state_label(m.err_state), why,
                        " -> sk_err = ", errno_name(m.pending_err), then);
}

Prediction ConnectionModel::reports_pending_error(const EndpointModel& m, std::string_view call,
                                                  std::string_view then, bool with_reason) const {
  Prediction p;
  p.result = errno_name(m.pending_err);
  p.cause = m.err_cause;
  if (with_reason) {
    p.reason = stored(m, detail::concat("; this ", call, " is the first call after it, so it reports "));
    detail::append_all(p.reason, errno_name(m.pending_err), then);
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

/// What the side that sent an RST gets: it has no connection left.
Prediction sender_of_reset(bool with_reason) {
  Prediction p;
  p.result = "closed";
  if (with_reason)
    p.reason = "it sent the RST: its socket is closed or aborted (calls on a closed descriptor fail with EBADF)";
  return p;
}

}  // namespace

Prediction ConnectionModel::predict_read(int s, bool with_reason) const {
  const EndpointModel& m = side[s];
  Prediction p;
  switch (read_case(m)) {
    case ReadCase::SenderOfReset:
      return sender_of_reset(with_reason);
    case ReadCase::Queued:
      p.result = "data";
      if (with_reason)
        p.reason = detail::concat(std::to_string(m.rx_queue), m.rx_queue == 1 ? " byte" : " bytes",
                                  " queued: data is returned before anything else",
                                  m.reset ? " (an RST does not purge the receive queue)" : "");
      return p;
    case ReadCase::AfterFin:
      p.result = "EOF";
      p.cause = m.fin_event;
      if (!with_reason) return p;
      p.reason = detail::concat("the FIN ", event_name(*m.fin_event),
                                " shut the receive side: read returns 0 once the queue is empty");
      if (m.pending_err)
        detail::append_all(p.reason, "; after a FIN, read never reports the later RST (", errno_name(m.pending_err),
                           " waits for SO_ERROR or a write)");
      return p;
    case ReadCase::PendingError:
      return reports_pending_error(m, "read", " and clears it", with_reason);
    case ReadCase::Shut:
      p.result = "EOF";
      p.cause = m.rd_cause;
      if (with_reason)
        p.reason = m.timed_out ? "the timeout's error (ETIMEDOUT) was already reported: read returns 0 (EOF) from now on"
                   : m.reset   ? "the reset's error was already reported: read returns 0 (EOF) from now on"
                               : "the receive side is shut: read returns 0";
      return p;
    case ReadCase::Waits:
      break;
  }
  p.result = "block";
  if (with_reason) p.reason = "nothing queued and the connection open: read waits";
  return p;
}

Prediction ConnectionModel::predict_write(int s, bool with_reason) const {
  const EndpointModel& m = side[s];
  Prediction p;
  switch (write_case(m)) {
    case WriteCase::SenderOfReset:
      return sender_of_reset(with_reason);
    case WriteCase::PendingError:
      p = reports_pending_error(m, "write",
                                m.pending_err == EPIPE ? " and raises SIGPIPE" : " (no SIGPIPE: only EPIPE raises it)",
                                with_reason);
      if (m.pending_err == EPIPE) p.result += " +SIGPIPE";
      return p;
    case WriteCase::Shut:
      p.result = "EPIPE +SIGPIPE";
      p.cause = m.wr_cause;
      if (with_reason)
        p.reason = m.timed_out ? "the timeout closed the connection and its error (ETIMEDOUT) was already reported: "
                                 "write fails with EPIPE and raises SIGPIPE, nothing is sent"
                   : m.reset   ? "the reset shut the send side and its error was already reported: write fails "
                                 "with EPIPE and raises SIGPIPE"
                               : "the send side is shut: write fails with EPIPE and raises SIGPIPE, nothing is sent";
      return p;
    case WriteCase::AfterFin:
      p.result = "ok";
      p.cause = m.fin_event;
      if (with_reason)
        p.reason = "a FIN only closes the other side's sending direction: this write is accepted and sent "
                   "(a closed peer answers it with RST)";
      return p;
    case WriteCase::Open:
      break;
  }
  p.result = "ok";
  if (with_reason) p.reason = "the connection is open for sending";
  return p;
}

ConnectionModel::NextCalls ConnectionModel::next_calls(int s) const {
  const EndpointModel& m = side[s];
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

Prediction ConnectionModel::predict_so_error(int s, bool with_reason) const {
  const EndpointModel& m = side[s];
  Prediction p;
  if (m.pending_err) {
    p.result = errno_name(m.pending_err);
    p.cause = m.err_cause;
    if (with_reason) p.reason = stored(m, "; SO_ERROR returns it and clears it");
  } else {
    p.result = "0";
    if (with_reason)
      p.reason = m.timed_out ? "the timeout's error (ETIMEDOUT) was already reported: nothing pending"
                 : m.reset   ? "the reset's error was already reported: nothing pending"
                             : "no error pending";
  }
  return p;
}

}  // namespace rstlab
