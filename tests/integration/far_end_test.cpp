// SPDX-License-Identifier: MIT
// The far end behind its interface, live (needs root): the crafted peer negotiates
// window scale, SACK-permitted and timestamps with a real kernel, which agrees; and the
// runner's far ends (crafted peer, second kernel socket) show in the trace by kind.
#include <gtest/gtest.h>

#include <set>

#include "rstlab/runner.h"
#include "rstlab/segment.h"
#include "rstlab/wire.h"

using namespace rstlab;

namespace {

bool seq_ge(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

/// The IP packet inside a captured frame, for libtins.
std::optional<ReceivedSegment> segment_of(int link_type, const CapturedPacket& p) {
  size_t at = 0;
  switch (link_type) {
    case linktype::ETHERNET: at = 14; break;
    case linktype::LINUX_SLL: at = 16; break;
    case linktype::LINUX_SLL2: at = 20; break;
    case linktype::RAW:
    case linktype::RAW_LINKTYPE:
    case linktype::IPV4:
    case linktype::IPV6: at = 0; break;
    default: ADD_FAILURE() << "unexpected link type " << link_type; return std::nullopt;
  }
  if (p.data.size() <= at) return std::nullopt;
  return parse_segment(p.data.data() + at, p.data.size() - at);
}

struct Captured {
  std::vector<ReceivedSegment> from_kernel, from_peer;
};

Captured split(const RunResult& r, const Endpoint& kernel) {
  Captured c;
  for (const auto& p : r.packets)
    if (auto s = segment_of(r.link_type, p)) (s->tcp.src == kernel ? c.from_kernel : c.from_peer).push_back(*s);
  return c;
}

RunResult run(const std::string& text, LinkKind link) {
  const Scenario sc = parse_scenario(text, "options.scn");
  RunOptions opt;
  opt.link = link;
  RunResult r = run_scenario(sc, opt);
  EXPECT_TRUE(r.trace.passed()) << (r.trace.failures.empty() ? "" : r.trace.failures.front());
  return r;
}

const char* kServerPeerOffers = R"(scenario options-server
client   kernel
server   peer wscale=7 sackok ts
client connect        => 0
client write "hello"  => 5
server recv 5
server send "world"
client read 5         => "world"
server send "again"
client read 5         => "again"
client write "bye"    => 3
server recv 3
)";

const char* kClientPeerOffers = R"(scenario options-client
client   peer wscale=6 sackok ts
server   kernel
server listen        => 0
client connect
server accept
client send "one"
server read 3        => "one"
client send "two"
server read 3        => "two"
server write "back"  => 4
client recv 4
)";

