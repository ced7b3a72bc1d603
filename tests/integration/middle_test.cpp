// SPDX-License-Identifier: MIT
// The middle actor, live on both links and both families: RSTs and FINs injected toward
// either end in the other's name, aimed exactly, in the window or outside it; the
// capture holds them with the impersonated end's addresses, the trace attributes them
// to the middle, the annotator explains them, and the host is left untouched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "host_state.h"
#include "rstlab/capture.h"
#include "rstlab/outputs.h"
#include "rstlab/runner.h"
#include "rstlab/wire.h"

using namespace rstlab;

namespace {

struct Where {
  LinkKind link;
  Family family;
};

std::string where_name(const ::testing::TestParamInfo<Where>& i) {
  return std::string(link_name(i.param.link)) + "_" + family_name(i.param.family);
}

bool has(const std::string& s, const char* w) { return s.find(w) != std::string::npos; }

/// The scenario's head: two kernel sockets, a middle, a connection with one byte each way.
std::string head(Family f) {
  return std::string("scenario middle-test\nclient kernel sigpipe=ignore\nserver kernel sigpipe=ignore\n") +
         (f == Family::V6 ? "family ipv6\n" : "") +
         "middle box\nserver listen => 0\nclient connect => 0\nserver accept\n"
         "client write \"q\" => 1\nserver read 10 => \"q\"\nserver write \"r\" => 1\nclient read 10 => \"r\"\n";
}

class Middlebox : public ::testing::TestWithParam<Where> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    links_before_ = test::host_links();
    netns_before_ = test::named_netns();
  }
  void TearDown() override {
    if (geteuid() != 0) return;
    EXPECT_EQ(test::host_links(), links_before_) << "the host's links changed";
    EXPECT_EQ(test::named_netns(), netns_before_) << "a named namespace appeared";
  }

  /// Runs head + `steps`; every expectation must hold and the model must agree.
  RunResult run(const std::string& steps) {
    const Scenario sc = parse_scenario(head(GetParam().family) + steps, "middle-test.scn");
    RunOptions opt;
    opt.link = GetParam().link;
    RunResult r = run_scenario(sc, opt);
    for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
    EXPECT_EQ(r.trace.capture.dropped, 0u);
    for (const auto& a : r.trace.annotations) EXPECT_NE(a.kind, "mismatch") << a.text;
    return r;
  }

  static std::vector<const PacketEvent*> injected(const Trace& t) {
    std::vector<const PacketEvent*> out;
    for (const auto& e : t.events)
      if (const auto* p = e.packet(); p && p->injected_by == "middle") out.push_back(p);
    return out;
  }

  static std::vector<std::string> notes(const Trace& t, const PacketEvent* p) {
    std::vector<std::string> out;
    for (const auto& a : t.annotations)
      if (t.events[a.event].packet() == p) out.push_back(a.kind + ": " + a.text);
    return out;
  }

  std::set<std::string> links_before_, netns_before_;
};

