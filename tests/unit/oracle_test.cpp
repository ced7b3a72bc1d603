// SPDX-License-Identifier: MIT
// The free oracle on hand-built traces: the TCP state each call recorded (TCP_INFO)
// against the model's state of that endpoint when it was read.
#include "rstlab/oracle.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>

#include "rstlab/wire.h"
#include "trace_builder.h"

using namespace rstlab;

namespace {

constexpr uint32_t kC = testkit::kClientIsn, kS = testkit::kServerIsn;
using namespace tcpflag;

/// Kernels at both ends; calls carry the TCP state TCP_INFO gave.
class Build : public testkit::TraceBuilder {
 public:
  Build() : TraceBuilder("veth", "kernel") {}
  /// A call that returned `ret` (or failed with `err`) with TCP_INFO saying `state`
  /// ("" for none), read `state_after_us` after it returned.
  size_t call(const std::string& actor, CallOp op, int fd, const std::string& state,
              int64_t ret = 0, int err = 0, int64_t state_after_us = 0) {
    SyscallEvent s;
    s.actor = actor;
    s.facts.op = op;
    s.facts.fd = fd;
    s.call = call_op_name(op);
    s.ret = err ? -1 : ret;
    if (err) s.err = err;
    s.state = state;
    int kernel = -1;
    for (int k = 1; k <= 12 && !state.empty(); ++k)
      if (tcp_state_name(k) == state) kernel = k;
    s.tcp_state = tcp_state_from_kernel(kernel);
    const int64_t at = next_t();
    s.t_start_ns = at - 1000;
    s.t_state_ns = at + state_after_us * 1000;
    return add_call(s, at);
  }
  void handshake() {
    call("server", CallOp::Listen, 3, "LISTEN");
    pkt(Dir::ClientToServer, SYN, kC, 0);
    pkt(Dir::ServerToClient, SYN | ACK, kS, kC + 1);
    pkt(Dir::ClientToServer, ACK, kC + 1, kS + 1);
    call("client", CallOp::Connect, 3, "ESTABLISHED");
    call("server", CallOp::Accept, 4, "ESTABLISHED", 4);
  }
  void shift_last(int64_t us) { t_.events.back().t_ns += us * 1000; }
};

}  // namespace

TEST(Oracle, AgreeingStatesGiveNoMismatch) {
  Build b;
  b.handshake();
  b.call("server", CallOp::Poll, 3, "LISTEN");  // a call on the listener: it stays in LISTEN
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  b.call("server", CallOp::Read, 4, "FIN_WAIT1", 0, EAGAIN);
  b.pkt(Dir::ClientToServer, ACK, kC + 1, kS + 2);
  b.call("client", CallOp::Read, 3, "CLOSE_WAIT", 0);
  b.call("server", CallOp::Poll, 4, "FIN_WAIT2", 0);
  b.call("client", CallOp::Close, 3, "");  // no socket left to describe
  const auto found = compare_with_tcp_info(b.trace());
  for (const auto& a : found) ADD_FAILURE() << a.event << ": " << a.text;
}

TEST(Oracle, ADeliberateMismatchGivesOneAnnotation) {
  Build b;
  b.handshake();
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  // The client's kernel took the FIN (CLOSE_WAIT); this trace claims it did not.
  const size_t lie = b.call("client", CallOp::Read, 3, "ESTABLISHED", 0);
  b.call("client", CallOp::GetSockOpt, 3, "CLOSE_WAIT", 0);
  Trace& t = b.trace();
  const auto found = compare_with_tcp_info(t);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].event, lie);
  EXPECT_EQ(found[0].kind, "mismatch");
  EXPECT_EQ(found[0].text, "MODEL MISMATCH: TCP_INFO says ESTABLISHED, the model says CLOSE_WAIT");
  t.annotations.push_back({0, "call", "listen", ""});
  t.annotations.push_back({lie + 1, "call", "later", ""});
  EXPECT_EQ(check_states(t), 1u);
  ASSERT_EQ(t.annotations.size(), 3u);
  EXPECT_EQ(t.annotations[1].event, lie) << "kept in event order";
  EXPECT_EQ(model_mismatches(t), 1u);
}

