// SPDX-License-Identifier: MIT
// The crafted peer behind the FarEnd interface, without a lab: an in-memory link feeds
// it the kernel's segments and keeps what it sends; a small host records what the
// runner would (actions, failures). Checks the option negotiation and timestamps.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>

#include "rstlab/far_end.h"
#include "rstlab/segment.h"

using namespace rstlab;

namespace {

/// A PeerLink in memory: inject() queues a packet for the peer; sent() is what it sent.
class MemoryLink final : public PeerLink {
 public:
  MemoryLink() : fd_(::eventfd(0, EFD_NONBLOCK)) {}
  ~MemoryLink() override { ::close(fd_); }
  int fd() const override { return fd_; }
  bool receive(std::vector<uint8_t>& p) override {
    if (in_.empty()) return false;
    p = std::move(in_.front());
    in_.pop_front();
    return true;
  }
  void send(const std::vector<uint8_t>& p) override {
    auto s = parse_segment(p);
    ASSERT_TRUE(s);
    sent_.push_back(*s);
  }
  void inject(const SegmentSpec& s) { in_.push_back(build_segment(s)); }
  const std::vector<ReceivedSegment>& sent() const { return sent_; }

 private:
  int fd_;
  std::deque<std::vector<uint8_t>> in_;
  std::vector<ReceivedSegment> sent_;
};

/// The runner's part, reduced: no network to service, so a wait is one look.
class RecordingHost final : public FarEndHost {
 public:
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds) override { return done(); }
  std::chrono::milliseconds step_timeout() const override { return std::chrono::milliseconds(10); }
  void add_step_action(const Step&, const std::string& action, const std::string& detail, int64_t,
                       std::optional<bool>) override {
    actions.push_back(action + ": " + detail);
  }
  void fail(const Step&, const std::string& what) override { failures.push_back(what); }
  void settle() override {}
  std::vector<std::string> actions, failures;
};

const Endpoint kKernel = Endpoint::parse("192.0.2.1:40001");
const Endpoint kPeer = Endpoint::parse("192.0.2.2:8080");

SegmentSpec from_kernel(uint8_t flags, uint32_t seq, uint32_t ack, const std::string& data = "") {
  SegmentSpec s;
  s.src = kKernel;
  s.dst = kPeer;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.payload = data;
  return s;
}

/// A Linux SYN: every option offered.
SegmentSpec kernel_syn(uint32_t tsval) {
  SegmentSpec s = from_kernel(tcpflag::SYN, 5000, 0);
  s.options.mss = 1460;
  s.options.sack_permitted = true;
  s.options.timestamps = TcpTimestamps{tsval, 0};
  s.options.wscale = 7;
  return s;
}

TcpOptions mss_only() {
  TcpOptions o;
  o.mss = 1460;
  return o;
}

Step peer_step(StepOp op, const std::string& data = "") {
  Step s;
  s.actor = Role::Server;
  s.op = op;
  s.data = data;
  return s;
}

}  // namespace

