// SPDX-License-Identifier: MIT
#pragma once
/// @file The kernel's rules as a model: one connection's two endpoints followed from
/// the segments between them (and, in live traces, from their own calls). It decides
/// what each RST and FIN does to its receiver and predicts what the receiver's next
/// read, write and SO_ERROR return. Live annotation and capture analysis share it.
/// The rules are those of docs/kernel-rules.md (Linux tcp_input.c,
/// tcp_reset(), tcp_recvmsg(), tcp_sendmsg()).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "rstlab/rules.h"
#include "rstlab/vocabulary.h"
#include "rstlab/wire.h"

namespace rstlab {

/// The fields of a segment the model needs (absolute sequence numbers).
struct SegmentFacts {
  uint8_t flags = 0;
  uint32_t seq = 0, ack = 0, len = 0;
  uint16_t window = 0;
  int wscale = -1;  ///< SYN option, -1 if absent
  /// False: the segment is taken as dropped before TCP (a checksum that is neither
  /// correct nor offload-pending). The model drops it; the receiver's later ACKs repair
  /// that if it did arrive after all.
  bool checksum_ok = true;
  /// What the checksum field showed (the analyzer's evidence; the model reads checksum_ok).
  TcpSegment::Checksum checksum = TcpSegment::Checksum::Unknown;
  /// Injected by a third party (the middle actor) in the sender's name: it tells the
  /// receiver everything it tells it, and the sender, who never sent it, nothing.
  bool injected = false;
};

/// One state transition of an endpoint: from what, to what, by which rule, caused by
/// which event (a segment or a call).
struct StateChange {
  TcpState from = TcpState::Closed, to = TcpState::Closed;
  RuleId rule = RuleId::None;
  size_t event = 0;
};

/// What one endpoint's kernel holds, as far as the wire and its calls tell. The fields
/// every segment touches come first: `rstlab analyze` holds thousands of these and
/// reads them once per packet. Outside the model it is read-only: ConnectionModel hands
/// out const references, and every change goes through its rules.
struct EndpointModel {
  TcpState state = TcpState::Closed;
  bool seen = false;          ///< it sent something
  bool rcv_known = false;     ///< rcv_nxt is known (from the other side's SYN or data)
  bool rd_shut = false, wr_shut = false;
  bool fin_received = false, fin_sent = false, reset = false;
  bool sent_reset = false;       ///< it sent an RST: its side of the connection is gone
  bool app_closed = false;       ///< its application called close()
  bool linger_zero = false;      ///< SO_LINGER {on, 0}
  /// Known only from the other side's segments (its SYN-ACK or ACKs answered, its ACK
  /// numbers): the capture holds none of its own segments, or not its handshake.
  bool inferred = false;
  bool own_segments = false;     ///< the capture holds segments it sent
  bool syn_sent = false;         ///< it sent a SYN (isn is its ISN): a SYN again is a retransmission
  int8_t wscale = -1;
  /// The segments it received that its kernel answers with RST (rst_answer_for), one bit
  /// per rule (answer_bit): what the classifier of its next RST looks at.
  uint8_t rst_answers = 0;
  TcpState err_state = TcpState::Closed;  ///< the state the storing RST found
  RuleId err_rule = RuleId::None;         ///< the rule that stored pending_err
  uint32_t isn = 0, snd_nxt = 0, rcv_nxt = 0;
  uint32_t window = 0;        ///< its last advertised receive window, scaled
  int pending_err = 0;        ///< sk_err: reported once by the next read/write/SO_ERROR
  uint64_t rx_queue = 0;      ///< bytes delivered to the socket and not yet read
  uint64_t received = 0;      ///< in-order payload bytes delivered, in all
  uint64_t unread_at_close = 0;  ///< bytes still queued when it closed
  std::optional<size_t> err_cause;
  std::optional<size_t> rd_cause, wr_cause;
  std::optional<size_t> fin_event;
  std::optional<size_t> close_event;  ///< its close() call
  size_t fin_sent_event = 0;     ///< the event of the FIN it sent (with fin_sent)
  /// The connection ended by a timeout (ETIMEDOUT: TCP_USER_TIMEOUT or retransmissions
  /// given up), not by an RST: `reset` is set too (the socket is gone), and the words say so.
  bool timed_out = false;
  /// Data arrived after it shut its receive side, in FIN_WAIT1/2: Linux aborted the
  /// connection itself (sk_err = ECONNRESET) and answered with RST (RFC 1122).
  bool aborted_on_data = false;
  /// rcv_wup: the ack of the last segment it sent, where Linux's receive window starts
  /// (tcp_sequence); bytes received since and not yet acknowledged lie inside it.
  bool wup_known = false;
  uint32_t rcv_wup = 0;
  /// Its own shutdown(SHUT_RD) shut the receive side before a FIN, an RST or a timeout
  /// did: a read's EOF is then the call's doing, even after a FIN arrives (rd_cause is
  /// the call).
  bool rd_shut_by_call = false;

