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

/// What one endpoint's kernel holds, as far as the wire and its calls tell. The fields
/// every segment touches come first: `rstlab analyze` holds thousands of these and
/// reads them once per packet.
struct EndpointModel {
  TcpState state = TcpState::Closed;
  bool seen = false;          ///< it sent something
  bool rcv_known = false;     ///< rcv_nxt is known (from the other side's SYN or data)
  bool rd_shut = false, wr_shut = false;
  bool fin_received = false, fin_sent = false, reset = false;
  bool sent_reset = false;       ///< it sent an RST: its side of the connection is gone
  bool app_closed = false;       ///< its application called close()
  bool linger_zero = false;      ///< SO_LINGER {on, 0}
  bool data_after_fin = false;   ///< the other side sent data after this one's FIN
  /// Known only from the other side's segments (its SYN-ACK or ACKs answered, its ACK
  /// numbers): the capture holds none of its own segments, or not its handshake.
  bool inferred = false;
  bool own_segments = false;     ///< the capture holds segments it sent
  bool syn_sent = false;         ///< it sent a SYN (isn is its ISN): a SYN again is a retransmission
  int8_t wscale = -1;
  TcpState err_state = TcpState::Closed;  ///< the state the storing RST found
  uint32_t isn = 0, snd_nxt = 0, rcv_nxt = 0;
  uint32_t window = 0;        ///< its last advertised receive window, scaled
  int pending_err = 0;        ///< sk_err: reported once by the next read/write/SO_ERROR
  uint64_t rx_queue = 0;      ///< bytes delivered to the socket and not yet read
  uint64_t received = 0;      ///< in-order payload bytes delivered, in all
  uint64_t unread_at_close = 0;  ///< bytes still queued when it closed
  std::optional<size_t> err_cause;
  std::optional<size_t> rd_cause, wr_cause;
  std::optional<size_t> fin_event;
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
};

enum class RstReaction { Accepted, ChallengeAck, Ignored };
const char* rst_reaction_name(RstReaction r);  ///< "accepted", "challenge-ack", "ignored"

/// What a segment did to its receiver.
struct SegmentVerdict {
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

/// A predicted result of a call, with the event that causes it.
struct Prediction {
  std::string result;          ///< "data", "EOF", "ECONNRESET", "EPIPE +SIGPIPE", "ok", "block"
  std::optional<size_t> cause; ///< event index of the RST/FIN/call behind it
  std::string reason;          ///< one line, from the kernel rules
};

class ConnectionModel {
  // Per-packet state first (see EndpointModel).
  bool challenge_pending_[2] = {false, false};
  bool wscale_on_ = false;
  /// When each side last sent a challenge ACK (ns; -1: never), for the rate limit.
  int64_t last_challenge_ns_[2] = {-1, -1};
  /// The same for a closed socket living on as a timewait socket: its own clock, which
  /// starts afresh (tcp_time_wait sets tw_last_oow_ack_time to 0).
  int64_t last_tw_ack_ns_[2] = {-1, -1};

 public:
  /// net.ipv4.tcp_invalid_ratelimit in ms (Linux's default 500): a socket sends at most
  /// one challenge ACK per this interval (tcp_send_challenge_ack -> __tcp_oow_rate_limited).
  /// The host-wide net.ipv4.tcp_challenge_ack_limit is per network namespace and off
  /// (INT_MAX) by default since Linux 6.0, so it is not modelled. Live runs set the lab's
  /// value; captures assume the default.
  int invalid_ratelimit_ms = 500;
  /// Off for captures: the wire cannot tell what the applications read, so the model
  /// assumes they read everything (nothing stays queued).
  bool track_receive_queue = true;
  /// Off: on_segment's verdicts carry no words (SegmentVerdict::why stays empty) - the
  /// same verdicts, for a caller that prints no reasons (words cost more than the rules).
  bool with_reasons = true;
  EndpointModel side[2];
  /// A capture that starts mid-stream: both endpoints are taken as ESTABLISHED (and
  /// marked inferred: nothing before the first segment is known).
  void assume_established();
  /// A capture whose first segment is an RST|ACK with seq 0 (how Linux refuses a SYN,
  /// tcp_v4_send_reset): side `syn_sender` sent a SYN the capture missed, with ISN
  /// `ack - 1`, and waits in SYN_SENT; the other side has no socket. Both are inferred.
  void assume_refused_syn(int syn_sender, uint32_t ack);
  /// Back to a connection not yet seen (keeps track_receive_queue, with_reasons and event_name).
  void reset();
  /// How reasons name an event ("#8": frame 8 of the capture, by default the index).
  std::function<std::string(size_t)> event_name = [](size_t e) { return "#" + std::to_string(e); };

  /// Feeds one segment sent by side `from` (0 or 1); `event` indexes it for causes;
  /// `t_ns` is when it was seen (for the challenge-ACK rate limit; -1: unknown, no limit).
  SegmentVerdict on_segment(int from, const SegmentFacts& s, size_t event, int64_t t_ns = -1);

  /// What the next call of `side` returns. None of these change the model;
  /// consume() records that a call took the pending error. Without `with_reason` the
  /// result and cause are filled and the words (Prediction::reason) are not.
  Prediction predict_read(int s, bool with_reason = true) const;
  Prediction predict_write(int s, bool with_reason = true) const;
  Prediction predict_so_error(int s, bool with_reason = true) const;
  /// The results of the same three calls without words or causes (no allocation): what a
  /// summary of many connections needs.
  struct NextCalls {
    const char* read = "block";  ///< "data", "block", "EOF", "closed" or an errno name
    const char* write = "ok";    ///< "ok", "closed" or an errno name
    bool sigpipe = false;        ///< the write raises SIGPIPE (its result is then "EPIPE")
    int so_error = 0;            ///< the errno SO_ERROR returns (0: none)
  };
  NextCalls next_calls(int s) const;
  void consume(int s) { side[s].pending_err = 0; }

 private:
  /// "the RST #N was accepted in STATE -> sk_err = E", then `then`.
  std::string stored(const EndpointModel& m, std::string_view then) const;
  /// The first read or write (`call`) after a stored error reports it; `then` ends the reason.
  Prediction reports_pending_error(const EndpointModel& m, std::string_view call, std::string_view then,
                                   bool with_reason) const;
};

}  // namespace rstlab
