// SPDX-License-Identifier: MIT
// Live runs in private namespaces (needs root). Each case checks the syscall results,
// the packets read back from capture.pcap with libpcap, zero capture drops, and that
// the host's network is left exactly as it was.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>

#include "host_state.h"
#include "rstlab/capture.h"
#include "rstlab/outputs.h"
#include "rstlab/runner.h"
#include "rstlab/wire.h"
#include "runner/lab_cache.h"

using namespace rstlab;

namespace {

struct Case {
  std::string scenario;
  LinkKind link;
};

std::string case_name(const ::testing::TestParamInfo<Case>& i) {
  std::string n = i.param.scenario + "_" + link_name(i.param.link);
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

struct CallSummary {
  std::string actor, call;
  int64_t ret;
  std::string err;
  bool sigpipe;
  bool operator==(const CallSummary& o) const {
    return actor == o.actor && call == o.call && ret == o.ret && err == o.err && sigpipe == o.sigpipe;
  }
};

std::ostream& operator<<(std::ostream& os, const CallSummary& c) {
  return os << c.actor << " " << c.call << " = " << c.ret << " " << c.err << (c.sigpipe ? " +SIGPIPE" : "");
}

std::vector<CallSummary> calls_of(const Trace& t, const std::string& actor) {
  std::vector<CallSummary> out;
  for (const auto& e : t.events)
    if (const auto* s = e.syscall(); s && s->actor == actor)
      out.push_back({s->actor, s->call, s->ret.value_or(-99), s->err ? errno_name(*s->err) : "",
                     s->signal.has_value()});
  return out;
}

/// Flags of every segment in capture.pcap except pure ACKs (whose timing the kernel's
/// delayed-ACK logic may move), read back with libpcap.
std::vector<std::string> flags_in_capture(const std::string& file) {
  int dlt = 0;
  std::vector<std::string> out;
  for (const auto& p : read_capture(file, dlt)) {
    TcpSegment s;
    EXPECT_EQ(decode_tcp(dlt, p.data.data(), p.data.size(), s), DecodeStatus::Ok);
    EXPECT_EQ(s.checksum, TcpSegment::Checksum::Good) << "offload left a bad checksum";
    if (s.flags == tcpflag::ACK && s.payload_len == 0) continue;
    out.push_back(tcp_flags_string(s.flags));
  }
  return out;
}

class Classic : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    links_before_ = test::host_links();
    netns_before_ = test::named_netns();
    out_ = std::filesystem::temp_directory_path() / ("rstlab-live-" + std::to_string(getpid()));
  }
  void TearDown() override {
    if (geteuid() != 0) return;
    EXPECT_EQ(test::host_links(), links_before_) << "the host's links changed";
    EXPECT_EQ(test::named_netns(), netns_before_) << "a named namespace appeared";
    std::filesystem::remove_all(out_);
  }
  std::set<std::string> links_before_, netns_before_;
  std::filesystem::path out_;
};

