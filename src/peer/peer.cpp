// SPDX-License-Identifier: MIT
#include "rstlab/peer.h"

#include "rstlab/error.h"
#include "rstlab/segment.h"
#include "rstlab/seq.h"
#include "rstlab/tcp_model.h"

namespace rstlab {
namespace {

constexpr uint32_t kOutOfWindow = 1u << 30;

}  // namespace

Peer::Peer(PeerLink& link, Endpoint self, PeerOffer offer)
    : link_(link), self_(std::move(self)), offer_(offer) {
  if (offer.isn) iss_ = *offer.isn;
  snd_nxt_ = snd_una_ = iss_;
}

std::string Peer::connect(const Endpoint& remote) {
  remote_ = remote;
  snd_nxt_ = iss_;
  transmit(tcpflag::SYN, {}, true);
  snd_nxt_ = iss_ + 1;
  syn_sent_ = true;
  return "SYN to " + remote.str();
}

uint64_t Peer::received_from(const Endpoint& src) const {
  uint64_t n = 0;
  for (const auto& s : received_)
    if (s.tcp.src == src) ++n;
  return n;
}

size_t Peer::service() {
  // A bounded batch, like the tun relay's: every ACK the peer sends lets the kernel send
  // more at once, so "until nothing waits" could last a whole bulk transfer while the
  // recorder's ring, and the step waiting for its condition, went unserviced.
  constexpr size_t kBatch = 64;
  size_t n = 0;
  for (size_t taken = 0; taken < kBatch && link_.receive(buf_); ++taken) {
    auto seg = parse_segment(buf_);
    if (seg && learn_remote_ && seg->tcp.dst == self_ && seg->tcp.has(tcpflag::SYN) && !seg->tcp.has(tcpflag::ACK)) {
      remote_ = seg->tcp.src;
      learn_remote_ = false;
    }
    if (!seg || seg->tcp.dst != self_ || seg->tcp.src != remote_) continue;
    ++n;
    received_.push_back(*seg);
    handle(received_.back());
  }
  return n;
}

void Peer::transmit(uint8_t flags, const std::string& payload, bool syn) {
  SegmentSpec s;
  s.src = self_;
  s.dst = remote_;
  s.seq = snd_nxt_;
  s.ack = (flags & tcpflag::ACK) ? rcv_nxt_ : 0;
  s.flags = flags;
  s.payload = payload;
  if (syn) {
    // A SYN offers what the scenario asked for; a SYN-ACK only what the kernel's SYN
    // offered too (RFC 7323, RFC 2018): the *_ok_ flags say so once the SYN is seen.
    const bool answer = flags & tcpflag::ACK;
    s.options.mss = offer_.mss;
    if (answer ? sack_ok_ : offer_.sack_permitted) s.options.sack_permitted = true;
    if (answer ? wscale_ok_ : offer_.wscale.has_value()) s.options.wscale = offer_.wscale;
    if (answer ? ts_ok_ : offer_.timestamps) s.options.timestamps = TcpTimestamps{ts_val_++, ts_recent_};
  } else if (ts_ok_) {
    // Once agreed, on every segment, the clock never going back: the kernel drops a
    // segment whose TSval is older than the last it took (PAWS, tcp_paws_discard).
    s.options.timestamps = TcpTimestamps{ts_val_++, ts_recent_};
  }
  s.ip_id = ip_id_++;
  link_.send(build_segment(s));
}

void Peer::note_timestamps(const PeerSegment& in) {
  const auto& ts = in.options.timestamps;
  if (!ts) return;
  if (in.tcp.has(tcpflag::SYN)) {
    ts_recent_ = ts->val;
    return;
  }
  if (ts_ok_ && seq::ge(ts->val, ts_recent_)) ts_recent_ = ts->val;
}

void Peer::handle(const PeerSegment& in) {
  const TcpSegment& t = in.tcp;
  // Whether Linux, holding this socket, answers the segment with RST: the model's rule.
  SocketView self;
  self.gone = reset_;
  self.closed = app_closed_;
  self.rcv_known = true;
  self.rcv_nxt = rcv_nxt_;
  SegmentFacts facts;
  facts.flags = t.flags;
  facts.seq = t.seq;
  facts.ack = t.ack;
  facts.len = static_cast<uint32_t>(in.payload.size());
  const RuleId answer = rst_answer_for(self, facts);
  if (reset_) {
    // No socket is left: Linux finds none for the segment and answers anything but an
    // RST with one (tcp_v4_rcv -> no_tcp_socket -> tcp_v4_send_reset), every time: no
    // rate limit applies to these. So each data segment still in flight gets its own.
    if (closed_socket_rst_ && answer != RuleId::None) answer_for_no_socket(in);
    return;
  }
  if (t.has(tcpflag::RST)) {
    reset_ = true;
    established_ = false;
    return;
  }
  // Handshake.
  if (t.has(tcpflag::SYN) && kernel_isn_ && t.seq == *kernel_isn_) {
    // The kernel retransmitted its SYN or SYN-ACK (same ISN: its initial timeout, 1 s,
    // passed before the answer reached it, e.g. a slow or loaded peer). It is the same
    // handshake step: answering it again would send a second SYN-ACK that the kernel meets
    // with an ACK of its own, which then holds back a challenge ACK the story may need
    // (one out-of-window answer per tcp_invalid_ratelimit); and the connection's state,
    // perhaps moved on already, must not go back to the handshake.
    if (t.has(tcpflag::ACK) != static_cast<bool>(syn_sent_) || (!syn_sent_ && !listening_)) return;
    if (in.options.timestamps && seq::ge(in.options.timestamps->val, ts_recent_) && !established_)
      ts_recent_ = in.options.timestamps->val;
    std::string what = std::string("the kernel retransmitted its ") +
                       (syn_sent_ ? "SYN-ACK" : "SYN") + " (same ISN): the same handshake step; ";
    if (handshake_answer_) {
      what += std::string("the ") + handshake_answer_ + " already sent answers it: not sent twice";
    } else if (!syn_sent_ && answer_syn_) {
      // Not answered yet (the SYN was noted with synack off): this one gets the answer.
      snd_nxt_ = iss_;
      transmit(tcpflag::SYN | tcpflag::ACK, {}, true);
      snd_nxt_ = iss_ + 1;
      handshake_answer_ = "SYN-ACK";
      what += "answered now with the SYN-ACK";
    } else {
      what += "not answered yet (synack off): an answer the script sends acknowledges it too";
    }
    if (on_auto_action) on_auto_action(what);
    return;
  }
  if (t.has(tcpflag::SYN) && !t.has(tcpflag::ACK)) {
    if (!listening_) return;
    kernel_isn_ = t.seq;
    handshake_answer_ = nullptr;
    rcv_nxt_ = t.seq + 1;
    // What both ends offered is what the connection uses.
    ts_ok_ = offer_.timestamps && in.options.timestamps;
    wscale_ok_ = offer_.wscale && in.options.wscale;
    sack_ok_ = offer_.sack_permitted && in.options.sack_permitted;
    note_timestamps(in);
    snd_nxt_ = iss_;
    if (!answer_syn_) return;
    transmit(tcpflag::SYN | tcpflag::ACK, {}, true);
    snd_nxt_ = iss_ + 1;
    handshake_answer_ = "SYN-ACK";
    return;
  }
  if (t.has(tcpflag::SYN) && t.has(tcpflag::ACK)) {
    if (!syn_sent_) return;
    kernel_isn_ = t.seq;
    rcv_nxt_ = t.seq + 1;
    ts_ok_ = offer_.timestamps && in.options.timestamps;
    wscale_ok_ = offer_.wscale && in.options.wscale;
    sack_ok_ = offer_.sack_permitted && in.options.sack_permitted;
    note_timestamps(in);
    snd_una_ = t.ack;
    established_ = true;
    transmit(tcpflag::ACK);
    handshake_answer_ = "ACK";
    return;
  }
  note_timestamps(in);
  if (t.has(tcpflag::ACK)) {
    if (!established_ && seq::gt(t.ack, iss_)) established_ = true;  // third handshake segment
    if (seq::gt(t.ack, snd_una_)) snd_una_ = t.ack;
  }
  const uint32_t data_len = static_cast<uint32_t>(in.payload.size());
  if (data_len == 0 && !t.has(tcpflag::FIN)) return;  // a pure ACK needs no answer

  // Data after the application closed: Linux answers with a reset (tcp_rcv_state_process
  // in FIN_WAIT with the receive side shut, then tcp_v4_send_reset).
  if (closed_socket_rst_ && answer == RuleId::CauseDataAfterClose) {
    TcpSegment view = t;
    view.payload_len = data_len;
    if (auto rst = linux_reset_for(view)) {
      rst->ip_id = ip_id_++;
      if (on_auto_action)  // before sending, so the action precedes its packet in the trace
        on_auto_action("data arrived after close: answered with " + tcp_flags_string(rst->flags) +
                       " (seq = the segment's ack), as Linux does");
      link_.send(build_segment(*rst));
      reset_ = true;
    }
    return;
  }
  if (t.seq == rcv_nxt_) {
    rx_ += in.payload;
    rcv_nxt_ += data_len;
    if (t.has(tcpflag::FIN)) rcv_nxt_ += 1;
    if (auto_ack_) transmit(tcpflag::ACK);
  } else if (auto_ack_) {
    transmit(tcpflag::ACK);  // duplicate or out of order: re-advertise rcv_nxt
  }
}

void Peer::answer_for_no_socket(const PeerSegment& in) {
  TcpSegment view = in.tcp;
  view.payload_len = static_cast<uint32_t>(in.payload.size());
  auto rst = linux_reset_for(view);
  if (!rst) return;  // an RST is never answered
  rst->ip_id = ip_id_++;
  if (on_auto_action)
    on_auto_action("a segment for a connection that is gone: answered with " + tcp_flags_string(rst->flags) +
                   (rst->flags & tcpflag::ACK ? " (ack = the segment's end)" : " (seq = the segment's ack)") +
                   ", as Linux answers a segment that finds no socket");
  link_.send(build_segment(*rst));
}

std::string Peer::send_data(const std::string& data) {
  transmit(tcpflag::PSH | tcpflag::ACK, data);
  snd_nxt_ += static_cast<uint32_t>(data.size());
  return "sent " + std::to_string(data.size()) + " byte" + (data.size() == 1 ? "" : "s");
}

std::string Peer::send_fin() {
  transmit(tcpflag::FIN | tcpflag::ACK);
  snd_nxt_ += 1;
  fin_sent_ = true;
  return "FIN (half-close)";
}

std::string Peer::close() {
  app_closed_ = true;
  if (!rx_.empty()) {
    // tcp_close(): unread data means the connection is aborted with RST|ACK at once.
    const size_t unread = rx_.size();
    transmit(tcpflag::RST | tcpflag::ACK);
    reset_ = true;
    return std::to_string(unread) + " unread byte" + (unread == 1 ? "" : "s") +
           ": RST|ACK at once instead of FIN, as Linux does";
  }
  if (fin_sent_) return "FIN already sent; data arriving from now on gets an RST";
  transmit(tcpflag::FIN | tcpflag::ACK);
  snd_nxt_ += 1;
  fin_sent_ = true;
  return "FIN; data arriving from now on gets an RST";
}

std::string Peer::send_rst(const SeqPolicy& policy, bool with_ack, bool bad_checksum) {
  SegmentSpec s;
  s.src = self_;
  s.dst = remote_;
  switch (policy.kind) {
    case SeqPolicy::Kind::Exact: s.seq = snd_nxt_; break;
    case SeqPolicy::Kind::Offset: s.seq = snd_nxt_ + static_cast<uint32_t>(policy.value); break;
    case SeqPolicy::Kind::OutOfWindow: s.seq = snd_nxt_ + kOutOfWindow; break;
    case SeqPolicy::Kind::Explicit: s.seq = iss_ + static_cast<uint32_t>(policy.value); break;
    case SeqPolicy::Kind::Absolute: s.seq = static_cast<uint32_t>(policy.value); break;
  }
  s.flags = tcpflag::RST | (with_ack ? tcpflag::ACK : 0);
  s.ack = with_ack ? rcv_nxt_ : 0;
  s.window = 0;
  s.bad_checksum = bad_checksum;
  s.ip_id = ip_id_++;
  link_.send(build_segment(s));
  // An RST|ACK acknowledging the kernel's SYN refuses it: the handshake's answer.
  if (with_ack && !established_ && kernel_isn_ && s.ack == *kernel_isn_ + 1 && !handshake_answer_)
    handshake_answer_ = "RST|ACK";
  return std::string(with_ack ? "RST|ACK" : "RST") + " seq=" + policy.str() +
         (bad_checksum ? " with a bad checksum" : "");
}

std::string Peer::send_ack() {
  transmit(tcpflag::ACK);
  return "ACK";
}

std::string Peer::read(size_t n) {
  const std::string got = rx_.substr(0, n);
  rx_.erase(0, got.size());
  return got;
}

}  // namespace rstlab