  /// Whether a segment it received is answered with RST under `rule`.
  static constexpr uint8_t answer_bit(RuleId rule) {
    return rule == RuleId::CauseRefused          ? 1
           : rule == RuleId::CauseNoSocket       ? 2
           : rule == RuleId::CauseListenerNonSyn ? 4
           : rule == RuleId::CauseDataAfterClose ? 8
                                                 : 0;
  }
  bool answers(RuleId rule) const { return rst_answers & answer_bit(rule); }

  /// Its last state changes, oldest first (at most kHistory; `changes()` counts all).
  static constexpr size_t kHistory = 4;
  size_t history_size() const { return changes_ < kHistory ? changes_ : kHistory; }
  const StateChange& history(size_t i) const { return history_[(changes_ - history_size() + i) % kHistory]; }
  /// The last state change; nullptr if it never changed state.
  const StateChange* last_change() const { return changes_ ? &history_[(changes_ - 1) % kHistory] : nullptr; }
  size_t changes() const { return changes_; }

 private:
  friend class ConnectionModel;
  StateChange history_[kHistory];
  uint32_t changes_ = 0;
};

/// What a receiving socket is, for rst_answer_for: enough to say whether its kernel
/// answers a segment with RST.
struct SocketView {
  bool gone = false;       ///< no socket: it was reset or aborted (or never existed)
  bool listening = false;  ///< a listening socket
  bool closed = false;     ///< its application closed it (from a capture: it sent a FIN)
  bool rcv_known = false;
  uint32_t rcv_nxt = 0;
};

/// When Linux answers a segment with RST (the one rule the crafted peer, the annotator
/// and the analyzer share): a segment that finds no socket (anything but an RST:
/// cause.refused for a SYN, else cause.no-socket; tcp_v4_rcv -> no_tcp_socket), a
/// listener getting anything but a SYN (cause.listener-non-syn), new data for a socket
/// whose application closed (cause.data-after-close, tcp_rcv_state_process). RuleId::None:
/// no RST. An RST is never answered.
RuleId rst_answer_for(const SocketView& socket, const SegmentFacts& s);
/// The same for a model's endpoint; `closed` is whether its application closed (the
/// model passes app_closed, or from a capture fin_sent).
RuleId rst_answer_for(const EndpointModel& m, const SegmentFacts& s, bool closed);
inline RuleId rst_answer_for(const EndpointModel& m, const SegmentFacts& s) {
  return rst_answer_for(m, s, m.app_closed);
}

enum class RstReaction { Accepted, ChallengeAck, Ignored };
const char* rst_reaction_name(RstReaction r);  ///< "accepted", "challenge-ack", "ignored"

/// What a segment did to its receiver.
struct SegmentVerdict {
  /// The rule that decided it (RuleId::None for a segment with nothing to say: data, an
  /// ACK, a SYN). Its words are `why` (ConnectionModel::with_reasons).
  RuleId rule = RuleId::None;
  bool dropped_bad_checksum = false;
  // RST
  bool rst = false;
  RstReaction reaction = RstReaction::Ignored;
  int err = 0;                ///< errno stored by an accepted RST (0: none)
  bool outside_window = false;  ///< ignored because its seq lies outside the receive window
  TcpState state_before = TcpState::Closed;
  std::string why;            ///< one line: why accepted / challenged / ignored (ConnectionModel::with_reasons)
  // FIN
  bool fin = false;
  /// The receiver had the FIN although its segment looked dropped (bad checksum) or is
  /// missing from the capture: its ACK covers it. The FIN's own event is fin_event.
  bool fin_by_ack = false;
  size_t fin_event = 0;
  // The receiver's challenge ACK answering an earlier in-window RST.
  bool challenge_ack = false;
  /// An in-window RST that gets no challenge ACK: the receiver sent one less than
  /// net.ipv4.tcp_invalid_ratelimit ago (reaction stays Ignored).
  bool rate_limited = false;
};

/// A predicted result of a call, with the rule and the event that cause it.
struct Prediction {
  std::string result;          ///< "data", "EOF", "ECONNRESET", "EPIPE +SIGPIPE", "ok", "block"
  RuleId rule = RuleId::None;  ///< the rule that decides it (its words head `reason`)
  std::optional<size_t> cause; ///< event index of the RST/FIN/call behind it
  std::string reason;          ///< one line, from the kernel rules
};

/// What a call returned, as the model reads it (the typed parts of SyscallEvent).
struct CallOutcome {
  std::optional<int64_t> ret;  ///< absent if the call never returned
  int err = 0;                 ///< errno when it failed
  bool killed = false;         ///< SIGPIPE's default action killed the process (its sockets close)
};

/// What the sender of an RST was doing, beyond what its endpoint model holds: the
/// evidence classify_rst_cause weighs.
struct RstEvidence {
  /// Its application's calls are known (a live trace): its close, SO_LINGER and reads
  /// decide. Otherwise (a capture) the wire does.
  bool calls_known = false;
  bool ack = false;  ///< the RST carries ACK
  // From a capture:
  uint32_t retrans_from = 0;       ///< the sender's retransmissions of its last segment, the longest run
  uint32_t retrans_other = 0;      ///< the other side's current run of retransmissions
  int last_data_from = -1;         ///< which side sent the last payload (-1: none)
};

class ConnectionModel {
  // Per-packet state first (see EndpointModel).
  bool challenge_pending_[2] = {false, false};
  bool wscale_on_ = false;
  EndpointModel side_[2];