TEST_P(Classic, ObservedErrnosAndPackets) {
  const Case& c = GetParam();
  RunOptions opt;
  opt.link = c.link;
  const RunResult r = run_scenario(find_scenario(c.scenario), opt);
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  EXPECT_TRUE(r.trace.passed());
  EXPECT_EQ(r.trace.capture.dropped, 0u);
  EXPECT_EQ(r.trace.capture.if_dropped, 0u);
  EXPECT_EQ(r.trace.capture.undecoded, 0u);

  const bool broken_pipe = c.scenario.rfind("broken-pipe", 0) == 0;
  std::vector<CallSummary> want;
  want.push_back({"client", "connect", 0, "", false});
  if (broken_pipe) {
    want.push_back({"client", "write", 1, "", false});
    want.push_back({"client", "write", 1, "", false});
  } else {
    want.push_back({"client", "write", 2, "", false});
    want.push_back({"client", "read", -1, "ECONNRESET", false});
    want.push_back({"client", "read", 0, "", false});
  }
  want.push_back({"client", "write", -1, "EPIPE", true});
  EXPECT_EQ(calls_of(r.trace, "client"), want);
  // With the default disposition the writer really died of signal 13.
  const auto& last = *std::find_if(r.trace.events.rbegin(), r.trace.events.rend(),
                                   [](const Event& e) { return e.syscall() != nullptr; });
  EXPECT_EQ(last.syscall()->fate, SignalFate::Killed);

  const std::string dir = write_run_folder(out_.string(), r);
  EXPECT_EQ(dir, out_.string() + "/" + c.scenario + "/" + link_name(c.link));
  for (const char* f : {"capture.pcap", "trace.json", "trace.txt"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  const auto flags = flags_in_capture(dir + "/capture.pcap");
  if (broken_pipe)
    EXPECT_EQ(flags, (std::vector<std::string>{"S", "S.", "P.", "F.", "P.", "R"}));
  else
    EXPECT_EQ(flags, (std::vector<std::string>{"S", "S.", "P.", "R."}));
}

INSTANTIATE_TEST_SUITE_P(
    Live, Classic,
    ::testing::Values(Case{"broken-pipe", LinkKind::Veth}, Case{"broken-pipe", LinkKind::Tun},
                      Case{"reset-by-peer", LinkKind::Veth}, Case{"reset-by-peer", LinkKind::Tun},
                      Case{"broken-pipe-kernel", LinkKind::Veth},
                      Case{"broken-pipe-kernel", LinkKind::Tun},
                      Case{"reset-by-peer-kernel", LinkKind::Veth},
                      Case{"reset-by-peer-kernel", LinkKind::Tun}),
    case_name);

// ---- SIGPIPE dispositions -------------------------------------------------

/// broken-pipe with the last write changed, plus one more write to show the process lived.
Scenario broken_pipe_with(SigpipeMode mode, bool nosignal) {
  Scenario s = find_scenario("broken-pipe");
  s.client.sigpipe = mode;
  Step& last = s.steps.back();
  if (nosignal) {
    last.call.use_send_recv = true;
    last.call.msg_flags = MSG_NOSIGNAL;
  }
  last.expect->sigpipe = !nosignal;
  last.expect->text = nosignal ? "EPIPE" : "EPIPE +SIGPIPE";
  s.steps.push_back(last);
  return s;
}

class Sigpipe : public ::testing::TestWithParam<LinkKind> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  }
  std::vector<const SyscallEvent*> writes(const Trace& t) {
    std::vector<const SyscallEvent*> out;
    for (const auto& e : t.events)
      if (const auto* s = e.syscall(); s && (s->call == "write" || s->call == "send")) out.push_back(s);
    return out;
  }
};

TEST_P(Sigpipe, IgnoredLeavesPlainEpipeAndTheProcessAlive) {
  RunOptions opt;
  opt.link = GetParam();
  const RunResult r = run_scenario(broken_pipe_with(SigpipeMode::Ignore, false), opt);
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  const auto w = writes(r.trace);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[2]->fate, SignalFate::Ignored);
  EXPECT_EQ(w[3]->fate, SignalFate::Ignored);  // still alive for a second write
  EXPECT_EQ(w[3]->err, EPIPE);
}

TEST_P(Sigpipe, HandlerCatchesIt) {
  RunOptions opt;
  opt.link = GetParam();
  const RunResult r = run_scenario(broken_pipe_with(SigpipeMode::Handler, false), opt);
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  const auto w = writes(r.trace);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[2]->fate, SignalFate::Handled);
  EXPECT_EQ(w[3]->fate, SignalFate::Handled);
}

TEST_P(Sigpipe, MsgNosignalRaisesNothingEvenWithDefaultDisposition) {
  RunOptions opt;
  opt.link = GetParam();
  const RunResult r = run_scenario(broken_pipe_with(SigpipeMode::Default, true), opt);
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  const auto w = writes(r.trace);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[2]->call, "send");
  EXPECT_FALSE(w[2]->signal.has_value());
  EXPECT_EQ(w[3]->err, EPIPE);
}

TEST_P(Sigpipe, DefaultDispositionKillsAndLaterStepsReportIt) {
  RunOptions opt;
  opt.link = GetParam();
  Scenario s = find_scenario("broken-pipe");
  s.steps.push_back(s.steps.back());  // a write after the process died
  const RunResult r = run_scenario(s, opt);
  ASSERT_EQ(r.trace.failures.size(), 1u);
  EXPECT_NE(r.trace.failures[0].find("the actor process has ended (killed by SIGPIPE)"),
            std::string::npos)
      << r.trace.failures[0];
}

