// SPDX-License-Identifier: MIT
#pragma once
/// @file Crafting TCP segments with libtins: the only place where packets are built.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/wire.h"

namespace rstlab {

/// Everything needed to build one IPv4 or IPv6 TCP segment.
struct SegmentSpec {
  Endpoint src, dst;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;  ///< tcpflag bits
  uint16_t window = 65535;
  std::string payload;
  std::optional<uint16_t> mss;  ///< MSS option (SYN and SYN-ACK)
  bool bad_checksum = false;    ///< Corrupt the TCP checksum after serialisation
  uint16_t ip_id = 0;
};

/// Serialises the segment (IP header, TCP header, payload) with libtins, with TTL /
/// hop limit 64 like Linux and correct checksums unless `bad_checksum`.
std::vector<uint8_t> build_segment(const SegmentSpec& spec);

/// The reset Linux sends when a segment arrives for a socket that cannot take it
/// (tcp_v4_send_reset): with the offending segment's ACK, `R` with seq = its ack;
/// without, `R.` with seq 0 and ack = its seq + length. nullopt for an RST (never answered).
std::optional<SegmentSpec> linux_reset_for(const TcpSegment& offending);

}  // namespace rstlab
