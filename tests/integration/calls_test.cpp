// SPDX-License-Identifier: MIT
// The engine's other calls and peer roles, on both links: a crafted client against a
// kernel server, non-blocking connect, poll, SO_ERROR, shutdown, SO_LINGER 0,
// TCP_USER_TIMEOUT, crafted RSTs with each sequence policy.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "rstlab/oracle.h"
#include "rstlab/runner.h"
#include "rstlab/wire.h"

using namespace rstlab;

namespace {

const Role C = Role::Client, S = Role::Server;

Step call(Role r, KernelCall c, const char* text) {
  Step s;
  s.actor = r;
  s.call.call = c;
  s.text = text;
  return s;
}

Step with_count(Step s, int64_t n) {
  s.call.count = n;
  return s;
}

Step peer(Role r, StepOp op, const char* text) {
  Step s;
  s.actor = r;
  s.op = op;
  s.text = text;
  return s;
}

Scenario base(ActorKind client, ActorKind server) {
  Scenario s;
  s.name = "test";
  s.client.kind = client;
  s.server.kind = server;
  s.client.sigpipe = s.server.sigpipe = SigpipeMode::Ignore;
  return s;
}

std::vector<const SyscallEvent*> calls(const Trace& t, const std::string& actor) {
  std::vector<const SyscallEvent*> out;
  for (const auto& e : t.events)
    if (const auto* s = e.syscall(); s && s->actor == actor) out.push_back(s);
  return out;
}

std::vector<std::string> flags(const Trace& t) {
  std::vector<std::string> out;
  for (const auto& e : t.events)
    if (const auto* p = e.packet()) out.push_back(tcp_flags_string(p->flags));
  return out;
}

int count(const std::vector<std::string>& v, const std::string& x) {
  return static_cast<int>(std::count(v.begin(), v.end(), x));
}

class Calls : public ::testing::TestWithParam<LinkKind> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  }
  RunResult run(const Scenario& s) {
    RunOptions opt;
    opt.link = GetParam();
    RunResult r = run_scenario(s, opt);
    for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
    return r;
  }
};

}  // namespace

TEST_P(Calls, CraftedClientResetsKernelServer) {
  Scenario s = base(ActorKind::Peer, ActorKind::Kernel);
  s.steps = {call(S, KernelCall::Listen, "listen"), peer(C, StepOp::PeerConnect, "connect"),
             call(S, KernelCall::Accept, "accept")};
  Step send = peer(C, StepOp::PeerSend, "send");
  send.data = "hi";
  s.steps.push_back(send);
  s.steps.push_back(with_count(call(S, KernelCall::Read, "read 1"), 1));
  s.steps.push_back(peer(C, StepOp::PeerRst, "rst"));  // exact: seq = kernel's rcv_nxt
  s.steps.push_back(with_count(call(S, KernelCall::Read, "read 10"), 10));
  s.steps.push_back(with_count(call(S, KernelCall::Read, "read 10"), 10));
  s.steps.push_back(with_count(call(S, KernelCall::Read, "read 10"), 10));
  const RunResult r = run(s);
  const auto c = calls(r.trace, "server");
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[2]->value, "h");
  EXPECT_EQ(*c[3]->ret, 1);  // queued data comes before the error
  EXPECT_EQ(c[3]->value, "i");
  EXPECT_EQ(c[4]->err, ECONNRESET);
  EXPECT_EQ(*c[5]->ret, 0);  // the error is reported once; then EOF
  const auto f = flags(r.trace);
  EXPECT_EQ(f.front(), "S");
  EXPECT_EQ(f.back(), "R");
}

TEST_P(Calls, InWindowRstGetsChallengeAckOutOfWindowIsIgnored) {
  Scenario s = base(ActorKind::Kernel, ActorKind::Peer);
  s.steps = {call(C, KernelCall::Connect, "connect")};
  Step offset = peer(S, StepOp::PeerRst, "rst seq=+100");
  offset.seq = {SeqPolicy::Kind::Offset, 100};
  s.steps.push_back(offset);
  Step expect_ack = peer(S, StepOp::PeerExpect, "expect .");
  expect_ack.data = ".";
  s.steps.push_back(expect_ack);
  Step oow = peer(S, StepOp::PeerRst, "rst out-of-window");
  oow.seq = {SeqPolicy::Kind::OutOfWindow, 0};
  s.steps.push_back(oow);
  Step bad = peer(S, StepOp::PeerRst, "rst bad checksum");
  bad.bad_checksum = true;
  s.steps.push_back(bad);
  s.steps.push_back(call(C, KernelCall::GetSoError, "so_error"));
  s.steps.push_back(peer(S, StepOp::PeerRst, "rst"));
  s.steps.push_back(call(C, KernelCall::GetSoError, "so_error"));
  s.steps.push_back(call(C, KernelCall::GetSoError, "so_error"));
  const RunResult r = run(s);
  const auto c = calls(r.trace, "client");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[1]->value, "0");  // three RSTs so far, none accepted
  EXPECT_EQ(c[1]->state, "ESTABLISHED");
  EXPECT_EQ(c[2]->value, "ECONNRESET");
  EXPECT_EQ(c[3]->value, "0");  // SO_ERROR consumed it
  // The same results as typed facts, which the model reads.
  EXPECT_EQ(c[2]->facts.op, CallOp::GetSockOpt);
  EXPECT_EQ(c[2]->facts.option, SockOpt::Error);
  EXPECT_EQ(c[2]->facts.so_error, ECONNRESET);
  EXPECT_EQ(c[3]->facts.so_error, 0);
  EXPECT_GE(c[2]->facts.fd, 0);
  EXPECT_EQ(count(flags(r.trace), "R"), 4);
}

