// SPDX-License-Identifier: MIT
#include <tins/ip.h>
#include <tins/ip_address.h>
#include <tins/ipv6.h>
#include <tins/ipv6_address.h>
#include <tins/rawpdu.h>
#include <tins/tcp.h>

#include "rstlab/error.h"
#include "rstlab/segment.h"

namespace rstlab {

std::vector<uint8_t> build_segment(const SegmentSpec& s) {
  if (s.src.addr.family != s.dst.addr.family) throw Error("segment with mixed address families");
  Tins::TCP tcp(s.dst.port, s.src.port);
  tcp.seq(s.seq);
  tcp.ack_seq(s.ack);
  tcp.flags(s.flags);
  tcp.window(s.window);
  if (s.mss) tcp.mss(*s.mss);
  if (!s.payload.empty())
    tcp /= Tins::RawPDU(reinterpret_cast<const uint8_t*>(s.payload.data()),
                        static_cast<uint32_t>(s.payload.size()));

  std::vector<uint8_t> bytes;
  size_t ip_header = 0;
  if (s.src.addr.family == Family::V4) {
    Tins::IP ip(Tins::IPv4Address(s.dst.addr.str()), Tins::IPv4Address(s.src.addr.str()));
    ip.ttl(64);  // libtins defaults to 128; Linux uses 64
    ip.id(s.ip_id);
    ip.flags(Tins::IP::DONT_FRAGMENT);
    ip /= tcp;
    bytes = ip.serialize();
    ip_header = 20;
  } else {
    Tins::IPv6 ip(Tins::IPv6Address(s.dst.addr.str()), Tins::IPv6Address(s.src.addr.str()));
    ip.hop_limit(64);
    ip /= tcp;
    bytes = ip.serialize();
    ip_header = 40;
  }
  if (s.bad_checksum) {
    // libtins has no checksum setter: flip the computed value in the serialised bytes.
    const size_t at = ip_header + 16;
    bytes.at(at) ^= 0xff;
    bytes.at(at + 1) ^= 0x5a;
  }
  return bytes;
}

std::optional<SegmentSpec> linux_reset_for(const TcpSegment& in) {
  if (in.has(tcpflag::RST)) return std::nullopt;
  SegmentSpec r;
  r.src = in.dst;
  r.dst = in.src;
  r.window = 0;
  if (in.has(tcpflag::ACK)) {
    r.seq = in.ack;
    r.flags = tcpflag::RST;
  } else {
    r.seq = 0;
    r.ack = in.seq + in.seq_len();
    r.flags = tcpflag::RST | tcpflag::ACK;
  }
  return r;
}

}  // namespace rstlab