// TCP_INFO is read just after the call returns: a segment the capture saw before that
// moment has been taken into account, one it saw after has not.
TEST(Oracle, TheModelIsReadWhenTheKernelWas) {
  Build b;
  b.handshake();
  // The FIN reached the capture 5 us after the read returned but before TCP_INFO was
  // read (20 us after): the state says CLOSE_WAIT, rightly.
  const size_t read = b.call("client", CallOp::Read, 3, "CLOSE_WAIT", 0, 0, 20);
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  b.trace().events.back().t_ns = b.trace().events[read].t_ns + 5000;
  EXPECT_TRUE(compare_with_tcp_info(b.trace()).empty());
  // Read at the return instead, the same state would be a mismatch.
  std::get<SyscallEvent>(b.trace().events[read].body).t_state_ns = 0;
  const auto found = compare_with_tcp_info(b.trace());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "MODEL MISMATCH: TCP_INFO says CLOSE_WAIT, the model says ESTABLISHED");
}

TEST(Oracle, ATimeoutClosesTheSocketWithoutASegment) {
  Build b;
  b.handshake();
  b.call("client", CallOp::Write, 3, "CLOSE", 0, ETIMEDOUT);
  b.call("client", CallOp::GetSockOpt, 3, "CLOSE", 0);
  EXPECT_TRUE(compare_with_tcp_info(b.trace()).empty());
}

TEST(Oracle, AStateTheModelHasNoNameFor) {
  Build b;
  b.handshake();
  b.call("client", CallOp::Read, 3, "STATE99", 0);
  const auto found = compare_with_tcp_info(b.trace());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text,
            "MODEL MISMATCH: TCP_INFO says STATE99, a state the model has no name for; the model "
            "says ESTABLISHED");
}

// Each connection of a trace is replayed on its own, and its mismatches name events of
// the whole trace.
TEST(Oracle, EveryConnectionOnItsOwn) {
  Build b;
  b.handshake();
  Trace& t = b.trace();
  t.actors = {{"client", ProcessKind::Kernel, 1, 1, ""},
              {"server", ProcessKind::Kernel, 2, 2, ""},
              {"other", ProcessKind::Kernel, 3, 3, ""}};
  ConnectionInfo c0, c1;
  c0.id = 0;
  c0.client = {t.client.endpoint, ActorId{0}};
  c0.server = {t.server.endpoint, ActorId{1}};
  c1.id = 1;
  c1.client = {Endpoint::parse("192.0.2.3:40001"), ActorId{2}};
  c1.server = {t.server.endpoint, std::nullopt};
  t.connections = {c0, c1};
  for (auto& e : t.events)
    if (auto* s = std::get_if<SyscallEvent>(&e.body)) s->actor_id = t.find_actor(s->actor);
  // Connection 1: only its own SYN; its client says SYN_SENT, then claims ESTABLISHED.
  const size_t syn = b.pkt(Dir::ClientToServer, SYN, 77, 0);
  std::get<PacketEvent>(t.events[syn].body).conn = 1;
  const size_t ok = b.call("other", CallOp::Connect, 5, "SYN_SENT", 0, EINPROGRESS);
  const size_t bad = b.call("other", CallOp::Poll, 5, "ESTABLISHED", 0);
  for (size_t i : {ok, bad}) {
    auto& s = std::get<SyscallEvent>(t.events[i].body);
    s.conn = 1;
    s.actor_id = 2;
  }
  // Connection 0 is ESTABLISHED all along: the other connection's SYN does not move it.
  const size_t fine = b.call("client", CallOp::Poll, 3, "ESTABLISHED", 0);
  std::get<SyscallEvent>(t.events[fine].body).actor_id = 0;
  const auto found = compare_with_tcp_info(t);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].event, bad);
  EXPECT_EQ(found[0].text, "MODEL MISMATCH: TCP_INFO says ESTABLISHED, the model says SYN_SENT");
}

