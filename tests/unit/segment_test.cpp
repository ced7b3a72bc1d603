// SPDX-License-Identifier: MIT
// Segments built with libtins, read back with rstlab's own decoder.
#include <gtest/gtest.h>

#include "rstlab/segment.h"
#include "rstlab/wire.h"

using namespace rstlab;

namespace {

SegmentSpec spec(Family f) {
  SegmentSpec s;
  s.src = Endpoint::parse(f == Family::V4 ? "192.0.2.2:8080" : "[2001:db8::2]:8080");
  s.dst = Endpoint::parse(f == Family::V4 ? "192.0.2.1:40001" : "[2001:db8::1]:40001");
  s.seq = 0xfffffffeu;
  s.ack = 77;
  s.flags = tcpflag::PSH | tcpflag::ACK;
  s.payload = "hello";
  return s;
}

TcpSegment decode(const std::vector<uint8_t>& bytes) {
  TcpSegment t;
  EXPECT_EQ(decode_tcp(linktype::RAW, bytes.data(), bytes.size(), t), DecodeStatus::Ok);
  return t;
}

}  // namespace

class SegmentFamily : public ::testing::TestWithParam<Family> {};

TEST_P(SegmentFamily, RoundTripsThroughDecoder) {
  const SegmentSpec s = spec(GetParam());
  const auto bytes = build_segment(s);
  const TcpSegment t = decode(bytes);
  EXPECT_EQ(t.src, s.src);
  EXPECT_EQ(t.dst, s.dst);
  EXPECT_EQ(t.seq, s.seq);
  EXPECT_EQ(t.ack, s.ack);
  EXPECT_EQ(t.flags, s.flags);
  EXPECT_EQ(t.payload_len, 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.payload), t.payload_len), "hello");
  EXPECT_EQ(t.checksum, TcpSegment::Checksum::Good);
  // TTL / hop limit 64, like Linux (libtins would say 128).
  EXPECT_EQ(bytes[GetParam() == Family::V4 ? 8 : 7], 64);
}

TEST_P(SegmentFamily, BadChecksumIsReallyBad) {
  SegmentSpec s = spec(GetParam());
  s.flags = tcpflag::RST;
  s.payload.clear();
  s.bad_checksum = true;
  EXPECT_EQ(decode(build_segment(s)).checksum, TcpSegment::Checksum::Bad);
}

INSTANTIATE_TEST_SUITE_P(Families, SegmentFamily, ::testing::Values(Family::V4, Family::V6),
                         [](const auto& info) { return std::string(family_name(info.param)); });

TEST(Segment, SynCarriesMss) {
  SegmentSpec s = spec(Family::V4);
  s.flags = tcpflag::SYN;
  s.payload.clear();
  s.mss = 1460;
  const auto bytes = build_segment(s);
  ASSERT_GE(bytes.size(), 44u);
  EXPECT_EQ(bytes[32] >> 4, 6);  // data offset: 24 bytes with the MSS option
  EXPECT_EQ(bytes[40], 2);       // option kind MSS
  EXPECT_EQ((bytes[42] << 8) | bytes[43], 1460);
}

TEST(LinuxReset, AnswersAnAckingSegmentWithBareRstAtItsAck) {
  TcpSegment in;
  in.src = Endpoint::parse("192.0.2.1:40001");
  in.dst = Endpoint::parse("192.0.2.2:8080");
  in.seq = 100;
  in.ack = 5000;
  in.flags = tcpflag::PSH | tcpflag::ACK;
  in.payload_len = 1;
  const auto r = linux_reset_for(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->flags, tcpflag::RST);
  EXPECT_EQ(r->seq, 5000u);
  EXPECT_EQ(r->src, in.dst);
  EXPECT_EQ(r->dst, in.src);
}

TEST(LinuxReset, AnswersASynWithRstAckCoveringIt) {
  TcpSegment in;
  in.seq = 0xffffffffu;
  in.flags = tcpflag::SYN;
  const auto r = linux_reset_for(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->flags, tcpflag::RST | tcpflag::ACK);
  EXPECT_EQ(r->seq, 0u);
  EXPECT_EQ(r->ack, 0u);  // seq + 1 for the SYN, wrapped
}

TEST(LinuxReset, NeverAnswersAReset) {
  TcpSegment in;
  in.flags = tcpflag::RST;
  EXPECT_FALSE(linux_reset_for(in));
}
