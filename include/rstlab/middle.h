// SPDX-License-Identifier: MIT
#pragma once
/// @file The middle actor: a box on the path between two kernel sockets - a load
/// balancer's idle timeout, a NAT, a firewall, tcpkill - that watches the connection and
/// injects RSTs and FINs toward either end, each made to look as if the other end had
/// sent it, with sequence numbers taken from what it has seen.
///
/// It sits at the wire: it learns the connection from every segment the recorder saw on
/// the lab link, and it injects each segment into the link at the end it impersonates
/// (Lab::inject), so the segment travels the path that end's own segments take, queued
/// behind them, and the recorder captures it like any other.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/capture.h"
#include "rstlab/scenario.h"
#include "rstlab/trace.h"
#include "rstlab/wire.h"

namespace rstlab {

// MiddleTarget (which end an injected segment goes to): see rstlab/scenario.h.

/// What the middle knows about one direction of the connection, from the traffic.
struct MiddleView {
  bool seen = false;              ///< this end has sent something
  std::optional<uint32_t> isn;    ///< its SYN's seq
  uint32_t snd_nxt = 0;           ///< the highest seq + length it sent
  std::optional<uint32_t> acked;  ///< the highest ack it sent
  uint16_t window = 0;            ///< its last advertised window (unscaled)
};

class Middle {
 public:
  /// Sends one IP packet into the link from the side of `as_client` (true: as if the
  /// client's kernel had sent it, toward the server) - see Lab::inject.
  using Inject = std::function<void(bool as_client, const std::vector<uint8_t>& ip_packet)>;

  Middle(Endpoint client, Endpoint server, Inject inject);

  /// Learns the connection again from every packet captured so far (the recorder's
  /// list for this run: packets of other connections are skipped).
  void learn(int link_type, const std::vector<CapturedPacket>& packets);

  /// The receive sequence number the end `to` (0 client, 1 server) expects next, as the
  /// traffic shows it: the most its peer sent, or the most it acknowledged itself.
  std::optional<uint32_t> rcv_nxt(int to) const;

  /// Injects an RST (`fin` false) or a FIN toward `target`, with the sequence number
  /// `policy` says relative to the receiver's rcv_nxt; an RST carries ACK when
  /// `with_ack`, a FIN always does. Returns one line for the trace. Throws Error when
  /// the middle has not seen enough of the connection to aim.
  std::string inject(bool fin, MiddleTarget target, const SeqPolicy& policy, bool with_ack);

  /// Marks the captured frames that are the middle's own injected packets
  /// (PacketEvent::injected_by = "middle"). `packets` are the run's packets as numbered
  /// in the trace (frame N = packets[N-1]).
  void mark_injected(Trace& trace, int link_type, const std::vector<CapturedPacket>& packets) const;

  const MiddleView& view(int side) const { return view_[side]; }
  /// True when this captured frame is one of the middle's own injected packets.
  bool injected(int link_type, const CapturedPacket& packet) const;

 private:
  std::string inject_one(bool fin, int to, const SeqPolicy& policy, bool with_ack);

  Endpoint ep_[2];
  Inject send_;
  MiddleView view_[2];
  uint16_t ip_id_ = 0x4d00;  // its own IP ID range: Linux numbers its own segments elsewhere
  std::vector<std::vector<uint8_t>> injected_;  // every packet sent, byte for byte
};

}  // namespace rstlab
