// SPDX-License-Identifier: MIT
// The engine under load and at the edges, on both links: a multi-megabyte transfer
// between two kernel sockets with nothing lost, a blocking write that an RST cuts short
// (its first observer), and the crafted peer answering every segment after close.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "rstlab/lab.h"
#include "rstlab/runner.h"
#include "rstlab/scenario.h"
#include "rstlab/wire.h"

using namespace rstlab;

namespace {

class Engine : public ::testing::TestWithParam<LinkKind> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  }
  RunResult run(const std::string& text) {
    RunOptions opt;
    opt.link = GetParam();
    return run_scenario(parse_scenario(text, "engine-test.scn"), opt, labs_);
  }
  LabCache labs_;  // alive after a run: the thread is still in the lab's near namespace
};

/// The near device's drop counters (receive and transmit) from /proc/net/dev of the
/// namespace the calling thread is in.
std::pair<uint64_t, uint64_t> near_device_drops() {
  std::ifstream f("/proc/thread-self/net/dev");
  std::string line;
  while (std::getline(f, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || line.substr(0, colon).find(kNearIface) == std::string::npos)
      continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t v[16] = {};
    for (auto& x : v) fields >> x;
    return {v[3], v[11]};  // rx drop, tx drop
  }
  ADD_FAILURE() << "no " << kNearIface << " in /proc/thread-self/net/dev";
  return {0, 0};
}

std::vector<const SyscallEvent*> calls(const Trace& t, const std::string& actor) {
  std::vector<const SyscallEvent*> out;
  for (const auto& e : t.events)
    if (const auto* s = e.syscall(); s && s->actor == actor) out.push_back(s);
  return out;
}

TEST_P(Engine, MultiMegabyteTransferLosesNothing) {
  // 4 MB from one kernel socket to the other; the reader takes it in four MSG_WAITALL
  // receives. Over tun every packet crosses rstlab's relay and the recorder's ring.
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run(R"(scenario bulk
client kernel
server kernel
server listen => 0
client connect => 0
server accept
client write 4000000 bytes &
server recv 1000000 waitall => 1000000
server recv 1000000 waitall => 1000000
server recv 1000000 waitall => 1000000
server recv 1000000 waitall => 1000000
client wait => 4000000
client close => 0
server read 10 => EOF
)");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  EXPECT_TRUE(r.trace.passed());
  EXPECT_EQ(r.trace.capture.dropped, 0u);
  EXPECT_EQ(r.trace.capture.if_dropped, 0u);
  // Nothing was lost on the link either (a tun device drops what its reader has not
  // taken once its queue is full), and the capture holds every byte.
  const auto [rx_drop, tx_drop] = near_device_drops();
  EXPECT_EQ(rx_drop, 0u);
  EXPECT_EQ(tx_drop, 0u);
  std::map<uint32_t, uint32_t> sent;
  for (const auto& e : r.trace.events)
    if (const auto* p = e.packet(); p && p->dir == Dir::ClientToServer && p->len > 0)
      sent[p->seq] = p->len;
  uint64_t bytes = 0;
  for (const auto& [seq, len] : sent) bytes += len;
  EXPECT_EQ(bytes, 4000000u);
  EXPECT_LT(seconds, 20.0);
}

TEST_P(Engine, RstCutsABlockingWriteShortBetweenKernels) {
  // The server has closed; the client's big write fills the send buffer and waits; the
  // server's kernel answers the data with RST, which ends the write with a short count.
  const RunResult r = run(R"(scenario cut
client kernel sigpipe=ignore
server kernel
server listen => 0
client connect => 0
server accept
server close => 0
client write 100000 bytes
client write "x" => EPIPE +SIGPIPE
)");
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  const auto c = calls(r.trace, "client");
  ASSERT_EQ(c.size(), 3u);
  ASSERT_TRUE(c[1]->ret);
  ASSERT_GT(*c[1]->ret, 0);
  ASSERT_LT(*c[1]->ret, 100000);
  ASSERT_TRUE(r.trace.first_observer);
  EXPECT_EQ(r.trace.events[r.trace.first_observer->event].syscall(), c[1]);
  EXPECT_NE(r.trace.first_observer->result.find(" of 100000 bytes (cut short)"), std::string::npos)
      << r.trace.first_observer->result;
  EXPECT_NE(r.trace.first_observer->reason.find(
                "arrived while it waited (accepted in CLOSE_WAIT -> sk_err = EPIPE)"),
            std::string::npos)
      << r.trace.first_observer->reason;
  for (const auto& a : r.trace.annotations) EXPECT_NE(a.kind, "mismatch") << a.text;
}

TEST_P(Engine, RstFromTheCraftedPeerCutsABackgroundWriteShort) {
  // The peer takes data without acknowledging it, so the 5 MB write fills the send
  // buffer and waits (the initial window, ten segments, is all that leaves); once data
  // has arrived the peer resets the connection.
  const RunResult r = run(R"(scenario cut-bg
client kernel sigpipe=ignore
server peer
client connect => 0
server autoack off
client write 5000000 bytes &
server recv 10000
server rst
client wait
client write "x" => ECONNRESET
)");
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  const auto c = calls(r.trace, "client");
  ASSERT_EQ(c.size(), 3u);
  ASSERT_TRUE(c[1]->ret);
  ASSERT_GE(*c[1]->ret, 10000);
  ASSERT_LT(*c[1]->ret, 5000000);
  ASSERT_TRUE(r.trace.first_observer);
  EXPECT_EQ(r.trace.events[r.trace.first_observer->event].syscall(), c[1]);
  EXPECT_NE(r.trace.first_observer->reason.find(
                "accepted in ESTABLISHED -> sk_err = ECONNRESET) and ended it"),
            std::string::npos)
      << r.trace.first_observer->reason;
}

TEST_P(Engine, ClosedPeerAnswersEverySegmentWithRst) {
  // As a Linux socket does (checked kernel against kernel): each data segment that
  // arrives after close gets its own RST, seq = the segment's ack.
  const RunResult r = run(R"(scenario closed-peer
client kernel sigpipe=ignore
server peer
client connect => 0
server close
client write 100000 bytes
client write "x" => EPIPE +SIGPIPE
)");
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  int data = 0, rsts = 0;
  for (const auto& e : r.trace.events)
    if (const auto* p = e.packet()) {
      if (p->dir == Dir::ClientToServer && p->len > 0) ++data;
      if (p->dir == Dir::ServerToClient && (p->flags & tcpflag::RST)) {
        ++rsts;
        EXPECT_EQ(p->flags, tcpflag::RST);
        EXPECT_EQ(p->seq, 2u);  // relative: after the SYN and the FIN
      }
    }
  EXPECT_GT(data, 1);
  EXPECT_EQ(rsts, data);
}

INSTANTIATE_TEST_SUITE_P(Live, Engine, ::testing::Values(LinkKind::Veth, LinkKind::Tun),
                         [](const auto& i) { return std::string(link_name(i.param)); });

}  // namespace