TEST_P(Calls, NonBlockingConnectPollAndShutdown) {
  Scenario s = base(ActorKind::Kernel, ActorKind::Peer);
  Step nb = call(C, KernelCall::Connect, "connect nonblock");
  nb.call.nonblocking = true;
  s.steps = {nb};
  Step pollout = call(C, KernelCall::Poll, "poll POLLOUT");
  pollout.call.events = POLLOUT;
  pollout.call.value = 1000;
  s.steps.push_back(pollout);
  Step shut = call(C, KernelCall::Shutdown, "shutdown SHUT_WR");
  shut.call.value = SHUT_WR;
  s.steps.push_back(shut);
  Step w = call(C, KernelCall::Write, "write");
  w.call.data = "x";
  s.steps.push_back(w);
  s.steps.push_back(peer(S, StepOp::PeerClose, "close"));
  Step p2 = call(C, KernelCall::Poll, "poll POLLIN");
  p2.call.events = POLLIN | POLLRDHUP;
  p2.call.value = 0;
  s.steps.push_back(p2);
  const RunResult r = run(s);
  const auto c = calls(r.trace, "client");
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0]->err, EINPROGRESS);
  EXPECT_EQ(c[1]->value, "POLLOUT");
  EXPECT_EQ(c[3]->err, EPIPE);  // local: shutdown(SHUT_WR) then write
  EXPECT_EQ(c[3]->fate, SignalFate::Ignored);
  // Both directions are now shut (ours by shutdown, theirs by FIN): POLLHUP too.
  EXPECT_EQ(c[4]->value, "POLLIN|POLLHUP|POLLRDHUP");
  // As typed facts: the socket stayed O_NONBLOCK from its connect on.
  EXPECT_TRUE(c[0]->facts.nonblock);
  EXPECT_TRUE(c[3]->facts.nonblock);
  EXPECT_EQ(c[3]->facts.op, CallOp::Write);
  EXPECT_EQ(c[3]->facts.size, 1u);
  EXPECT_EQ(c[2]->facts.shut_how, SHUT_WR);
  EXPECT_EQ(c[4]->facts.events, POLLIN | POLLRDHUP);
  EXPECT_EQ(c[4]->facts.revents, POLLIN | POLLHUP | POLLRDHUP);
  EXPECT_EQ(c[4]->facts.timeout_ms, 0);
  EXPECT_EQ(count(flags(r.trace), "R"), 0);  // no reset anywhere
}

TEST_P(Calls, LingerZeroCloseSendsRst) {
  Scenario s = base(ActorKind::Kernel, ActorKind::Kernel);
  s.steps = {call(S, KernelCall::Listen, "listen"), call(C, KernelCall::Connect, "connect"),
             call(S, KernelCall::Accept, "accept")};
  Step linger = call(S, KernelCall::SetLinger, "linger 0");
  linger.call.enable = true;
  linger.call.value = 0;
  s.steps.push_back(linger);
  Step ut = call(C, KernelCall::SetUserTimeout, "user_timeout 500");
  ut.call.value = 500;
  s.steps.push_back(ut);
  s.steps.push_back(call(S, KernelCall::Close, "close"));
  Step p = call(C, KernelCall::Poll, "poll 0");
  p.call.value = 1000;
  s.steps.push_back(p);
  s.steps.push_back(with_count(call(C, KernelCall::Read, "read"), 10));
  const RunResult r = run(s);
  const auto c = calls(r.trace, "client");
  ASSERT_EQ(c.size(), 4u);
  // events = 0 waits for the reset without consuming it: only POLLERR|POLLHUP report.
  EXPECT_EQ(c[2]->value, "POLLERR|POLLHUP");
  EXPECT_EQ(c[3]->err, ECONNRESET);
  EXPECT_FALSE(c[3]->facts.nonblock);
  EXPECT_EQ(c[3]->facts.op, CallOp::Read);
  EXPECT_EQ(c[3]->facts.size, 10u);
  const auto sc = calls(r.trace, "server");
  ASSERT_EQ(sc.size(), 4u);
  EXPECT_EQ(sc[2]->facts.option, SockOpt::Linger);
  EXPECT_TRUE(sc[2]->facts.linger_on);
  EXPECT_EQ(sc[2]->facts.linger_seconds, 0);
  EXPECT_EQ(sc[3]->facts.op, CallOp::Close);
  EXPECT_EQ(c[1]->facts.option, SockOpt::UserTimeout);
  EXPECT_EQ(c[1]->facts.timeout_ms, 500);
  const auto f = flags(r.trace);
  EXPECT_EQ(f.back(), "R.");
  EXPECT_EQ(count(f, "F."), 0);
}