// A connection in TIME_WAIT is held by the kernel's timewait socket; the descriptor's own
// socket is closed, so TCP_INFO says CLOSE where the model says TIME_WAIT.
TEST(Oracle, TimeWaitIsCloseToTcpInfo) {
  Build b;
  b.handshake();
  b.pkt(Dir::ClientToServer, FIN | ACK, kC + 1, kS + 1);
  b.pkt(Dir::ServerToClient, ACK, kS + 1, kC + 2);
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 2);
  const size_t read = b.call("client", CallOp::Read, 3, "CLOSE", 0);
  EXPECT_TRUE(compare_with_tcp_info(b.trace()).empty());
  auto& s = std::get<SyscallEvent>(b.trace().events[read].body);
  s.state = "TIME_WAIT";
  s.tcp_state = TcpState::TimeWait;
  const auto found = compare_with_tcp_info(b.trace());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "MODEL MISMATCH: TCP_INFO says TIME_WAIT, the model says TIME_WAIT (CLOSE to TCP_INFO)");
}

// rstlab-difftest seed 2352 (veth): shutdown(SHUT_RDWR) starts, its FIN goes out, and
// data still in flight arrives before the call returns: the receive side was shut at the
// call's start, so the data makes the kernel abort (CLOSE, not FIN_WAIT2). The oracle
// applies such a call at its start and compares when its state was read.
TEST(Oracle, AShutdownTakesEffectWhenItStarts) {
  Build b;
  b.handshake();
  const size_t shut = b.call("client", CallOp::Shutdown, 3, "CLOSE");
  auto& s = std::get<SyscallEvent>(b.trace().events[shut].body);
  s.facts.shut_how = SHUT_RDWR;
  const int64_t start = b.trace().events[shut].t_ns;
  b.trace().events[shut].t_ns = start + 50000;  // it returned after the segments below
  s.t_start_ns = start;
  s.t_state_ns = start + 50000;
  b.pkt(Dir::ClientToServer, FIN | ACK, kC + 1, kS + 1);
  b.trace().events.back().t_ns = start + 10000;
  b.pkt(Dir::ServerToClient, ACK, kS + 1, kC + 2, 100);
  b.trace().events.back().t_ns = start + 20000;
  b.pkt(Dir::ClientToServer, RST, kC + 2, 0);
  b.trace().events.back().t_ns = start + 30000;
  b.trace().sort_events();
  const auto found = compare_with_tcp_info(b.trace());
  for (const auto& a : found) ADD_FAILURE() << a.event << ": " << a.text;
}

// rstlab-difftest seeds 1065 (tun) and 2552 (veth), kernel against kernel: the capture
// is taken on the client's side, so the client's ACK of the server's FIN is captured as
// it leaves, and the server's kernel may take it only after its TCP_INFO was read
// (FIN_WAIT1, where the model, having seen the ACK, says FIN_WAIT2). That is the segment
// in flight, not a rule; the same state on the client's side, or a state no in-flight
// segment explains, is still a mismatch.
TEST(Oracle, ASegmentStillInFlightToTheServerIsNoMismatch) {
  Build b;
  b.handshake();
  b.call("server", CallOp::Shutdown, 4, "FIN_WAIT1");
  std::get<SyscallEvent>(b.trace().events.back().body).facts.shut_how = SHUT_WR;
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  b.pkt(Dir::ClientToServer, ACK, kC + 1, kS + 2);
  const size_t so = b.call("server", CallOp::GetSockOpt, 4, "FIN_WAIT1");
  EXPECT_TRUE(compare_with_tcp_info(b.trace()).empty()) << "the ACK had not reached the server yet";
  // FIN_WAIT2 is right too (the ACK had arrived).
  std::get<SyscallEvent>(b.trace().events[so].body).state = "FIN_WAIT2";
  std::get<SyscallEvent>(b.trace().events[so].body).tcp_state = TcpState::FinWait2;
  EXPECT_TRUE(compare_with_tcp_info(b.trace()).empty());
  // ESTABLISHED is no state any delivery order gives.
  std::get<SyscallEvent>(b.trace().events[so].body).state = "ESTABLISHED";
  std::get<SyscallEvent>(b.trace().events[so].body).tcp_state = TcpState::Established;
  ASSERT_EQ(compare_with_tcp_info(b.trace()).size(), 1u);
  // The client's own segments are captured as they leave it: no excuse on its side.
  Build c;
  c.handshake();
  c.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  c.call("client", CallOp::Read, 3, "ESTABLISHED", 0);
  ASSERT_EQ(compare_with_tcp_info(c.trace()).size(), 1u);
}

