// SPDX-License-Identifier: MIT
#pragma once
// Internal: the TCP decoder's body, inline, for callers on the per-packet path
// (rstlab::detail::decode_packet): inlined there, the segment it fills stays in
// registers instead of going through memory and back. rstlab::decode_tcp (wire.h) is
// the same function for everyone else.

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rstlab/wire.h"

namespace rstlab::detail {

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

/// An address written in one 16-byte store, IPv4 (zero-extended) as well as IPv6: the
/// flow key reads it right back with one 16-byte load (rstlab::detail::decode_packet),
/// which the CPU serves from the store only if the store was one piece. (GCC splits an
/// IPv4 address into two 8-byte stores unless the value sits in a vector register; the
/// empty asm keeps it there.)
inline void set_address(Address& a, Family f, const uint8_t* b) {
  a.family = f;
#if defined(__SSE2__)
  __m128i v;
  if (f == Family::V4) {
    int32_t v4;
    std::memcpy(&v4, b, 4);
    v = _mm_cvtsi32_si128(v4);
  } else {
    v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  }
  asm("" : "+x"(v));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(a.bytes.data()), v);
#else
  uint64_t w[2] = {0, 0};
  if (f == Family::V4) {
    uint32_t v4;
    std::memcpy(&v4, b, 4);
    w[0] = v4;
  } else {
    std::memcpy(w, b, 16);
  }
  std::memcpy(a.bytes.data(), w, 16);
#endif
}
inline uint32_t rd32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

constexpr uint16_t ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86DD, ETH_VLAN = 0x8100, ETH_QINQ = 0x88A8,
                   ETH_VLAN_OLD = 0x9100;
constexpr uint8_t PROTO_TCP = 6;

/// Strips link-layer headers; leaves `p`/`len` on the IP header and `ethertype` set
/// (0 when the link gives no type and the IP version nibble must tell).
inline DecodeStatus strip_link(int dlt, const uint8_t*& p, size_t& len, uint16_t& ethertype) {
  ethertype = 0;
  switch (dlt) {
    case linktype::ETHERNET: {
      if (len < 14) return DecodeStatus::Truncated;
      ethertype = rd16(p + 12);
      p += 14, len -= 14;
      while (ethertype == ETH_VLAN || ethertype == ETH_QINQ || ethertype == ETH_VLAN_OLD) {
        if (len < 4) return DecodeStatus::Truncated;
        ethertype = rd16(p + 2);
        p += 4, len -= 4;
      }
      return DecodeStatus::Ok;
    }
    case linktype::RAW:
    case linktype::RAW_LINKTYPE:
    case linktype::IPV4:
    case linktype::IPV6:
      return DecodeStatus::Ok;
    case linktype::NULL_BSD:
    case linktype::LOOP: {
      // 4-byte address family, host order for NULL, network order for LOOP; the IP
      // version nibble decides, so the byte order does not matter here.
      if (len < 4) return DecodeStatus::Truncated;
      p += 4, len -= 4;
      return DecodeStatus::Ok;
    }
    case linktype::LINUX_SLL: {
      if (len < 16) return DecodeStatus::Truncated;
      ethertype = rd16(p + 14);
      p += 16, len -= 16;
      return DecodeStatus::Ok;
    }
    case linktype::LINUX_SLL2: {
      if (len < 20) return DecodeStatus::Truncated;
      ethertype = rd16(p);
      p += 20, len -= 20;
      return DecodeStatus::Ok;
    }
    default:
      return DecodeStatus::UnknownLinkType;
  }
}

/// The checksum field of a TCP segment of `tcp_len` bytes (`present` of them captured)
/// judged: first the offload-pending form, which needs the pseudo-header alone (Linux
/// with CHECKSUM_PARTIAL stores ~csum_tcpudp_magic(saddr, daddr, len, IPPROTO_TCP, 0):
/// the folded pseudo-header sum, uncomplemented), then, when every byte is there, the
/// full sum. A field equal to the folded sum is taken as offload-pending even when it
/// would also verify (one chance in 65536): either way the segment is valid.
inline TcpSegment::Checksum tcp_checksum(const uint8_t* addrs, size_t addr_len, const uint8_t* tcp, size_t tcp_len,
                                         size_t present) {
  uint64_t pseudo = checksum_add(0, addrs, addr_len);
  pseudo += PROTO_TCP + uint64_t(tcp_len);  // the length as 32 bits: GSO super-segments exceed 16
  while (pseudo >> 32) pseudo = (pseudo & 0xffffffffu) + (pseudo >> 32);
  const uint16_t folded = checksum_fold(static_cast<uint32_t>(pseudo));
  const uint16_t field = rd16(tcp + 16);
  // 0x0000 and 0xffff are the same number in one's complement.
  if (field == folded || (folded == 0xffff && field == 0)) return TcpSegment::Checksum::Offload;
  if (present < tcp_len) return TcpSegment::Checksum::Unknown;
  return checksum_fold(checksum_add(static_cast<uint32_t>(pseudo), tcp, tcp_len)) == 0xffff
             ? TcpSegment::Checksum::Good
             : TcpSegment::Checksum::Bad;
}

