// SPDX-License-Identifier: MIT
#pragma once
/// @file Crafting and reading TCP segments with libtins: the only place where packets
/// are built, with every TCP option a Linux endpoint negotiates.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/wire.h"

namespace rstlab {

/// One SACK block: the receiver holds [left, right) (RFC 2018).
struct SackBlock {
  uint32_t left = 0, right = 0;
  bool operator==(const SackBlock& o) const { return left == o.left && right == o.right; }
};

/// The timestamps option (RFC 7323): the sender's clock, and the last value it received.
struct TcpTimestamps {
  uint32_t val = 0, ecr = 0;
  bool operator==(const TcpTimestamps& o) const { return val == o.val && ecr == o.ecr; }
};

/// The TCP options of one segment. Built in the order and with the NOP padding Linux
/// uses (tcp_options_write): MSS, SACK-permitted and timestamps (together, or each after
/// two NOPs), NOP + window scale, two NOPs + SACK blocks. At most 40 bytes fit.
struct TcpOptions {
  std::optional<uint16_t> mss;     ///< SYN and SYN-ACK only
  std::optional<uint8_t> wscale;   ///< window scale shift (SYN and SYN-ACK only; 0-14)
  bool sack_permitted = false;     ///< SYN and SYN-ACK only
  std::vector<SackBlock> sack;     ///< up to 4 blocks, 3 beside timestamps
  std::optional<TcpTimestamps> timestamps;

  /// Bytes these options take in the header, NOPs included.
  size_t size() const;
  bool operator==(const TcpOptions& o) const {
    return mss == o.mss && wscale == o.wscale && sack_permitted == o.sack_permitted && sack == o.sack &&
           timestamps == o.timestamps;
  }
};

/// Everything needed to build one IPv4 or IPv6 TCP segment.
struct SegmentSpec {
  Endpoint src, dst;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;  ///< tcpflag bits
  uint16_t window = 65535;
  std::string payload;
  TcpOptions options;
  bool bad_checksum = false;  ///< Corrupt the TCP checksum after serialisation
  uint16_t ip_id = 0;
};

/// Serialises the segment (IP header, TCP header with its options, payload) with
/// libtins, with TTL / hop limit 64 like Linux and correct checksums unless
/// `bad_checksum`. Throws Error when the options do not fit in 40 bytes or a window
/// scale exceeds 14.
std::vector<uint8_t> build_segment(const SegmentSpec& spec);

/// A segment as libtins parsed it from an IP packet, options included.
struct ReceivedSegment {
  TcpSegment tcp;  ///< payload pointer unset; see `payload`
  std::string payload;
  TcpOptions options;
};

/// Parses one IPv4 or IPv6 packet; nullopt for anything but well-formed TCP. Options
/// with an impossible length are left out.
std::optional<ReceivedSegment> parse_segment(const uint8_t* ip_packet, size_t size);
inline std::optional<ReceivedSegment> parse_segment(const std::vector<uint8_t>& ip_packet) {
  return parse_segment(ip_packet.data(), ip_packet.size());
}

/// The reset Linux sends when a segment arrives for a socket that cannot take it
/// (tcp_v4_send_reset): with the offending segment's ACK, `R` with seq = its ack;
/// without, `R.` with seq 0 and ack = its seq + length. nullopt for an RST (never answered).
std::optional<SegmentSpec> linux_reset_for(const TcpSegment& offending);

}  // namespace rstlab
