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