/// rstlab::decode_tcp, always inlined (in the per-packet path: decode_packet).
__attribute__((always_inline)) inline DecodeStatus decode_tcp_inline(int dlt, const uint8_t* data, size_t caplen,
                                                                     TcpSegment& out, bool verify_checksum) {
  const uint8_t* p = data;
  size_t len = caplen;
  uint16_t ethertype = 0;
  DecodeStatus st = strip_link(dlt, p, len, ethertype);
  if (st != DecodeStatus::Ok) return st;
  if (ethertype != 0 && ethertype != ETH_IPV4 && ethertype != ETH_IPV6) return DecodeStatus::NotTcp;
  if (len < 1) return DecodeStatus::Truncated;

  const int version = p[0] >> 4;
  const uint8_t* tcp = nullptr;
  size_t ip_payload_len = 0;  // from the IP header: TCP header + payload on the wire
  const uint8_t* pseudo_addrs = nullptr;  // the addresses of the checksum's pseudo-header
  size_t pseudo_addr_len = 0;
  if (version == 4) {
    if (len < 20) return DecodeStatus::Truncated;
    const size_t ihl = size_t(p[0] & 0x0f) * 4;
    size_t total = rd16(p + 2);
    if (total == 0) total = len;  // a GSO super-segment beyond 64 KiB: the length is the packet's
    if (ihl < 20 || total < ihl) return DecodeStatus::BadIpHeader;
    if (len < ihl) return DecodeStatus::Truncated;
    if (p[9] != PROTO_TCP) return DecodeStatus::NotTcp;
    if ((rd16(p + 6) & 0x1fff) != 0) return DecodeStatus::NotTcp;  // non-first fragment
    set_address(out.src.addr, Family::V4, p + 12);
    set_address(out.dst.addr, Family::V4, p + 16);
    ip_payload_len = total - ihl;
    tcp = p + ihl;
    len -= ihl;
    pseudo_addrs = p + 12;
    pseudo_addr_len = 8;
  } else if (version == 6) {
    if (len < 40) return DecodeStatus::Truncated;
    uint8_t next = p[6];
    ip_payload_len = rd16(p + 4);
    if (ip_payload_len == 0) ip_payload_len = len - 40;  // a jumbo GSO super-segment (BIG TCP)
    set_address(out.src.addr, Family::V6, p + 8);
    set_address(out.dst.addr, Family::V6, p + 24);
    pseudo_addrs = p + 8;
    pseudo_addr_len = 32;
    const uint8_t* q = p + 40;
    len -= 40;
    // Skip the common extension headers (hop-by-hop, routing, destination options).
    while (next == 0 || next == 43 || next == 60) {
      if (len < 8) return DecodeStatus::Truncated;
      const size_t ext = (size_t(q[1]) + 1) * 8;
      if (ext > len || ext > ip_payload_len) return DecodeStatus::BadIpHeader;
      next = q[0];
      q += ext, len -= ext, ip_payload_len -= ext;
    }
    if (next != PROTO_TCP) return DecodeStatus::NotTcp;
    tcp = q;
  } else {
    return DecodeStatus::BadIpHeader;
  }

  if (len < 20) return DecodeStatus::Truncated;
  const size_t doff = size_t(tcp[12] >> 4) * 4;
  if (doff < 20 || doff > ip_payload_len) return DecodeStatus::BadTcpHeader;
  if (len < doff) return DecodeStatus::Truncated;
  out.src.port = rd16(tcp);
  out.dst.port = rd16(tcp + 2);
  out.seq = rd32(tcp + 4);
  out.ack = rd32(tcp + 8);
  out.flags = tcp[13];
  out.window = rd16(tcp + 14);
  out.wscale = out.mss = -1;
  if (out.flags & tcpflag::SYN) {
    // Options matter on SYNs only (window scale decides how later windows read).
    for (size_t o = 20; o < doff;) {
      const uint8_t kind = tcp[o];
      if (kind == 0) break;
      if (kind == 1) {
        ++o;
        continue;
      }
      if (o + 1 >= doff || tcp[o + 1] < 2 || o + tcp[o + 1] > doff) break;
      if (kind == 2 && tcp[o + 1] == 4) out.mss = rd16(tcp + o + 2);
      if (kind == 3 && tcp[o + 1] == 3) out.wscale = tcp[o + 2] > 14 ? 14 : tcp[o + 2];
      o += tcp[o + 1];
    }
  }
  out.payload_len = static_cast<uint32_t>(ip_payload_len - doff);
  out.payload = tcp + doff;
  const size_t present = len - doff;
  out.payload_captured = static_cast<uint32_t>(present < out.payload_len ? present : out.payload_len);
  out.checksum = verify_checksum ? tcp_checksum(pseudo_addrs, pseudo_addr_len, tcp, ip_payload_len, len)
                                 : TcpSegment::Checksum::Unknown;
  return DecodeStatus::Ok;
}

}  // namespace rstlab::detail