TEST_P(Middlebox, ResetsBothEndsEachInTheOthersName) {
  const RunResult r = run(
      "after 10ms middle rst both\n"
      "client read 10 => ECONNRESET\n"
      "server write \"s\" => ECONNRESET\n");
  const auto inj = injected(r.trace);
  ASSERT_EQ(inj.size(), 2u);
  // Toward the server first (as if from the client), then toward the client.
  EXPECT_EQ(inj[0]->dir, Dir::ClientToServer);
  EXPECT_EQ(inj[1]->dir, Dir::ServerToClient);
  for (const PacketEvent* p : inj) {
    EXPECT_EQ(p->flags, tcpflag::RST | tcpflag::ACK);
    // Exact: each receiver's rcv_nxt after one byte each way (relative 2), acking its 2.
    EXPECT_EQ(p->seq, 2u);
    EXPECT_EQ(p->ack, 2u);
    const auto n = notes(r.trace, p);
    ASSERT_EQ(n.size(), 2u);
    EXPECT_TRUE(has(n[0], "cause: injected by the middlebox")) << n[0];
    EXPECT_TRUE(has(n[1], "injected by the middlebox: seq = rcv_nxt: accepted in ESTABLISHED -> sk_err = ECONNRESET"))
        << n[1];
  }
  ASSERT_TRUE(r.trace.first_observer);
  EXPECT_EQ(r.trace.first_observer->actor, "client");
  EXPECT_EQ(r.trace.first_observer->call, "read");
  EXPECT_TRUE(has(r.trace.first_observer->reason, "injected by the middlebox")) << r.trace.first_observer->reason;

  // The capture file holds them with the impersonated ends' addresses and good checksums.
  namespace fs = std::filesystem;
  const fs::path out = fs::temp_directory_path() / ("rstlab-middle-" + std::to_string(getpid()));
  const std::string dir = write_run_folder(out.string(), r);
  int dlt = 0;
  std::vector<TcpSegment> rsts;
  const auto packets = read_capture(dir + "/capture.pcap", dlt);
  for (const auto& p : packets) {
    TcpSegment s;
    ASSERT_EQ(decode_tcp(dlt, p.data.data(), p.data.size(), s), DecodeStatus::Ok);
    if (s.has(tcpflag::RST)) {
      EXPECT_EQ(s.checksum, TcpSegment::Checksum::Good);
      rsts.push_back(s);
    }
  }
  fs::remove_all(out);
  ASSERT_EQ(rsts.size(), 2u);
  EXPECT_EQ(rsts[0].src, r.trace.client.endpoint);
  EXPECT_EQ(rsts[0].dst, r.trace.server.endpoint);
  EXPECT_EQ(rsts[1].src, r.trace.server.endpoint);
  EXPECT_EQ(rsts[1].dst, r.trace.client.endpoint);
}

TEST_P(Middlebox, InWindowRstIsChallengedAndTheConnectionSurvives) {
  const RunResult r = run(
      "middle rst client seq=+100\n"
      "client write \"a\" => 1\n"
      "server read 10 => \"a\"\n");
  const auto inj = injected(r.trace);
  ASSERT_EQ(inj.size(), 1u);
  EXPECT_EQ(inj[0]->seq, 102u);
  bool challenged = false;
  for (const auto& a : r.trace.annotations) challenged |= a.kind == "challenge-ack";
  EXPECT_TRUE(challenged) << "the client answers with a challenge ACK (RFC 5961)";
  EXPECT_FALSE(r.trace.first_observer);
}

TEST_P(Middlebox, OutOfWindowRstIsIgnoredAndPlainRstAccepted) {
  const RunResult r = run(
      "middle rst server seq=oow\n"
      "server write \"a\" => 1\n"
      "client read 10 => \"a\"\n"
      "middle rst server noack\n"
      "server read 10 => ECONNRESET\n");
  const auto inj = injected(r.trace);
  ASSERT_EQ(inj.size(), 2u);
  EXPECT_EQ(inj[1]->flags, tcpflag::RST);
  const auto n = notes(r.trace, inj[0]);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_TRUE(has(n[1], "outside the receive window")) << n[1];
}

TEST_P(Middlebox, InjectedFinShutsTheServersReceiveSideBehindTheClientsBack) {
  // The server takes the FIN as the client's: it reads EOF, while the client's next
  // byte lands on sequence space the FIN already used and is never delivered.
  const RunResult r = run(
      "middle fin server\n"
      "server read 10 => EOF\n"
      "client write \"a\" => 1\n"
      "server read 10 => EOF\n");
  const auto inj = injected(r.trace);
  ASSERT_EQ(inj.size(), 1u);
  EXPECT_EQ(inj[0]->flags, tcpflag::FIN | tcpflag::ACK);
  const auto n = notes(r.trace, inj[0]);
  ASSERT_FALSE(n.empty());
  EXPECT_TRUE(has(n[0], "injected by the middlebox")) << n[0];
}

INSTANTIATE_TEST_SUITE_P(Live, Middlebox,
                         ::testing::Values(Where{LinkKind::Veth, Family::V4}, Where{LinkKind::Tun, Family::V4},
                                           Where{LinkKind::Veth, Family::V6}, Where{LinkKind::Tun, Family::V6}),
                         where_name);

}  // namespace
