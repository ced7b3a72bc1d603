// SPDX-License-Identifier: MIT
// rstlab replay on kernel-against-kernel captures made here: tests/programs/tcp_pair plays
// a reset story with two real sockets on `lo` inside a fresh network namespace, the
// recorder captures it as tcpdump would, and the replay - with the RST's receiver as the
// kernel, or its sender - must be faithful and its probe must get what the program's own
// probe got. Needs root.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "lab/netdev.h"
#include "rstlab/capture.h"
#include "rstlab/replay.h"
#include "rstlab/runner.h"

using namespace rstlab;
namespace fs = std::filesystem;

namespace {

/// The replay's packets before its first probe call (the probes' are not compared).
std::vector<CapturedPacket> exchange(const RunResult& r, const ReplayPlan& plan) {
  const int64_t probes = probe_start_ns(r.trace, plan);
  std::vector<CapturedPacket> out;
  for (const CapturedPacket& p : r.packets)
    if (p.t_ns < probes) out.push_back(p);
  return out;
}

struct Story {
  std::string plan;      ///< tcp_pair --plan item: CASE/PROBE
  std::string value;     ///< what the program's probe got (filled in)
  std::string receiver;  ///< "client" or "server": who received the RST (filled in)
};

/// Runs `story` in a new network namespace with the recorder on lo, as tcpdump would take
/// it, and writes what it captured to `file`.
void capture_on_lo(const fs::path& file, const std::function<void()>& story) {
  const detail::Fd original = detail::current_netns();
  std::vector<CapturedPacket> packets;
  int dlt = 0;
  {
    const detail::Fd ns = detail::new_anonymous_netns();
    struct Back {
      int fd;
      ~Back() { detail::enter_netns(fd); }
    } back{original.get()};
    detail::prepare_netns(false);
    Recorder rec("lo");
    story();
    // On lo a packet is tapped when it is sent: every one is in the ring once the story
    // has ended. Take them until the ring stays empty for a moment.
    for (;;) {
      rec.drain();
      pollfd pfd{rec.fd(), POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) break;
    }
    packets = rec.packets();
    dlt = rec.link_type();
  }
  write_pcap(file.string(), dlt, packets);
}

/// Runs tcp_pair on lo (capture_on_lo) and returns the program's result line.
nlohmann::json capture_story(const std::string& plan, const fs::path& file) {
  nlohmann::json result;
  capture_on_lo(file, [&] {
    const std::string cmd =
        std::string(RSTLAB_TCP_PAIR) + " --server 127.0.0.1 --client 127.0.0.1 --plan " + plan;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen " + cmd);
    char line[4096];
    while (std::fgets(line, sizeof line, p)) {
      const auto j = nlohmann::json::parse(line);
      if (j["event"] == "result") result = j;
      if (j["event"] == "error") ADD_FAILURE() << line;
    }
    EXPECT_EQ(::pclose(p), 0) << cmd;
  });
  return result;
}

/// A replay of `flow` run in `labs`, and its comparison with the original.
struct Replayed {
  ReplayPlan plan;
  RunResult run;
  ReplayVerdict verdict;
};
Replayed replay(const CapturedFlow& flow, const ReplayOptions& o, LabCache& labs) {
  Replayed out;
  out.plan = plan_replay(flow, o);
  out.run = run_scenario(out.plan.scenario, RunOptions{}, labs);
  out.verdict = compare_units(
      wire_units(flow.link_type, flow.packets, flow.report.a),
      wire_units(out.run.link_type, exchange(out.run, out.plan), out.run.trace.client.endpoint),
      o.kernel);
  return out;
}

class ReplayKernelCapture : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  }
};

}  // namespace

TEST_P(ReplayKernelCapture, ReceiverAndSenderReplayedFaithfullyProbeAgrees) {
  const std::string plan = GetParam();
  const fs::path file = fs::temp_directory_path() / ("rstlab-replay-kk-" + std::to_string(::getpid()) + ".pcap");
  const nlohmann::json got = capture_story(plan, file);
  ASSERT_FALSE(got.is_null()) << "tcp_pair reported no result";
  const std::string receiver = got["receiver"], probe = got["probe"], value = got["value"];
  const CapturedFlow flow = choose_flow(file.string(), std::nullopt);
  fs::remove(file);
  LabCache labs;
  for (const Role kernel : {Role::Client, Role::Server}) {
    const bool is_receiver = role_name(kernel) == receiver;
    SCOPED_TRACE(std::string(role_name(kernel)) + (is_receiver ? " (the RST's receiver)" : " (its sender)"));
    ReplayOptions o;
    o.kernel = kernel;
    o.then = {probe};
    const Replayed rep = replay(flow, o, labs);
    const ReplayPlan& p = rep.plan;
    const RunResult& r = rep.run;
    EXPECT_TRUE(rep.verdict.faithful) << rep.verdict.divergence << "\n" << p.text;
    if (!is_receiver) continue;
    // The probe is the program's own: the same call, the same errno.
    ASSERT_TRUE(r.trace.first_observer) << p.text;
    EXPECT_EQ(r.trace.first_observer->actor, receiver);
    const std::string result = r.trace.first_observer->result;
    EXPECT_EQ(result.substr(0, result.find(' ')), value) << result;
  }
}

INSTANTIATE_TEST_SUITE_P(Stories, ReplayKernelCapture,
                         ::testing::Values("reset-by-peer/read", "reset-by-peer/write", "broken-pipe/write",
                                           "linger-abort/read", "linger-abort/write", "rst-after-fin/write"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// A refused connect captured on lo (connect() to a port nothing listens on: the kernel
// answers the SYN with RST|ACK) replays from either side: the kernel client's connect
// gets ECONNREFUSED, the kernel server (no listener) refuses the peer's SYN itself.
TEST(ReplayRefusedCapture, ConnectToNothingReplaysFaithfullyFromEitherSide) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  const fs::path file = fs::temp_directory_path() / ("rstlab-replay-refused-" + std::to_string(::getpid()) + ".pcap");
  capture_on_lo(file, [] {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    const int err = errno;
    ::close(fd);
    ASSERT_EQ(rc, -1);
    ASSERT_EQ(err, ECONNREFUSED);
  });
  if (HasFatalFailure()) return;
  const CapturedFlow flow = choose_flow(file.string(), std::nullopt);
  fs::remove(file);
  EXPECT_EQ(flow.report.ending, "refused");
  LabCache labs;
  for (const Role kernel : {Role::Client, Role::Server}) {
    SCOPED_TRACE(role_name(kernel));
    ReplayOptions o;
    o.kernel = kernel;
    const Replayed rep = replay(flow, o, labs);
    const ReplayPlan& p = rep.plan;
    const RunResult& r = rep.run;
    EXPECT_TRUE(r.trace.failures.empty()) << r.trace.failures.front() << "\n" << p.text;
    EXPECT_TRUE(rep.verdict.faithful) << rep.verdict.divergence << "\n" << p.text;
    EXPECT_EQ(rep.verdict.compared, 2u);
    if (kernel == Role::Server) continue;
    ASSERT_TRUE(r.trace.first_observer) << p.text;
    EXPECT_EQ(r.trace.first_observer->call, "connect");
    EXPECT_EQ(r.trace.first_observer->result.substr(0, 12), "ECONNREFUSED");
  }
}