INSTANTIATE_TEST_SUITE_P(Live, Sigpipe, ::testing::Values(LinkKind::Veth, LinkKind::Tun),
                         [](const auto& i) { return std::string(link_name(i.param)); });

}  // namespace

// A reused lab shifts each run's ports by one; after LabCache::max_runs() it is built
// anew instead of letting the ports wrap past 65535.
TEST(LabReuse, AWornOutLabIsRebuiltRatherThanWrappingItsPorts) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  LabCache labs(3);
  RunOptions opt;
  std::vector<uint16_t> ports;
  for (int i = 0; i < 5; ++i) {
    const RunResult r = run_scenario(find_scenario("broken-pipe"), opt, labs);
    EXPECT_TRUE(r.trace.passed()) << i;
    ports.push_back(r.trace.client.endpoint.port);
  }
  EXPECT_EQ(ports, (std::vector<uint16_t>{40001, 40002, 40003, 40001, 40002}));
}

// `rto_min` changes the lab's net.ipv4.tcp_rto_min_us for one run and puts back the
// value it found - not the kernel's default - for the runs that reuse the lab.
TEST(LabReuse, RtoMinIsPutBackAsItWasFound) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  LabCache labs;
  RunOptions opt;
  const LabConfig config{opt.link, FarEndKind::Peer, Family::V4};
  Lab& lab = *labs.get(config).lab;
  const char* path = "net/ipv4/tcp_rto_min_us";
  if (!lab.get_sysctl(path)) GTEST_SKIP() << "this kernel has no net.ipv4.tcp_rto_min_us";
  ASSERT_TRUE(lab.set_sysctl(path, "150000"));
  run_scenario(find_scenario("user-timeout"), opt, labs);
  EXPECT_EQ(lab.get_sysctl(path).value_or(""), "150000");
}

// A peer `expect` that is not met says what did arrive instead (expected vs actual).
TEST(PeerExpect, AnUnmetExpectationSaysWhatArrived) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  const Scenario sc = parse_scenario("scenario expect-miss\nclient kernel\nserver peer\n"
                                     "client connect => 0\nclient write \"a\" => 1\nserver expect R\n",
                                     "expect-miss.scn");
  RunOptions opt;
  opt.step_timeout = std::chrono::milliseconds(200);
  const RunResult r = run_scenario(sc, opt);
  ASSERT_EQ(r.trace.failures.size(), 1u);
  EXPECT_EQ(r.trace.failures[0],
            "expect-miss.scn:6: server expect R: expected a segment with flags R within 200 ms; what arrived: S . P.")
      << r.trace.failures[0];
}

// One actor process serves a lab's runs: the next run takes it, its descriptors closed and
// SIGPIPE disposed as that run asks (ignore, handler, default); one that died of SIGPIPE
// is replaced by a new process.
TEST(LabReuse, OneActorServesTheLabsRunsAndADeadOneIsReplaced) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  LabCache labs;
  RunOptions opt;
  auto client_pid = [](const RunResult& r) {
    const auto id = r.trace.find_actor("client");
    return id ? r.trace.actors[*id].pid : 0;
  };
  std::vector<int64_t> pids;
  for (const char* name : {"blocked-read-rst", "fin-then-rst", "sigpipe-handler", "blocked-read-rst", "broken-pipe"}) {
    const RunResult r = run_scenario(find_scenario(name), opt, labs);
    EXPECT_TRUE(r.trace.passed()) << name << ": " << (r.trace.failures.empty() ? "" : r.trace.failures.front());
    pids.push_back(client_pid(r));
  }
  EXPECT_NE(pids[0], 0);
  for (size_t k = 1; k < pids.size(); ++k) EXPECT_EQ(pids[k], pids[0]) << k;
  // broken-pipe's client died of SIGPIPE (sigpipe=default): the next run has a new one.
  const RunResult after = run_scenario(find_scenario("blocked-read-rst"), opt, labs);
  EXPECT_TRUE(after.trace.passed());
  EXPECT_NE(client_pid(after), pids[0]);
}