TEST(CraftedPeer, AnswersASynWithWhatBothEndsOffered) {
  MemoryLink link;
  PeerOffer offer;
  offer.wscale = 7;
  offer.sack_permitted = true;
  offer.timestamps = true;
  auto far = make_crafted_peer(Role::Server, link, kPeer, kKernel, offer);
  EXPECT_EQ(far->role(), Role::Server);
  EXPECT_STREQ(far->kind(), "peer");
  ASSERT_EQ(far->fds(), std::vector<int>{link.fd()});

  link.inject(kernel_syn(777));
  EXPECT_TRUE(far->on_readable(link.fd()));
  ASSERT_EQ(link.sent().size(), 1u);
  const ReceivedSegment synack = link.sent()[0];  // a copy: later answers grow sent()
  EXPECT_EQ(synack.tcp.flags, tcpflag::SYN | tcpflag::ACK);
  EXPECT_EQ(synack.options.mss, std::optional<uint16_t>(1460));
  EXPECT_EQ(synack.options.wscale, std::optional<uint8_t>(7));
  EXPECT_TRUE(synack.options.sack_permitted);
  ASSERT_TRUE(synack.options.timestamps);
  EXPECT_EQ(synack.options.timestamps->ecr, 777u);  // echoes the kernel's TSval

  // The handshake's ACK, then data: every answer carries timestamps, TSval increasing,
  // TSecr following the kernel's latest TSval.
  SegmentSpec ack = from_kernel(tcpflag::ACK, 5001, synack.tcp.seq + 1);
  ack.options.timestamps = TcpTimestamps{778, synack.options.timestamps->val};
  link.inject(ack);
  SegmentSpec data = from_kernel(tcpflag::PSH | tcpflag::ACK, 5001, synack.tcp.seq + 1, "hi");
  data.options.timestamps = TcpTimestamps{790, synack.options.timestamps->val};
  link.inject(data);
  EXPECT_TRUE(far->on_readable(link.fd()));
  ASSERT_EQ(link.sent().size(), 2u);  // the pure ACK needs no answer; the data is ACKed
  const ReceivedSegment data_ack = link.sent()[1];
  EXPECT_EQ(data_ack.tcp.ack, 5003u);
  ASSERT_TRUE(data_ack.options.timestamps);
  EXPECT_GT(data_ack.options.timestamps->val, synack.options.timestamps->val);
  EXPECT_EQ(data_ack.options.timestamps->ecr, 790u);
  EXPECT_FALSE(data_ack.options.mss);
  EXPECT_FALSE(data_ack.options.wscale);

  // A scripted send carries them too.
  RecordingHost host;
  far->run_step(peer_step(StepOp::PeerSend, "ok"), host);
  ASSERT_EQ(link.sent().size(), 3u);
  ASSERT_TRUE(link.sent()[2].options.timestamps);
  EXPECT_GT(link.sent()[2].options.timestamps->val, data_ack.options.timestamps->val);
  EXPECT_EQ(host.actions, std::vector<std::string>{"send: sent 2 bytes"});
  EXPECT_TRUE(host.failures.empty());
  EXPECT_EQ(far->received_from(kKernel), 3u);
}

TEST(CraftedPeer, OffersNothingTheKernelDidNotOffer) {
  MemoryLink link;
  PeerOffer offer;
  offer.wscale = 7;
  offer.sack_permitted = true;
  offer.timestamps = true;
  auto far = make_crafted_peer(Role::Server, link, kPeer, kKernel, offer);
  SegmentSpec syn = from_kernel(tcpflag::SYN, 5000, 0);
  syn.options.mss = 1460;  // a SYN with MSS only
  link.inject(syn);
  far->on_readable(link.fd());
  ASSERT_EQ(link.sent().size(), 1u);
  EXPECT_EQ(link.sent()[0].options, mss_only());
}

TEST(CraftedPeer, WithoutAnOfferOnlyMss) {
  MemoryLink link;
  auto far = make_crafted_peer(Role::Server, link, kPeer, kKernel, PeerOffer{});
  link.inject(kernel_syn(5));
  far->on_readable(link.fd());
  ASSERT_EQ(link.sent().size(), 1u);
  EXPECT_EQ(link.sent()[0].options, mss_only());
}

TEST(CraftedPeer, AnUnmetExpectationSaysWhatArrived) {
  MemoryLink link;
  auto far = make_crafted_peer(Role::Server, link, kPeer, kKernel, PeerOffer{});
  link.inject(kernel_syn(5));
  far->on_readable(link.fd());
  RecordingHost host;
  far->run_step(peer_step(StepOp::PeerExpect, "R"), host);
  ASSERT_EQ(host.failures.size(), 1u);
  EXPECT_EQ(host.failures[0], "expected a segment with flags R within 10 ms; what arrived: S");
  EXPECT_EQ(host.actions, std::vector<std::string>{"expect: segment R never came"});
}

TEST(CraftedPeer, TakesOnlyThePeerStepsOfItsRole) {
  MemoryLink link;
  auto far = make_crafted_peer(Role::Client, link, kPeer, kKernel, PeerOffer{});
  Step send = peer_step(StepOp::PeerSend, "x");
  EXPECT_FALSE(far->takes(send));  // a server step
  send.actor = Role::Client;
  EXPECT_TRUE(far->takes(send));
  Step call;
  call.actor = Role::Client;
  call.op = StepOp::Call;
  EXPECT_FALSE(far->takes(call));
}

