// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "rstlab/segment.h"
#include "rstlab/wire.h"

using namespace rstlab;

namespace {

std::vector<uint8_t> ip_packet(Family f, uint8_t flags = tcpflag::RST | tcpflag::ACK) {
  SegmentSpec s;
  s.src = Endpoint::parse(f == Family::V4 ? "198.51.100.7:443" : "[2001:db8::7]:443");
  s.dst = Endpoint::parse(f == Family::V4 ? "198.51.100.9:5555" : "[2001:db8::9]:5555");
  s.seq = 1234;
  s.ack = 99;
  s.flags = flags;
  return build_segment(s);
}

std::vector<uint8_t> concat(std::vector<uint8_t> head, const std::vector<uint8_t>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

DecodeStatus decode(int dlt, const std::vector<uint8_t>& b, TcpSegment& t) {
  return decode_tcp(dlt, b.data(), b.size(), t);
}

const std::vector<uint8_t> kMacs = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

}  // namespace

TEST(TcpFlags, PrintsLikeTcpdump) {
  EXPECT_EQ(tcp_flags_string(tcpflag::SYN), "S");
  EXPECT_EQ(tcp_flags_string(tcpflag::SYN | tcpflag::ACK), "S.");
  EXPECT_EQ(tcp_flags_string(tcpflag::ACK), ".");
  EXPECT_EQ(tcp_flags_string(tcpflag::PSH | tcpflag::ACK), "P.");
  EXPECT_EQ(tcp_flags_string(tcpflag::FIN | tcpflag::ACK), "F.");
  EXPECT_EQ(tcp_flags_string(tcpflag::FIN | tcpflag::PSH | tcpflag::ACK), "FP.");
  EXPECT_EQ(tcp_flags_string(tcpflag::RST), "R");
  EXPECT_EQ(tcp_flags_string(tcpflag::RST | tcpflag::ACK), "R.");
  EXPECT_EQ(tcp_flags_string(0), "none");
}

TEST(Decode, EthernetWithQinQTags) {
  auto frame = kMacs;
  frame.insert(frame.end(), {0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00});
  frame = concat(frame, ip_packet(Family::V4));
  TcpSegment t;
  ASSERT_EQ(decode(linktype::ETHERNET, frame, t), DecodeStatus::Ok);
  EXPECT_EQ(t.src.str(), "198.51.100.7:443");
  EXPECT_EQ(t.dst.str(), "198.51.100.9:5555");
  EXPECT_EQ(t.flags, tcpflag::RST | tcpflag::ACK);
  EXPECT_EQ(t.seq, 1234u);
  EXPECT_EQ(t.checksum, TcpSegment::Checksum::Good);
}

TEST(Decode, Ipv6OverEthernet) {
  auto frame = kMacs;
  frame.insert(frame.end(), {0x86, 0xdd});
  frame = concat(frame, ip_packet(Family::V6));
  TcpSegment t;
  ASSERT_EQ(decode(linktype::ETHERNET, frame, t), DecodeStatus::Ok);
  EXPECT_EQ(t.src.str(), "[2001:db8::7]:443");
  EXPECT_EQ(t.checksum, TcpSegment::Checksum::Good);
}

TEST(Decode, LinuxCookedV1AndV2) {
  std::vector<uint8_t> sll(16, 0);
  sll[14] = 0x08;
  TcpSegment t;
  EXPECT_EQ(decode(linktype::LINUX_SLL, concat(sll, ip_packet(Family::V4)), t), DecodeStatus::Ok);
  std::vector<uint8_t> sll2(20, 0);
  sll2[0] = 0x86;
  sll2[1] = 0xdd;
  EXPECT_EQ(decode(linktype::LINUX_SLL2, concat(sll2, ip_packet(Family::V6)), t), DecodeStatus::Ok);
  EXPECT_EQ(t.dst.port, 5555);
}

TEST(Decode, BsdLoopbackUsesVersionNibble) {
  TcpSegment t;
  EXPECT_EQ(decode(linktype::NULL_BSD, concat({2, 0, 0, 0}, ip_packet(Family::V4)), t), DecodeStatus::Ok);
  EXPECT_EQ(decode(linktype::LOOP, concat({0, 0, 0, 30}, ip_packet(Family::V6)), t), DecodeStatus::Ok);
}

TEST(Decode, NotTcp) {
  auto arp = kMacs;
  arp.insert(arp.end(), {0x08, 0x06});
  arp.resize(42, 0);
  TcpSegment t;
  EXPECT_EQ(decode(linktype::ETHERNET, arp, t), DecodeStatus::NotTcp);
  auto udp = ip_packet(Family::V4);
  udp[9] = 17;
  EXPECT_EQ(decode(linktype::RAW, udp, t), DecodeStatus::NotTcp);
}

TEST(Decode, TruncatedAtEveryLength) {
  const auto pkt = ip_packet(Family::V4);
  TcpSegment t;
  for (size_t n = 0; n < 40; ++n) {
    std::vector<uint8_t> cut(pkt.begin(), pkt.begin() + static_cast<long>(n));
    EXPECT_EQ(decode(linktype::RAW, cut, t), DecodeStatus::Truncated) << "length " << n;
  }
}

TEST(Decode, ImpossibleHeaderLengths) {
  auto pkt = ip_packet(Family::V4);
  TcpSegment t;
  auto bad_ihl = pkt;
  bad_ihl[0] = 0x43;  // IHL 12 bytes
  EXPECT_EQ(decode(linktype::RAW, bad_ihl, t), DecodeStatus::BadIpHeader);
  auto bad_total = pkt;
  bad_total[2] = 0;
  bad_total[3] = 10;  // total length below the header
  EXPECT_EQ(decode(linktype::RAW, bad_total, t), DecodeStatus::BadIpHeader);
  auto bad_doff = pkt;
  bad_doff[32] = 0x20;  // TCP data offset 8 bytes
  EXPECT_EQ(decode(linktype::RAW, bad_doff, t), DecodeStatus::BadTcpHeader);
  auto bad_version = pkt;
  bad_version[0] = 0x55;
  EXPECT_EQ(decode(linktype::RAW, bad_version, t), DecodeStatus::BadIpHeader);
}

TEST(Decode, SnaplenCutPayloadHasUnknownChecksum) {
  SegmentSpec s;
  s.src = Endpoint::parse("192.0.2.1:1");
  s.dst = Endpoint::parse("192.0.2.2:2");
  s.flags = tcpflag::PSH | tcpflag::ACK;
  s.payload = std::string(100, 'x');
  auto pkt = build_segment(s);
  pkt.resize(60);
  TcpSegment t;
  ASSERT_EQ(decode(linktype::RAW, pkt, t), DecodeStatus::Ok);
  EXPECT_EQ(t.payload_len, 100u);
  EXPECT_EQ(t.payload_captured, 20u);
  EXPECT_EQ(t.checksum, TcpSegment::Checksum::Unknown);
}

TEST(Decode, UnknownLinkType) {
  TcpSegment t;
  EXPECT_EQ(decode(9999, ip_packet(Family::V4), t), DecodeStatus::UnknownLinkType);
}

namespace {

// Real segments, captured with tcpdump -i lo on Linux with the offloads at their
// defaults (tools/make-real-captures, tests/data/real/close-unread-data-v4.pcap and
// -v6.pcap, link header removed): the client's request and the server's RST|ACK after
// close() with the request unread. tcpdump -v calls every one of them "incorrect".
const std::vector<uint8_t> kRealV4Request = {
    0x45, 0x00, 0x00, 0x3b, 0xb9, 0x36, 0x40, 0x00, 0x40, 0x06, 0x83, 0x84, 0x7f, 0x00, 0x00, 0x01, 0x7f,
    0x00, 0x00, 0x01, 0x98, 0xd4, 0x9c, 0x41, 0x24, 0x09, 0xfe, 0x7f, 0xa3, 0x42, 0xf9, 0x9e, 0x80, 0x18,
    0x00, 0x40, 0xfe, 0x2f, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x39, 0xef, 0xa5, 0x49, 0x5f, 0x17, 0x8c,
    0x26, 0x72, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74};
const std::vector<uint8_t> kRealV4Rst = {
    0x45, 0x00, 0x00, 0x34, 0xb2, 0x42, 0x40, 0x00, 0x40, 0x06, 0x8a, 0x7f, 0x7f, 0x00, 0x00, 0x01, 0x7f,
    0x00, 0x00, 0x01, 0x9c, 0x41, 0x98, 0xd4, 0xa3, 0x42, 0xf9, 0x9e, 0x24, 0x09, 0xfe, 0x86, 0x80, 0x14,
    0x00, 0x40, 0xfe, 0x28, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x5f, 0x17, 0x8c, 0x26, 0x39, 0xef, 0xa5,
    0x49};
const std::vector<uint8_t> kRealV6Rst = {
    0x60, 0x02, 0xe0, 0x0a, 0x00, 0x20, 0x06, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x9c, 0x41, 0xda, 0x22, 0x89, 0xdd, 0xd1, 0x1c, 0xb7, 0x75, 0xe0,
    0x49, 0x80, 0x14, 0x00, 0x40, 0x00, 0x28, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x82, 0x9f, 0x84, 0xcb,
    0xf8, 0x68, 0x49, 0x0a};

/// The one's complement sum of 16-bit big-endian words, the slow obvious way (the
/// reference for the decoder's fast one).
uint32_t slow_sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i < n; i += 2) sum += uint32_t(p[i]) << 8 | (i + 1 < n ? p[i + 1] : 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

/// What Linux leaves in the field with CHECKSUM_PARTIAL: the folded pseudo-header sum.
void make_offload_pending(std::vector<uint8_t>& pkt) {
  const bool v6 = (pkt[0] >> 4) == 6;
  const size_t ip_len = v6 ? 40 : size_t(pkt[0] & 0x0f) * 4;
  const size_t tcp_len = pkt.size() - ip_len;
  uint32_t sum = slow_sum(pkt.data() + (v6 ? 8 : 12), v6 ? 32 : 8);
  sum = slow_sum(nullptr, 0, sum + 6 + uint32_t(tcp_len));
  pkt[ip_len + 16] = uint8_t(sum >> 8);
  pkt[ip_len + 17] = uint8_t(sum);
}

}  // namespace

TEST(DecodeChecksum, RealOffloadPendingSegmentsFromLoopback) {
  for (const auto* pkt : {&kRealV4Request, &kRealV4Rst, &kRealV6Rst}) {
    TcpSegment t;
    ASSERT_EQ(decode(linktype::RAW, *pkt, t), DecodeStatus::Ok);
    EXPECT_EQ(t.checksum, TcpSegment::Checksum::Offload) << t.src.str() << " flags " << tcp_flags_string(t.flags);
  }
  // The same segment with the sum the NIC would have finished: good; with a byte of its
  // payload changed: neither good nor offload-pending.
  auto fixed = kRealV4Request;
  fixed[36] = fixed[37] = 0;
  const uint16_t c = uint16_t(~slow_sum(fixed.data() + 20, fixed.size() - 20,
                                        slow_sum(fixed.data() + 12, 8) + 6 + uint32_t(fixed.size() - 20)));
  fixed[36] = uint8_t(c >> 8);
  fixed[37] = uint8_t(c);
  TcpSegment t;
  ASSERT_EQ(decode(linktype::RAW, fixed, t), DecodeStatus::Ok);
  EXPECT_EQ(t.checksum, TcpSegment::Checksum::Good);
  fixed.back() ^= 0x20;
  ASSERT_EQ(decode(linktype::RAW, fixed, t), DecodeStatus::Ok);
  EXPECT_EQ(t.checksum, TcpSegment::Checksum::Bad);
}

TEST(DecodeChecksum, OffloadPendingOnTestNetAddressesEvenWhenCutBySnaplen) {
  for (Family f : {Family::V4, Family::V6}) {
    SegmentSpec s;
    s.src = Endpoint::parse(f == Family::V4 ? "192.0.2.1:40000" : "[2001:db8::1]:40000");
    s.dst = Endpoint::parse(f == Family::V4 ? "198.51.100.2:80" : "[2001:db8::2]:80");
    s.flags = tcpflag::PSH | tcpflag::ACK;
    s.payload = std::string(301, 'p');  // odd: the last byte is a word's high half
    auto pkt = build_segment(s);
    make_offload_pending(pkt);
    TcpSegment t;
    ASSERT_EQ(decode(linktype::RAW, pkt, t), DecodeStatus::Ok);
    EXPECT_EQ(t.checksum, TcpSegment::Checksum::Offload);
    pkt.resize(pkt.size() - 200);  // a 96-byte-style snap length: the headers are enough
    ASSERT_EQ(decode(linktype::RAW, pkt, t), DecodeStatus::Ok);
    EXPECT_EQ(t.checksum, TcpSegment::Checksum::Offload);
    EXPECT_EQ(t.payload_len, 301u);
  }
}

TEST(DecodeChecksum, GsoSuperSegmentsBeyond64KiB) {
  // BIG TCP: an IPv4 total length of 0 (or an IPv6 payload length of 0) on a
  // super-segment of more than 64 KiB; the length is the packet's, the pseudo-header
  // carries it as 32 bits.
  for (Family f : {Family::V4, Family::V6}) {
    SegmentSpec s;
    s.src = Endpoint::parse(f == Family::V4 ? "192.0.2.1:40000" : "[2001:db8::1]:40000");
    s.dst = Endpoint::parse(f == Family::V4 ? "198.51.100.2:80" : "[2001:db8::2]:80");
    s.flags = tcpflag::ACK;
    s.payload = std::string(1000, 'g');
    auto pkt = build_segment(s);
    pkt.insert(pkt.end(), 70000, 'g');  // the super-segment's payload
    const bool v6 = f == Family::V6;
    pkt[v6 ? 4 : 2] = pkt[v6 ? 5 : 3] = 0;
    const size_t ip_len = v6 ? 40 : 20, tcp_len = pkt.size() - ip_len;
    uint32_t sum = slow_sum(pkt.data() + (v6 ? 8 : 12), v6 ? 32 : 8) + 6 + uint32_t(tcp_len & 0xffff) +
                   uint32_t(tcp_len >> 16);
    sum = slow_sum(nullptr, 0, sum);
    pkt[ip_len + 16] = uint8_t(sum >> 8);
    pkt[ip_len + 17] = uint8_t(sum);
    TcpSegment t;
    ASSERT_EQ(decode(linktype::RAW, pkt, t), DecodeStatus::Ok);
    EXPECT_EQ(t.payload_len, 71000u);
    EXPECT_EQ(t.checksum, TcpSegment::Checksum::Offload);
  }
}

TEST(DecodeChecksum, FastSumEqualsTheObviousOne) {
  std::vector<uint8_t> buf(3000);
  uint32_t x = 12345;
  for (auto& b : buf) b = uint8_t((x = x * 1103515245 + 12345) >> 16);
  for (size_t start : {0, 1, 3}) {
    for (size_t n : {0, 1, 2, 7, 8, 9, 15, 64, 1499, 2997}) {
      EXPECT_EQ(checksum_fold(checksum_add(0x1234, buf.data() + start, n)),
                slow_sum(buf.data() + start, n, 0x1234))
          << "start " << start << " length " << n;
    }
  }
}

TEST(DecodeChecksum, FastSumEqualsTheObviousOneAtEveryLengthAndWithLargeSums) {
  // Every length across the 32-byte steps and their 8- and 2-byte tails, every start
  // alignment, and all-0xff bytes of a 256 KiB packet (the largest sums: carries).
  std::vector<uint8_t> buf(300);
  uint32_t x = 777;
  for (auto& b : buf) b = uint8_t((x = x * 1103515245 + 12345) >> 16);
  for (size_t start = 0; start < 4; ++start)
    for (size_t n = 0; n + start <= 260; ++n)
      ASSERT_EQ(checksum_fold(checksum_add(0xfffe, buf.data() + start, n)), slow_sum(buf.data() + start, n, 0xfffe))
          << "start " << start << " length " << n;
  const std::vector<uint8_t> ones(262144 + 7, 0xff);
  const auto folding_sum = [](const uint8_t* p, size_t n) {  // slow_sum's 32 bits would overflow here
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i += 2) sum = slow_sum(nullptr, 0, sum + (uint32_t(p[i]) << 8 | (i + 1 < n ? p[i + 1] : 0)));
    return sum;
  };
  for (size_t n : {size_t(262144), size_t(262144 + 7), size_t(65535)})
    EXPECT_EQ(checksum_fold(checksum_add(0, ones.data(), n)), folding_sum(ones.data(), n)) << n;
}