TEST(Oracle, ASegmentTowardTheClientStampedBeforeItsTcpInfoIsNoMismatch) {
  // difftest seed 402665 (tun, loaded): the client's write returns, the server's RST is
  // captured (stamped as it is queued for the client's softirq), and the TCP_INFO read
  // 0.2 ms later still says CLOSE_WAIT: the softirq had not run yet.
  Build b;
  b.handshake();
  b.call("server", CallOp::Close, 4, "");
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  b.pkt(Dir::ClientToServer, ACK, kC + 1, kS + 2);
  const size_t w = b.call("client", CallOp::Write, 3, "CLOSE_WAIT", 10, 0, 30);
  b.pkt(Dir::ClientToServer, PSH | ACK, kC + 1, kS + 2, 10);
  // Captured 20 us after the write returned, 10 us before its TCP_INFO was read.
  const size_t rst = b.pkt(Dir::ServerToClient, RST, kS + 2, 0);
  ASSERT_LT(b.trace().events[rst].t_ns, std::get<SyscallEvent>(b.trace().events[w].body).t_state_ns);
  EXPECT_TRUE(compare_with_tcp_info(b.trace()).empty()) << "the RST had not reached the client yet";
  // Captured before the call returned, it had: CLOSE_WAIT is then a mismatch.
  Build c;
  c.handshake();
  c.call("server", CallOp::Close, 4, "");
  c.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  c.pkt(Dir::ClientToServer, ACK, kC + 1, kS + 2);
  c.pkt(Dir::ClientToServer, PSH | ACK, kC + 1, kS + 2, 10);
  c.pkt(Dir::ServerToClient, RST, kS + 2, 0);
  c.call("client", CallOp::Write, 3, "CLOSE_WAIT", 10, 0, 30);
  ASSERT_EQ(compare_with_tcp_info(c.trace()).size(), 1u);
}

TEST(Oracle, ASegmentTowardTheClientStampedDuringItsCallIsNoMismatch) {
  // difftest seed 171 (veth, loaded): the write's data is answered by the peer's RST, which
  // is stamped as it is queued for the client's softirq just before the write returns; the
  // TCP_INFO read after the write still says CLOSE_WAIT: the softirq had not run yet.
  Build b;
  b.handshake();
  b.call("server", CallOp::Close, 4, "");
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  b.pkt(Dir::ClientToServer, ACK, kC + 1, kS + 2);
  b.pkt(Dir::ClientToServer, PSH | ACK, kC + 1, kS + 2, 10);
  const size_t rst = b.pkt(Dir::ServerToClient, RST, kS + 2, 0);
  const size_t w = b.call("client", CallOp::Write, 3, "CLOSE_WAIT", 10, 0, 30);
  // The write began 2 us before the RST was stamped and returned 8 us after it.
  auto& write = std::get<SyscallEvent>(b.trace().events[w].body);
  write.t_start_ns = b.trace().events[rst].t_ns - 2000;
  b.trace().events[w].t_ns = b.trace().events[rst].t_ns + 8000;
  write.t_state_ns = b.trace().events[w].t_ns + 30000;
  EXPECT_TRUE(compare_with_tcp_info(b.trace()).empty()) << "the RST had not reached the client yet";
  // Stamped before the call began, it had reached it: CLOSE_WAIT is then a mismatch.
  write.t_start_ns = b.trace().events[rst].t_ns + 1000;
  ASSERT_EQ(compare_with_tcp_info(b.trace()).size(), 1u);
}