// The kernel retransmits its SYN (same ISN) when the answer is late (a loaded machine):
// the same handshake step. The SYN-ACK already sent answers it - no second one, whose
// ACK from the kernel would hold back a later challenge ACK - the connection does not go
// back to the handshake, and the retransmission is reported as an action of its own.
TEST(CraftedPeer, ARetransmittedSynIsTheSameHandshakeStep) {
  MemoryLink link;
  auto far = make_crafted_peer(Role::Server, link, kPeer, kKernel, PeerOffer{});
  std::vector<std::string> autos;
  far->on_action = [&](const std::string& action, const std::string& detail) {
    autos.push_back(action + ": " + detail);
  };
  link.inject(from_kernel(tcpflag::SYN, 5000, 0));
  far->on_readable(link.fd());
  ASSERT_EQ(link.sent().size(), 1u);
  const uint32_t iss = link.sent()[0].tcp.seq;
  link.inject(from_kernel(tcpflag::ACK, 5001, iss + 1));
  far->on_readable(link.fd());
  RecordingHost host;
  far->run_step(peer_step(StepOp::PeerSend, "ab"), host);
  // The retransmission, read late (it crossed the SYN-ACK), then data from the kernel.
  link.inject(from_kernel(tcpflag::SYN, 5000, 0));
  link.inject(from_kernel(tcpflag::PSH | tcpflag::ACK, 5001, iss + 3, "xy"));
  far->on_readable(link.fd());
  far->run_step(peer_step(StepOp::PeerSend, "c"), host);
  ASSERT_EQ(link.sent().size(), 4u);  // SYN-ACK, "ab", the ACK of "xy", "c"
  EXPECT_EQ(link.sent()[2].tcp.flags, tcpflag::ACK);
  EXPECT_EQ(link.sent()[2].tcp.ack, 5003u);
  EXPECT_EQ(link.sent()[3].tcp.seq, iss + 3) << "the sequence space went back to the handshake";
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_EQ(
      autos[0],
      "auto: the kernel retransmitted its SYN (same ISN): the same handshake step; the SYN-ACK "
      "already sent answers it: not sent twice");

  // synack off (a refusal the script sends): not answered yet, then the RST|ACK answers both.
  MemoryLink link2;
  auto refuser = make_crafted_peer(Role::Server, link2, kPeer, kKernel, PeerOffer{});
  autos.clear();
  refuser->on_action = far->on_action;
  Step off = peer_step(StepOp::PeerAnswerSyn);
  off.flag = false;
  refuser->run_step(off, host);
  link2.inject(from_kernel(tcpflag::SYN, 5000, 0));
  link2.inject(from_kernel(tcpflag::SYN, 5000, 0));
  refuser->on_readable(link2.fd());
  EXPECT_TRUE(link2.sent().empty());
  Step refuse = peer_step(StepOp::PeerRst);
  refuse.with_ack = true;
  refuse.seq.kind = SeqPolicy::Kind::Absolute;
  refuser->run_step(refuse, host);
  link2.inject(from_kernel(tcpflag::SYN, 5000, 0));
  refuser->on_readable(link2.fd());
  ASSERT_EQ(link2.sent().size(), 1u);
  EXPECT_EQ(link2.sent()[0].tcp.flags, tcpflag::RST | tcpflag::ACK);
  EXPECT_EQ(link2.sent()[0].tcp.ack, 5001u);
  ASSERT_EQ(autos.size(), 2u);
  EXPECT_NE(autos[0].find("not answered yet (synack off)"), std::string::npos) << autos[0];
  EXPECT_NE(autos[1].find("the RST|ACK already sent answers it"), std::string::npos) << autos[1];
}

// The peer as the client: the kernel server's SYN-ACK retransmitted is answered once.
TEST(CraftedPeer, ARetransmittedSynAckIsAnsweredOnce) {
  MemoryLink link;
  auto far = make_crafted_peer(Role::Client, link, kPeer, kKernel, PeerOffer{});
  std::vector<std::string> autos;
  far->on_action = [&](const std::string& action, const std::string& detail) {
    autos.push_back(action + ": " + detail);
  };
  RecordingHost host;
  Step connect = peer_step(StepOp::PeerConnect);
  connect.actor = Role::Client;
  connect.flag = true;
  link.inject(from_kernel(tcpflag::SYN | tcpflag::ACK, 7000, 1000000001));
  link.inject(from_kernel(tcpflag::SYN | tcpflag::ACK, 7000, 1000000001));
  far->run_step(connect, host);  // SYN; the host's wait takes one look: nothing read yet
  far->on_readable(link.fd());
  ASSERT_EQ(link.sent().size(), 2u);  // SYN, one ACK
  EXPECT_EQ(link.sent()[1].tcp.flags, tcpflag::ACK);
  EXPECT_EQ(link.sent()[1].tcp.ack, 7001u);
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_NE(autos[0].find("retransmitted its SYN-ACK (same ISN)"), std::string::npos) << autos[0];
  EXPECT_NE(autos[0].find("the ACK already sent answers it"), std::string::npos) << autos[0];
}