/// The kernel's handshake answer agreed to everything offered; every later segment of
/// both ends carries timestamps, each end echoing the other's latest TSval; the kernel's
/// windows are scaled.
void expect_agreed(const Captured& c, uint8_t peer_wscale) {
  ASSERT_GE(c.from_kernel.size(), 3u);
  ASSERT_GE(c.from_peer.size(), 3u);
  const ReceivedSegment* k_syn = nullptr;
  const ReceivedSegment* p_syn = nullptr;
  for (const auto& s : c.from_kernel)
    if (s.tcp.has(tcpflag::SYN)) k_syn = &s;
  for (const auto& s : c.from_peer)
    if (s.tcp.has(tcpflag::SYN)) p_syn = &s;
  ASSERT_TRUE(k_syn && p_syn);
  EXPECT_EQ(p_syn->options.wscale, std::optional<uint8_t>(peer_wscale));
  EXPECT_TRUE(p_syn->options.sack_permitted);
  ASSERT_TRUE(p_syn->options.timestamps);
  ASSERT_TRUE(k_syn->options.timestamps);
  ASSERT_TRUE(k_syn->options.wscale);
  EXPECT_TRUE(k_syn->options.sack_permitted);
  const bool kernel_answers = k_syn->tcp.has(tcpflag::ACK);  // its SYN-ACK echoes the peer's SYN
  if (kernel_answers) EXPECT_EQ(k_syn->options.timestamps->ecr, p_syn->options.timestamps->val);
  else EXPECT_EQ(p_syn->options.timestamps->ecr, k_syn->options.timestamps->val);

  // After the handshake: timestamps everywhere, TSval never going back, and what each
  // end echoes is a TSval the other sent.
  auto check_side = [](const std::vector<ReceivedSegment>& mine, const std::vector<ReceivedSegment>& theirs,
                       const char* who) {
    std::set<uint32_t> their_vals;
    for (const auto& s : theirs)
      if (s.options.timestamps) their_vals.insert(s.options.timestamps->val);
    uint32_t last = 0;
    bool first = true;
    for (const auto& s : mine) {
      if (s.tcp.has(tcpflag::RST)) continue;
      ASSERT_TRUE(s.options.timestamps) << who << " sent a segment without timestamps";
      if (!first) {
        EXPECT_TRUE(seq_ge(s.options.timestamps->val, last)) << who << "'s TSval went back";
      }
      last = s.options.timestamps->val;
      first = false;
      if (!s.tcp.has(tcpflag::SYN) || s.tcp.has(tcpflag::ACK)) {
        EXPECT_TRUE(their_vals.count(s.options.timestamps->ecr)) << who << " echoed a TSval never sent";
      }
    }
  };
  check_side(c.from_kernel, c.from_peer, "the kernel");
  check_side(c.from_peer, c.from_kernel, "the peer");

  // Scaled windows: the kernel's first window after its SYN is its SYN's, shifted.
  const int shift = *k_syn->options.wscale;
  ASSERT_GT(shift, 0);
  for (const auto& s : c.from_kernel) {
    if (s.tcp.has(tcpflag::SYN)) continue;
    EXPECT_LT(s.tcp.window, k_syn->tcp.window) << "an unscaled window after the handshake";
    EXPECT_GE(uint64_t(s.tcp.window) << shift, uint64_t(k_syn->tcp.window) / 2);
    break;
  }
}

}  // namespace

class PeerOptions : public ::testing::TestWithParam<LinkKind> {};

TEST_P(PeerOptions, KernelAgreesToWhatTheServerPeerOffers) {
  const RunResult r = run(kServerPeerOffers, GetParam());
  expect_agreed(split(r, r.trace.client.endpoint), 7);
}

TEST_P(PeerOptions, KernelAgreesToWhatTheClientPeerOffers) {
  const RunResult r = run(kClientPeerOffers, GetParam());
  expect_agreed(split(r, r.trace.server.endpoint), 6);
}

TEST_P(PeerOptions, WithoutAnOfferTheKernelUsesNone) {
  // The same story with a plain peer: the kernel offers its options, the peer answers
  // with MSS only, and no later segment carries timestamps (what the peer always did).
  std::string text = kServerPeerOffers;
  text.replace(text.find("peer wscale=7 sackok ts"), 23, "peer");
  const RunResult r = run(text, GetParam());
  const Captured c = split(r, r.trace.client.endpoint);
  for (const auto& s : c.from_peer) {
    EXPECT_FALSE(s.options.timestamps);
    EXPECT_FALSE(s.options.wscale);
    EXPECT_FALSE(s.options.sack_permitted);
    EXPECT_EQ(s.options.mss, s.tcp.has(tcpflag::SYN) ? std::optional<uint16_t>(1460) : std::nullopt);
  }
  for (const auto& s : c.from_kernel) {
    if (!s.tcp.has(tcpflag::SYN)) {
      EXPECT_FALSE(s.options.timestamps);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Live, PeerOptions, ::testing::Values(LinkKind::Veth, LinkKind::Tun),
                         [](const auto& info) { return std::string(link_name(info.param)); });

TEST(FarEnd, TheTraceNamesEachEndByItsKind) {
  const RunResult peer = run("scenario p\nclient kernel\nserver peer\nclient connect => 0\n", LinkKind::Veth);
  EXPECT_EQ(peer.trace.client.kind, "kernel");
  EXPECT_EQ(peer.trace.server.kind, "peer");
  const RunResult kvk = run("scenario k\nclient kernel\nserver kernel\nserver listen => 0\nclient connect => 0\n"
                            "server accept\n",
                            LinkKind::Veth);
  EXPECT_EQ(kvk.trace.client.kind, "kernel");
  EXPECT_EQ(kvk.trace.server.kind, "kernel");
}