  /// When each side last sent a challenge ACK (ns; -1: never), for the rate limit.
  int64_t last_challenge_ns_[2] = {-1, -1};
  /// The same for a closed socket living on as a timewait socket: its own clock, which
  /// starts afresh (tcp_time_wait sets tw_last_oow_ack_time to 0).
  int64_t last_tw_ack_ns_[2] = {-1, -1};
  /// When on_segment was called (ns; -1: unknown), for the rate limits.
  int64_t now_ns_ = -1;

 public:
  /// net.ipv4.tcp_invalid_ratelimit in ms (Linux's default 500): a socket sends at most
  /// one challenge ACK per this interval (tcp_send_challenge_ack -> __tcp_oow_rate_limited).
  /// The host-wide net.ipv4.tcp_challenge_ack_limit is per network namespace and off
  /// (INT_MAX) by default since Linux 6.0, so it is not modelled. Live runs set the lab's
  /// value; captures assume the default.
  int invalid_ratelimit_ms = 500;
  ConnectionModel() = default;
  /// A model whose endpoints are given (tests, and a tester that starts from a state).
  ConnectionModel(const EndpointModel& a, const EndpointModel& b) : side_{a, b} {}

  /// Off for captures: the wire cannot tell what the applications read, so the model
  /// assumes they read everything (nothing stays queued).
  bool track_receive_queue = true;
  /// Off for captures: no calls are seen, so a FIN is the only sign that an application
  /// closed (rst_answer_for).
  bool calls_observed = true;
  /// Off: on_segment's verdicts carry no words (SegmentVerdict::why stays empty) - the
  /// same verdicts, for a caller that prints no reasons (words cost more than the rules).
  bool with_reasons = true;
  const EndpointModel& side(int s) const { return side_[s]; }
  /// A capture that starts mid-stream: both endpoints are taken as ESTABLISHED (and
  /// marked inferred: nothing before the first segment is known).
  void assume_established();
  /// A capture whose first segment is an RST|ACK with seq 0 (how Linux refuses a SYN,
  /// tcp_v4_send_reset): side `syn_sender` sent a SYN the capture missed, with ISN
  /// `ack - 1`, and waits in SYN_SENT; the other side has no socket. Both are inferred.
  void assume_refused_syn(int syn_sender, uint32_t ack);
  /// Back to a connection not yet seen (keeps track_receive_queue, calls_observed,
  /// with_reasons and event_name).
  void reset();
  /// How reasons name an event ("#8": frame 8 of the capture, by default the index).
  std::function<std::string(size_t)> event_name = [](size_t e) { return "#" + std::to_string(e); };

  /// Feeds one segment sent by side `from` (0 or 1); `event` indexes it for causes.
  /// The steps carry the kernel's names: the sender's own side (its handshake, FIN and
  /// ACK), tcp_validate_incoming (checksum), the SYN, tcp_reset_check and tcp_reset for
  /// an RST, then data and the FIN step.
  SegmentVerdict on_segment(int from, const SegmentFacts& s, size_t event, int64_t t_ns = -1);

