// SPDX-License-Identifier: MIT
#pragma once
/// @file A bounds-checked decoder from captured bytes to a TCP segment view.
/// No allocation, no exceptions: every malformed input gets a named status.
/// This is the reading side; segments are *built* with libtins in the peer.

#include <cstddef>
#include <cstdint>
#include <string>

#include "rstlab/address.h"

namespace rstlab {

/// TCP header flag bits.
namespace tcpflag {
constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20,
                  ECE = 0x40, CWR = 0x80;
}

/// Flags written the way tcpdump writes them: "S", "S.", ".", "P.", "F.", "R", "R.", "none".
std::string tcp_flags_string(uint8_t flags);

/// libpcap data-link types the decoder understands (values are DLT_* / LINKTYPE_*).
namespace linktype {
constexpr int NULL_BSD = 0, ETHERNET = 1, RAW = 12, RAW_LINKTYPE = 101, LOOP = 108,
              LINUX_SLL = 113, IPV4 = 228, IPV6 = 229, LINUX_SLL2 = 276;
}

/// One TCP segment decoded from a captured packet. `payload` points into the
/// caller's buffer and is valid only as long as that buffer.
struct TcpSegment {
  Endpoint src, dst;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint32_t payload_len = 0;        ///< Payload length from the IP header (wire length).
  const uint8_t* payload = nullptr;
  uint32_t payload_captured = 0;   ///< Payload bytes actually present in the capture.
  int wscale = -1;  ///< Window-scale option of a SYN (-1: absent)
  int mss = -1;     ///< MSS option of a SYN (-1: absent)
  /// What the TCP checksum field shows. Good: it verifies. Offload: it holds the folded
  /// pseudo-header sum (addresses, protocol, TCP length) that Linux leaves for the NIC
  /// to complete (CHECKSUM_PARTIAL): the segment was captured on the host that sent it,
  /// before the device finished the sum, and is valid on the wire. Bad: neither.
  /// Unknown: not checked, or the segment is cut by the snap length (the offload form is
  /// still recognised then: it needs only the headers).
  enum class Checksum : uint8_t { Good, Bad, Unknown, Offload } checksum = Checksum::Unknown;

  bool has(uint8_t f) const { return (flags & f) != 0; }
  /// Sequence space the segment occupies (payload + SYN + FIN).
  uint32_t seq_len() const { return payload_len + (has(tcpflag::SYN) ? 1 : 0) + (has(tcpflag::FIN) ? 1 : 0); }
};

enum class DecodeStatus {
  Ok,
  NotTcp,           ///< A valid packet that is not TCP over IP (ARP, UDP, ICMP...).
  Truncated,        ///< Cut before the end of the TCP header.
  BadIpHeader,      ///< Impossible IP version, header length or total length.
  BadTcpHeader,     ///< Impossible TCP data offset.
  UnknownLinkType,  ///< A data-link type this decoder does not know.
};

/// Short name of a status, for warnings and counters ("truncated", "bad-ip-header"...).
const char* decode_status_name(DecodeStatus s);

/// Decodes one captured packet of data-link type `dlt`.
/// `caplen` bytes are present at `data`; IP lengths are checked against them. Without
/// `verify_checksum` the checksum is left Unknown (it costs a pass over the payload).
/// An IPv4 total length of 0, or an IPv6 payload length of 0 (the >64 KiB GSO
/// super-segments of "BIG TCP", seen on the sending host), takes its length from the
/// captured bytes.
DecodeStatus decode_tcp(int dlt, const uint8_t* data, size_t caplen, TcpSegment& out,
                        bool verify_checksum = true);

/// Internet checksum (RFC 1071) over `len` bytes, folded, not complemented, added to `sum`.
uint32_t checksum_add(uint32_t sum, const uint8_t* data, size_t len);
uint16_t checksum_fold(uint32_t sum);

}  // namespace rstlab
