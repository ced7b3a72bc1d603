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
#include "rstlab/scenario.h"
#include "rstlab/segment.h"
#include "rstlab/vocabulary.h"
#include "rstlab/wire.h"

namespace rstlab {

// SeqPolicy: see rstlab/vocabulary.h.

/// A segment the peer received, as libtins parsed it (options included).
using PeerSegment = ReceivedSegment;

class Peer {
 public:
  /// `self` is the peer's address and port; the kernel's endpoint is learnt (server)
  /// or given to connect() (client). `offer`: the options of its SYN or SYN-ACK.
  Peer(PeerLink& link, Endpoint self, PeerOffer offer = {});

  const Endpoint& self() const { return self_; }
  const Endpoint& remote() const { return remote_; }

  // --- roles --------------------------------------------------------------
  /// Server role: answer a SYN from `expected` to `self` with a SYN-ACK. Segments
  /// from any other endpoint (a late one of an earlier run) are ignored. Port 0: the
  /// first SYN to `self` names the client (a program's port is its kernel's choice).
  void listen(const Endpoint& expected) {
    listening_ = true;
    remote_ = expected;
    learn_remote_ = expected.port == 0;
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
  uint32_t iss() const { return iss_; }  ///< its initial sequence number
  size_t readable() const { return rx_.size(); }
  /// Segments received from the kernel, in order.
  const std::vector<PeerSegment>& received() const { return received_; }
  /// Segments received from a given source endpoint.
  uint64_t received_from(const Endpoint& src) const;
  /// What the handshake agreed (both ends offered it): timestamps on every segment,
  /// the window scale the peer's own windows use, SACK.
  bool timestamps_agreed() const { return ts_ok_; }
  std::optional<uint8_t> wscale_agreed() const { return wscale_ok_ ? offer_.wscale : std::nullopt; }
  bool sack_agreed() const { return sack_ok_; }
  /// Things the peer did on its own (e.g. an RST for data after close): they go to
  /// the trace as actions. Called with (description).
  std::function<void(const std::string&)> on_auto_action;

 private:
  void handle(const PeerSegment& s);
  /// After the connection is gone (reset or aborted): an RST for `in`, built the Linux way.
  void answer_for_no_socket(const PeerSegment& in);
  /// Sends a segment at snd_nxt. `syn`: with the handshake's options (MSS, and those
  /// offered that apply); any segment carries timestamps once they are agreed.
  void transmit(uint8_t flags, const std::string& payload = {}, bool syn = false);
  /// Learns the kernel's latest TSval (ts_recent, echoed in TSecr) from a segment.
  void note_timestamps(const PeerSegment& in);

  PeerLink& link_;
  Endpoint self_, remote_;
  bool listening_ = false, syn_sent_ = false, established_ = false;
  bool fin_sent_ = false, app_closed_ = false, reset_ = false;
  bool auto_ack_ = true, closed_socket_rst_ = true, answer_syn_ = true;
  bool learn_remote_ = false;  // listen() with port 0: the first SYN's source is the client
  // The kernel's ISN, from its SYN (server role) or SYN-ACK (client role): a later SYN
  // carrying it is a retransmission, the same handshake step. What answered it, if anything
  // yet: "SYN-ACK", "ACK" (client role) or "RST|ACK" (a scripted refusal).
  std::optional<uint32_t> kernel_isn_;
  const char* handshake_answer_ = nullptr;
  uint32_t iss_ = 1000000000u;  // fixed (unless offered: `isn=N`): identical absolute numbers on every run
  uint32_t snd_nxt_ = 0, snd_una_ = 0, rcv_nxt_ = 0;
  uint16_t ip_id_ = 0;
  PeerOffer offer_;
  bool ts_ok_ = false, wscale_ok_ = false, sack_ok_ = false;
  uint32_t ts_val_ = 1;      // the peer's timestamp clock: one tick per segment sent
  uint32_t ts_recent_ = 0;   // the kernel's latest TSval
  std::string rx_;  // received, not yet read by the peer's "application"
  std::vector<PeerSegment> received_;
  std::vector<uint8_t> buf_;
};

}  // namespace rstlab