  /// Feeds one call of side `s` that returned `r` (event `event`): what the call changes
  /// in its endpoint - listen, reads taking queued bytes, a call that reported the pending
  /// error, shutdown, close, SO_LINGER, a timeout. Calls on a pipe change nothing here.
  /// Ask the predict_* functions first: they say what the call should have returned.
  void on_call(int s, const CallFacts& f, const CallOutcome& r, size_t event);

  /// What the next call of `side` returns. None of these change the model;
  /// consume() records that a call took the pending error. Without `with_reason` the
  /// result, rule and cause are filled and the words (Prediction::reason) are not.
  Prediction predict_read(int s, bool with_reason = true) const;
  Prediction predict_write(int s, bool with_reason = true) const;
  Prediction predict_so_error(int s, bool with_reason = true) const;
  /// The same, the reason appended to `reason` (Prediction::reason stays empty): a caller
  /// that keeps one buffer per endpoint (`rstlab analyze`, tens of thousands of
  /// connections) reuses it instead of allocating a string per prediction.
  Prediction predict_read(int s, std::string& reason) const;
  Prediction predict_write(int s, std::string& reason) const;
  Prediction predict_so_error(int s, std::string& reason) const;
  /// The results of the same three calls without words or causes (no allocation): what a
  /// summary of many connections needs.
  struct NextCalls {
    const char* read = "block";  ///< "data", "block", "EOF", "closed" or an errno name
    const char* write = "ok";    ///< "ok", "closed" or an errno name
    bool sigpipe = false;        ///< the write raises SIGPIPE (its result is then "EPIPE")
    int so_error = 0;            ///< the errno SO_ERROR returns (0: none)
  };
  NextCalls next_calls(int s) const;
  void consume(int s) { side_[s].pending_err = 0; }

  /// Why side `from` sends the RST it is sending now (ask before on_segment sees it): the
  /// one classifier the live annotation and the capture analysis share. Returns a
  /// cause.* rule: with the calls known, its close (SO_LINGER 0, unread data) or the
  /// segments its kernel answers (rst_answer_for) decide; from a capture, the wire's
  /// evidence (the SYN it answers, data after its FIN, retransmissions, unread data).
  RuleId classify_rst_cause(int from, const RstEvidence& e) const;

 private:
  /// Every state change: records the previous state, the rule and the cause.
  void set_state(EndpointModel& m, TcpState to, size_t event, RuleId rule);
  // The steps of on_segment, under the kernel's names.
  /// Returns whether it was a SYN seen before (a retransmission).
  bool sender_step(EndpointModel& a, EndpointModel& b, int from, const SegmentFacts& s, size_t event,
                   SegmentVerdict& v);
  bool validate_incoming(const SegmentFacts& s, SegmentVerdict& v) const;
  /// tcp_reset_check and the RST's acceptance: the rule that decides (accepted, challenged, ignored).
  RuleId reset_check(const EndpointModel& b, const SegmentFacts& s) const;
  void reset_step(EndpointModel& b, int to, const SegmentFacts& s, size_t event, SegmentVerdict& v);
  /// tcp_reset: an accepted RST stores its error and shuts both directions.
  void tcp_reset(EndpointModel& b, size_t event, SegmentVerdict& v);
  void take_fin(EndpointModel& b, size_t event);
  void data_and_fin_step(EndpointModel& b, const SegmentFacts& s, size_t event, SegmentVerdict& v);
  /// New data reached `m` after its shutdown(SHUT_RD) or close() in FIN_WAIT1/2: Linux
  /// aborts the connection (ECONNRESET on m's own socket unless closed) and answers with RST.
  void abort_on_data(EndpointModel& m, size_t event);
  /// A timeout (TCP_USER_TIMEOUT) aborted the connection: no RST, both directions shut.
  void timed_out(EndpointModel& m, size_t event);
  /// Appends "the RST #N was accepted in STATE -> sk_err = E" to `out`.
  void stored(const EndpointModel& m, std::string& out) const;
  /// The first read or write (`call`) after a stored error reports it; `then` ends the
  /// reason (appended to `reason` when non-null).
  Prediction reports_pending_error(const EndpointModel& m, std::string_view call, unsigned then,
                                   std::string* reason) const;
  /// The predictions, their words appended to `reason` when non-null (every predict_*
  /// goes through these: one set of decisions).
  Prediction read_prediction(int s, std::string* reason) const;
  Prediction write_prediction(int s, std::string* reason) const;
  Prediction so_error_prediction(int s, std::string* reason) const;
};

}  // namespace rstlab
