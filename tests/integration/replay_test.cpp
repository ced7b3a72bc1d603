// SPDX-License-Identifier: MIT
// rstlab replay, live: a run's own capture replayed against a kernel socket gives the same
// segments (faithful) and the same first observer with the same errno; kernel-against-
// kernel captures replayed from either side agree with what the kernel actors saw; an
// in-window RST stays challenged and an out-of-window one stays dropped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "rstlab/capture.h"
#include "rstlab/replay.h"
#include "rstlab/runner.h"

using namespace rstlab;
namespace fs = std::filesystem;

namespace {

/// The probe that repeats an observer's call ("write" -> write, "getsockopt" -> so_error).
std::string probe_for(const std::string& call) {
  if (call == "read" || call == "recv") return "read";
  if (call == "getsockopt" || call == "so_error") return "so_error";
  if (call == "poll") return "poll";
  return "write";
}

std::string errno_part(const std::string& result) { return result.substr(0, result.find(' ')); }

struct Replayed {
  RunResult original, replay;
  ReplayPlan plan;
  ReplayVerdict verdict;
};

/// Runs `sc`, writes its capture to a file, replays it with `kernel` as the kernel side
/// and `then` as the probes (empty: the original first observer's call).
Replayed round_trip(const Scenario& sc, Role kernel, std::vector<std::string> then, LabCache& labs,
                    LinkKind link = LinkKind::Veth) {
  Replayed out;
  RunOptions ro;
  ro.link = link;
  out.original = run_scenario(sc, ro, labs);
  const fs::path file = fs::temp_directory_path() / ("rstlab-replay-live-" + std::to_string(::getpid()) + ".pcap");
  write_pcap(file.string(), out.original.link_type, out.original.packets);
  const CapturedFlow flow = choose_flow(file.string(), 1);
  fs::remove(file);
  ReplayOptions o;
  o.kernel = kernel;
  if (then.empty() && out.original.trace.first_observer) then = {probe_for(out.original.trace.first_observer->call)};
  if (!then.empty()) o.then = then;
  out.plan = plan_replay(flow, o);
  out.replay = run_scenario(out.plan.scenario, ro, labs);
  out.verdict = compare_units(wire_units(flow.link_type, flow.packets, flow.report.a),
                              wire_units(out.replay.link_type, out.replay.packets, out.replay.trace.client.endpoint),
                              kernel);
  return out;
}

class ReplayLive : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  }
  LabCache labs_;
};

}  // namespace

// A representative set of the catalogue, crafted peer and two kernels: the replay's
// segments are the run's, and the first observer is the same call with the same errno.
TEST_F(ReplayLive, CatalogueRoundTripSameSegmentsSameFirstObserver) {
  for (const char* name : {"broken-pipe", "reset-by-peer", "reset-by-peer-kernel", "linger-zero",
                           "rst-after-fin-write", "broken-pipe-ipv6", "rst-idle-read", "queued-data-first"}) {
    SCOPED_TRACE(name);
    const Scenario& sc = find_scenario(name);
    const Role kernel = sc.client.kind == ActorKind::Kernel ? Role::Client : Role::Server;
    const Replayed r = round_trip(sc, kernel, {}, labs_);
    EXPECT_TRUE(r.verdict.faithful) << r.verdict.divergence << "\n" << r.plan.text;
    EXPECT_TRUE(r.replay.trace.passed()) << r.replay.trace.failures.front();
    const auto& a = r.original.trace.first_observer;
    const auto& b = r.replay.trace.first_observer;
    ASSERT_TRUE(a);
    ASSERT_TRUE(b) << r.plan.text;
    EXPECT_EQ(a->actor, b->actor);
    EXPECT_EQ(probe_for(a->call), probe_for(b->call));
    EXPECT_EQ(errno_part(a->result), errno_part(b->result)) << a->result << " vs " << b->result;
  }
}

// Kernel against kernel: the server aborts (linger 0). Replayed with the client as the
// kernel, --then read gets ECONNRESET as the original client's read did; --then write
// gets it too (the first call after the RST takes the error, whichever it is).
TEST_F(ReplayLive, KernelCapturesReplayedFromEitherSide) {
  const Scenario& sc = find_scenario("reset-by-peer-kernel");
  for (const char* probe : {"read", "write"}) {
    SCOPED_TRACE(probe);
    const Replayed r = round_trip(sc, Role::Client, {probe}, labs_);
    EXPECT_TRUE(r.verdict.faithful) << r.verdict.divergence;
    ASSERT_TRUE(r.replay.trace.first_observer) << r.plan.text;
    EXPECT_EQ(r.replay.trace.first_observer->actor, "client");
    EXPECT_EQ(errno_part(r.replay.trace.first_observer->result), "ECONNRESET");
  }
  // The server as the kernel: its abort is re-enacted by a call (SO_LINGER {1,0} and
  // close), and the replay's RST is the original's, segment for segment.
  const Replayed s = round_trip(sc, Role::Server, {"read"}, labs_);
  EXPECT_TRUE(s.verdict.faithful) << s.verdict.divergence << "\n" << s.plan.text;
  EXPECT_NE(s.plan.text.find("server close => 0"), std::string::npos) << s.plan.text;
}

// RSTs keep their place: in the window they are answered with a challenge ACK and
// change nothing, out of the window they are dropped silently - after rebasing too.
TEST_F(ReplayLive, InWindowStaysChallengedOutOfWindowStaysDropped) {
  for (const char* name : {"challenge-ack", "out-of-window-rst"}) {
    SCOPED_TRACE(name);
    const Replayed r = round_trip(find_scenario(name), Role::Client, {"so_error"}, labs_);
    EXPECT_TRUE(r.verdict.faithful) << r.verdict.divergence << "\n" << r.plan.text;
    bool challenge = false;
    for (const Annotation& a : r.replay.trace.annotations) challenge |= a.kind == "challenge-ack";
    EXPECT_EQ(challenge, std::string(name) == "challenge-ack");
    ASSERT_FALSE(r.replay.trace.first_observer) << "the RST must change nothing";
  }
}
