// SPDX-License-Identifier: MIT
#pragma once
/// @file The crafted peer: a userspace TCP endpoint built on libtins that plays the far
/// end against a real kernel socket, following the script but also behaving like a
/// Linux endpoint where the script is silent (handshake, ACKs, resets after close).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/link.h"
#include "rstlab/wire.h"

namespace rstlab {

/// Which sequence number a crafted RST carries, relative to the kernel's rcv_nxt
/// (which is the peer's snd_nxt once the kernel has everything the peer sent).
struct SeqPolicy {
  enum class Kind {
    Exact,        ///< seq = rcv_nxt: accepted (RFC 5961)
    Offset,       ///< seq = rcv_nxt + value: in window, answered by a challenge ACK
    OutOfWindow,  ///< seq = rcv_nxt + 2^30: outside any window, dropped silently
    Explicit,     ///< seq = peer ISN + value (relative, as tcpdump prints it)
    Absolute,     ///< seq = value, the raw 32-bit number on the wire (`seq=abs:N`)
  } kind = Kind::Exact;
  int64_t value = 0;

  std::string str() const;  ///< "rcv_nxt", "rcv_nxt+100", "out-of-window", "=5", "abs:0"
};

/// A segment the peer received, as libtins parsed it.
struct PeerSegment {
  TcpSegment tcp;  ///< payload pointer unset; see `payload`
  std::string payload;
};

class Peer {
 public:
  /// `self` is the peer's address and port; the kernel's endpoint is learnt (server)
  /// or given to connect() (client).
  Peer(PeerLink& link, Endpoint self);

  const Endpoint& self() const { return self_; }
  const Endpoint& remote() const { return remote_; }

  // --- roles --------------------------------------------------------------
  /// Server role: answer a SYN from `expected` to `self` with a SYN-ACK. Segments
  /// from any other endpoint (a late one of an earlier run) are ignored.
  void listen(const Endpoint& expected) {
    listening_ = true;
    remote_ = expected;
  }
  /// Client role: send a SYN to `remote`. established() turns true when the
  /// kernel's SYN-ACK has been ACKed.
  std::string connect(const Endpoint& remote);

  // --- input ----------------------------------------------------------------
  /// Takes the packets waiting on the link, up to a batch, and reacts to them (call
  /// again while the link stays readable). Returns how many were for this connection.
  size_t service();

  // --- scripted actions (each returns a one-line description for the trace) --
  std::string send_data(const std::string& data);
  /// FIN (half-close, like shutdown(SHUT_WR)).
  std::string send_fin();
  /// The application closes: RST|ACK at once if received bytes are unread (like
  /// Linux's tcp_close), otherwise FIN; from then on arriving data is answered with
  /// an RST built the Linux way when closed-socket behaviour is on.
  std::string close();
  std::string send_rst(const SeqPolicy& policy, bool with_ack, bool bad_checksum);
  std::string send_ack();
  /// Consumes up to `n` bytes from the peer's receive buffer.
  std::string read(size_t n);

  // --- behaviour switches --------------------------------------------------
  void set_auto_ack(bool on) { auto_ack_ = on; }
  void set_closed_socket_rst(bool on) { closed_socket_rst_ = on; }
  /// Off: a SYN is noted (its ISN learnt) but not answered, so the script decides.
  void set_answer_syn(bool on) { answer_syn_ = on; }

  // --- state ----------------------------------------------------------------
  bool established() const { return established_; }
  size_t readable() const { return rx_.size(); }
  /// Segments received from the kernel, in order.
  const std::vector<PeerSegment>& received() const { return received_; }
  /// Segments received from a given source endpoint.
  uint64_t received_from(const Endpoint& src) const;
  /// Things the peer did on its own (e.g. an RST for data after close): they go to
  /// the trace as actions. Called with (description).
  std::function<void(const std::string&)> on_auto_action;

 private:
  void handle(const PeerSegment& s);
  /// After the connection is gone (reset or aborted): an RST for `in`, built the Linux way.
  void answer_for_no_socket(const PeerSegment& in);
  void transmit(uint8_t flags, const std::string& payload = {}, bool mss = false);

  PeerLink& link_;
  Endpoint self_, remote_;
  bool listening_ = false, syn_sent_ = false, established_ = false;
  bool fin_sent_ = false, app_closed_ = false, reset_ = false;
  bool auto_ack_ = true, closed_socket_rst_ = true, answer_syn_ = true;
  uint32_t iss_ = 1000000000u;  // fixed: identical absolute numbers on every run
  uint32_t snd_nxt_ = 0, snd_una_ = 0, rcv_nxt_ = 0;
  uint16_t ip_id_ = 0;
  std::string rx_;  // received, not yet read by the peer's "application"
  std::vector<PeerSegment> received_;
  std::vector<uint8_t> buf_;
};

}  // namespace rstlab
