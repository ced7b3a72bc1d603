// SPDX-License-Identifier: MIT
// Segments built with libtins, read back with rstlab's own decoder.
#include <gtest/gtest.h>

#include "rstlab/error.h"
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
  s.options.mss = 1460;
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

// ---- TCP options: built in Linux's layout, read back by libtins and by rstlab's decoder.

namespace {

SegmentSpec syn_with(const TcpOptions& o) {
  SegmentSpec s = spec(Family::V4);
  s.flags = tcpflag::SYN;
  s.payload.clear();
  s.options = o;
  return s;
}

/// The option bytes of an IPv4 segment without IP options.
std::vector<uint8_t> option_bytes(const std::vector<uint8_t>& b) {
  const size_t offset = size_t(b.at(32) >> 4) * 4;
  return std::vector<uint8_t>(b.begin() + 40, b.begin() + 20 + offset);
}

}  // namespace

TEST(SegmentOptions, SynOffersEveryOptionInLinuxOrder) {
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamps = TcpTimestamps{0x01020304u, 0};
  o.wscale = 7;
  const auto bytes = build_segment(syn_with(o));
  // As Linux writes a SYN's options: MSS, SACK-permitted + timestamps, NOP + window scale.
  const std::vector<uint8_t> want = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7};
  EXPECT_EQ(option_bytes(bytes), want);
  EXPECT_EQ(o.size(), want.size());
  const auto back = parse_segment(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->options, o);
  // rstlab's own decoder agrees on the SYN options it reads, and on the checksum.
  const TcpSegment t = decode(bytes);
  EXPECT_EQ(t.mss, 1460);
  EXPECT_EQ(t.wscale, 7);
  EXPECT_EQ(t.checksum, TcpSegment::Checksum::Good);
}

TEST(SegmentOptions, EachOptionAloneRoundTrips) {
  TcpOptions mss, ws, sackok, ts, sack;
  mss.mss = 536;
  ws.wscale = 14;
  sackok.sack_permitted = true;
  ts.timestamps = TcpTimestamps{0xfffffff0u, 0x12345678u};
  sack.sack = {{1000, 2000}, {0xfffffff0u, 0x10u}};
  for (const TcpOptions& o : {mss, ws, sackok, ts, sack}) {
    SegmentSpec s = spec(Family::V6);
    s.options = o;
    const auto bytes = build_segment(s);
    const auto back = parse_segment(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->options, o);
    EXPECT_EQ(back->payload, "hello");
    EXPECT_EQ(decode(bytes).checksum, TcpSegment::Checksum::Good);
    // The header grows by exactly the options' size: NOPs, never EOL padding.
    const size_t tcp_header = size_t(bytes.at(40 + 12) >> 4) * 4;
    EXPECT_EQ(tcp_header, 20 + o.size());
    EXPECT_EQ(o.size() % 4, 0u);
  }
}

TEST(SegmentOptions, DataSegmentCarriesTimestampsAfterTwoNops) {
  SegmentSpec s = spec(Family::V4);
  s.options.timestamps = TcpTimestamps{7, 9};
  const auto bytes = build_segment(s);
  const std::vector<uint8_t> want = {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9};
  EXPECT_EQ(option_bytes(bytes), want);
  EXPECT_EQ(decode(bytes).payload_len, 5u);
}

TEST(SegmentOptions, SackBlocksBesideTimestamps) {
  SegmentSpec s = spec(Family::V4);
  s.options.timestamps = TcpTimestamps{1, 2};
  s.options.sack = {{10, 20}, {30, 40}, {50, 60}};
  const auto bytes = build_segment(s);
  const auto o = option_bytes(bytes);
  ASSERT_EQ(o.size(), 40u);
  EXPECT_EQ(o[12], 1);
  EXPECT_EQ(o[13], 1);
  EXPECT_EQ(o[14], 5);   // SACK
  EXPECT_EQ(o[15], 26);  // 2 + 3 blocks of 8
  const auto back = parse_segment(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->options, s.options);
}

TEST(SegmentOptions, TooManyOptionsAreRefused) {
  SegmentSpec s = spec(Family::V4);
  s.options.timestamps = TcpTimestamps{1, 2};
  s.options.sack = {{10, 20}, {30, 40}, {50, 60}, {70, 80}};  // 12 + 36 bytes
  EXPECT_THROW(build_segment(s), Error);
  SegmentSpec w = spec(Family::V4);
  w.options.wscale = 15;
  EXPECT_THROW(build_segment(w), Error);
}

TEST(SegmentOptions, ParseRejectsWhatIsNotTcp) {
  EXPECT_FALSE(parse_segment(std::vector<uint8_t>{}));
  EXPECT_FALSE(parse_segment(std::vector<uint8_t>{0x45, 0, 0}));
  const auto bytes = build_segment(spec(Family::V4));
  auto udp = bytes;
  udp[9] = 17;  // protocol UDP
  EXPECT_FALSE(parse_segment(udp));
  EXPECT_TRUE(parse_segment(bytes));
}