INSTANTIATE_TEST_SUITE_P(Live, Calls, ::testing::Values(LinkKind::Veth, LinkKind::Tun),
                         [](const auto& i) { return std::string(link_name(i.param)); });

// A live run's typed trace: the process table with the actor's pid, one connection with
// the run's first observer, every call on connection 0 with its TCP_INFO state read after
// it returned - and the model reaches every one of those states (the free oracle).
TEST_P(Calls, EveryCallsStateAgreesWithTheModel) {
  Scenario s = base(ActorKind::Kernel, ActorKind::Peer);
  s.steps = {call(C, KernelCall::Connect, "connect"), call(C, KernelCall::Shutdown, "shutdown"),
             peer(S, StepOp::PeerFin, "fin"), with_count(call(C, KernelCall::Read, "read 10"), 10),
             call(C, KernelCall::GetSoError, "getsockopt")};
  s.steps[1].call.value = SHUT_WR;
  const RunResult r = run(s);
  const Trace& t = r.trace;
  ASSERT_EQ(t.connections.size(), 1u);
  ASSERT_GE(t.actors.size(), 2u);
  EXPECT_EQ(t.actors[0].name, "client");
  EXPECT_GT(t.actors[0].pid, 0);
  EXPECT_EQ(t.actors[0].tid, t.actors[0].pid) << "one thread";
  EXPECT_EQ(t.connections[0].client.endpoint, t.client.endpoint);
  EXPECT_EQ(t.connections[0].client.actor, ActorId{0});
  ASSERT_TRUE(t.first_observer);
  ASSERT_TRUE(t.connections[0].first_observer);
  EXPECT_EQ(t.connections[0].first_observer->event, t.first_observer->event);
  std::vector<std::string> states;
  for (const auto* c : calls(t, "client")) {
    EXPECT_EQ(c->conn, 0u);
    EXPECT_EQ(c->actor_id, ActorId{0});
    ASSERT_TRUE(c->tcp_state) << c->call;
    EXPECT_EQ(tcp_state_label(*c->tcp_state), c->state);
    EXPECT_GE(c->t_state_ns, c->t_start_ns);
    states.push_back(c->state);
  }
  // shutdown(SHUT_WR) sends a FIN (FIN_WAIT1, or FIN_WAIT2 when the peer's ACK of it
  // arrived before TCP_INFO was read: the oracle compares at that moment, so either is
  // right); the peer's FIN ends the connection in TIME_WAIT, held by the kernel's timewait
  // socket: the descriptor's socket is CLOSE.
  ASSERT_EQ(states.size(), 4u);
  EXPECT_TRUE(states[1] == "FIN_WAIT1" || states[1] == "FIN_WAIT2") << states[1];
  states[1] = "FIN_WAIT";
  EXPECT_EQ(states, (std::vector<std::string>{"ESTABLISHED", "FIN_WAIT", "CLOSE", "CLOSE"}));
  EXPECT_TRUE(compare_with_tcp_info(t).empty());
  for (const auto& a : t.annotations) EXPECT_NE(a.kind, "mismatch") << a.text;
  // The oracle is not blind: the same trace with one state changed has one mismatch.
  Trace wrong = t;
  for (auto& e : wrong.events)
    if (auto* c = std::get_if<SyscallEvent>(&e.body); c && c->facts.op == CallOp::Read) {
      c->tcp_state = TcpState::Established;
      c->state = "ESTABLISHED";
    }
  const auto found = compare_with_tcp_info(wrong);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "MODEL MISMATCH: TCP_INFO says ESTABLISHED, the model says TIME_WAIT (CLOSE to TCP_INFO)");
}
