// SPDX-License-Identifier: MIT
#pragma once
/// @file How the crafted peer's packets reach the kernel: one small interface
/// (the shape of packetdrill's netdev table) with a tun and a veth implementation.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rstlab/vocabulary.h"

namespace rstlab {

// LinkKind, link_name and parse_link: see rstlab/vocabulary.h.

/// The far side of the lab link as the peer sees it: whole IP packets in and out.
class PeerLink {
 public:
  virtual ~PeerLink() = default;
  /// Readable (POLLIN) when receive() may have a packet.
  virtual int fd() const = 0;
  /// Takes one IP packet addressed to the peer, without blocking; false when none waits.
  virtual bool receive(std::vector<uint8_t>& ip_packet) = 0;
  /// Sends one serialized IP packet towards the kernel.
  virtual void send(const std::vector<uint8_t>& ip_packet) = 0;
};

}  // namespace rstlab
