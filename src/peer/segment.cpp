// SPDX-License-Identifier: MIT
#include <tins/exceptions.h>
#include <tins/ip.h>
#include <tins/ip_address.h>
#include <tins/ipv6.h>
#include <tins/ipv6_address.h>
#include <tins/rawpdu.h>
#include <tins/tcp.h>

#include "rstlab/error.h"
#include "rstlab/segment.h"

namespace rstlab {
namespace {

constexpr size_t kMaxOptions = 40;  // data offset 15 words, minus the 20-byte header
constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3

void nop(Tins::TCP& tcp) { tcp.add_option(Tins::TCP::option(Tins::TCP::NOP)); }

/// Adds the options in Linux's order (tcp_options_write), NOPs included, so that libtins
/// never pads the list with EOL bytes in the middle of a Linux-shaped header. libtins
/// writes a NOP option as the single byte it is.
void add_options(Tins::TCP& tcp, const TcpOptions& o) {
  if (o.size() > kMaxOptions)
    throw Error("TCP options take " + std::to_string(o.size()) + " bytes; at most 40 fit in a header");
  if (o.wscale && *o.wscale > kMaxWscale)
    throw Error("window scale " + std::to_string(*o.wscale) + " is above 14 (RFC 7323)");
  if (o.mss) tcp.mss(*o.mss);
  if (o.timestamps) {
    if (o.sack_permitted) tcp.sack_permitted();
    else nop(tcp), nop(tcp);
    tcp.timestamp(o.timestamps->val, o.timestamps->ecr);
  } else if (o.sack_permitted) {
    nop(tcp), nop(tcp);
    tcp.sack_permitted();
  }
  if (o.wscale) {
    nop(tcp);
    tcp.winscale(*o.wscale);
  }
  if (!o.sack.empty()) {
    nop(tcp), nop(tcp);
    Tins::TCP::sack_type edges;
    for (const SackBlock& b : o.sack) {
      edges.push_back(b.left);
      edges.push_back(b.right);
    }
    tcp.sack(edges);
  }
}

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

TcpOptions read_options(const Tins::TCP& tcp) {
  TcpOptions o;
  for (const auto& opt : tcp.options()) {
    const uint8_t* d = opt.data_ptr();
    const size_t n = opt.data_size();
    switch (opt.option()) {
      case Tins::TCP::MSS:
        if (n == 2) o.mss = static_cast<uint16_t>(d[0] << 8 | d[1]);
        break;
      case Tins::TCP::WSCALE:
        if (n == 1) o.wscale = d[0];
        break;
      case Tins::TCP::SACK_OK:
        if (n == 0) o.sack_permitted = true;
        break;
      case Tins::TCP::SACK:
        if (n % 8 == 0)
          for (size_t k = 0; k < n; k += 8) o.sack.push_back({be32(d + k), be32(d + k + 4)});
        break;
      case Tins::TCP::TSOPT:
        if (n == 8) o.timestamps = TcpTimestamps{be32(d), be32(d + 4)};
        break;
      default: break;
    }
  }
  return o;
}

template <class IpPdu>
std::optional<ReceivedSegment> to_segment(const IpPdu& ip) {
  const auto* tcp = ip.template find_pdu<Tins::TCP>();
  if (!tcp) return std::nullopt;
  ReceivedSegment s;
  s.tcp.src.addr = Address::parse(ip.src_addr().to_string());
  s.tcp.dst.addr = Address::parse(ip.dst_addr().to_string());
  s.tcp.src.port = tcp->sport();
  s.tcp.dst.port = tcp->dport();
  s.tcp.seq = tcp->seq();
  s.tcp.ack = tcp->ack_seq();
  s.tcp.flags = static_cast<uint8_t>(tcp->flags());
  s.tcp.window = tcp->window();
  if (const auto* raw = tcp->template find_pdu<Tins::RawPDU>())
    s.payload.assign(raw->payload().begin(), raw->payload().end());
  s.tcp.payload_len = static_cast<uint32_t>(s.payload.size());
  s.options = read_options(*tcp);
  if (s.options.mss) s.tcp.mss = *s.options.mss;
  if (s.options.wscale) s.tcp.wscale = *s.options.wscale;
  return s;
}

}  // namespace

size_t TcpOptions::size() const {
  size_t n = 0;
  if (mss) n += 4;
  if (timestamps) n += 12;  // NOP NOP TS, or SACK-permitted TS
  else if (sack_permitted) n += 4;
  if (wscale) n += 4;
  if (!sack.empty()) n += 4 + 8 * sack.size();
  return n;
}

std::vector<uint8_t> build_segment(const SegmentSpec& s) {
  if (s.src.addr.family != s.dst.addr.family) throw Error("segment with mixed address families");
  Tins::TCP tcp(s.dst.port, s.src.port);
  tcp.seq(s.seq);
  tcp.ack_seq(s.ack);
  tcp.flags(s.flags);
  tcp.window(s.window);
  add_options(tcp, s.options);
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

std::optional<ReceivedSegment> parse_segment(const uint8_t* b, size_t size) {
  if (size == 0) return std::nullopt;
  try {
    // Tins::IP throws on IPv6 bytes: the version nibble decides first.
    if ((b[0] >> 4) == 4) return to_segment(Tins::IP(b, static_cast<uint32_t>(size)));
    if ((b[0] >> 4) == 6) return to_segment(Tins::IPv6(b, static_cast<uint32_t>(size)));
  } catch (const Tins::exception_base&) {
  }
  return std::nullopt;
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
