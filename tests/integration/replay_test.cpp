// SPDX-License-Identifier: MIT
// rstlab replay, live: a run's own capture replayed against a kernel socket gives the same
// segments (faithful) and the same first observer with the same errno; kernel-against-
// kernel captures replayed from either side agree with what the kernel actors saw; an
// in-window RST stays challenged and an out-of-window one stays dropped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rstlab/capture.h"
#include "rstlab/error.h"
#include "rstlab/replay.h"
#include "rstlab/runner.h"
#include "rstlab/wire.h"

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
                              wire_units(out.replay.link_type, exchange(out.replay, out.plan),
                                         out.replay.trace.client.endpoint),
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

// ---- the command: exit statuses, one-line errors, nothing half-written -----------

namespace {

struct Ran {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs `rstlab ARGS` through the shell (arguments are quoted by the caller).
Ran run_rstlab(const std::string& args) {
  const fs::path base = fs::temp_directory_path() / ("rstlab-replay-cli-" + std::to_string(::getpid()));
  const std::string cmd = std::string(RSTLAB_BINARY) + " " + args + " >" + base.string() + ".out 2>" + base.string() + ".err";
  Ran r;
  const int s = std::system(cmd.c_str());
  r.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
  r.out = slurp(base.string() + ".out");
  r.err = slurp(base.string() + ".err");
  fs::remove(base.string() + ".out");
  fs::remove(base.string() + ".err");
  return r;
}

const std::string kCaptures = std::string(RSTLAB_SOURCE_DIR) + "/captures/";

}  // namespace

TEST(ReplayCli, BadInputIsOneLineStatusTwoAndWritesNothing) {
  const fs::path out = fs::temp_directory_path() / ("rstlab-replay-out-" + std::to_string(::getpid()));
  fs::remove_all(out);
  const fs::path cut = fs::temp_directory_path() / ("rstlab-replay-cut-" + std::to_string(::getpid()) + ".pcap");
  std::ofstream(cut, std::ios::binary) << slurp(kCaptures + "broken-pipe-veth.pcap").substr(0, 60);
  const fs::path text = fs::temp_directory_path() / ("rstlab-replay-text-" + std::to_string(::getpid()) + ".pcap");
  std::ofstream(text) << "not a capture\n";
  struct Case {
    std::string args, says;
  } cases[] = {
      {kCaptures + "broken-pipe-veth.pcap --flow 9", "no flow 9 (it has 1 connection"},
      {cut.string(), cut.string() + ":"},
      {text.string(), text.string() + ":"},
      {kCaptures + "broken-pipe-veth.pcap --then read,frob", "--then: 'frob' is not a probe call"},
      {kCaptures + "broken-pipe-veth.pcap --kernel middle", "--kernel"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const Ran r = run_rstlab("replay " + c.args + " --out " + out.string());
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("rstlab: ", 0), 0u) << r.err;
    EXPECT_FALSE(fs::exists(out)) << "a bad input must leave no run folder";
  }
  fs::remove(cut);
  fs::remove(text);
}

TEST(ReplayCli, FaithfulReplayWritesItsFolderAndTheEmittedScenarioRunsTheSame) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  const fs::path out = fs::temp_directory_path() / ("rstlab-replay-ok-" + std::to_string(::getpid()));
  fs::remove_all(out);
  const Ran r = run_rstlab("replay " + kCaptures + "reset-by-peer-veth.pcap --json --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["faithful"], true);
  EXPECT_TRUE(j["divergence"].is_null());
  EXPECT_EQ(j["flow"], 1);
  EXPECT_EQ(j["first_observer"]["call"], "read");
  const fs::path dir = j["dir"].get<std::string>();
  for (const char* f : {"trace.json", "trace.txt", "capture.pcap", "original.pcap", "replay.scn", "index.html"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  // --emit-scenario writes the same scenario; `rstlab run` of it has the same first observer.
  const fs::path scn = out / "flow.scn";
  const Ran e = run_rstlab("replay " + kCaptures + "reset-by-peer-veth.pcap --emit-scenario " + scn.string());
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(slurp(scn), slurp(dir / "replay.scn"));
  const Ran run = run_rstlab("run " + scn.string() + " --json --out " + out.string());
  EXPECT_EQ(run.status, 0) << run.err << run.out;
  EXPECT_EQ(nlohmann::json::parse(run.out)["first_observer"], j["first_observer"]);
  fs::remove_all(out);
}

TEST(ReplayCli, AllResetsReplaysEachInOneLabAndProbesAreNotCompared) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  const fs::path out = fs::temp_directory_path() / ("rstlab-replay-all-" + std::to_string(::getpid()));
  fs::remove_all(out);
  // Two connections, each reset: one JSON line each, both faithful.
  const Ran r = run_rstlab("replay " + std::string(RSTLAB_TEST_DATA) + "/real/broken-pipe-v4.pcap --all-resets --json --out " +
                           out.string());
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  std::istringstream lines(r.out);
  std::vector<uint64_t> flows;
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["faithful"], true) << line;
    flows.push_back(j["flow"]);
  }
  EXPECT_EQ(flows, (std::vector<uint64_t>{1, 2}));
  // The out-of-window RST leaves the connection open: the write probe sends a byte the
  // capture cannot hold, and the comparison stops where the probes begin.
  const Ran w = run_rstlab("replay " + kCaptures + "out-of-window-rst-veth.pcap --then write --json --out " + out.string());
  EXPECT_EQ(w.status, 0) << w.err << w.out;
  EXPECT_EQ(nlohmann::json::parse(w.out)["faithful"], true) << w.out;
  fs::remove_all(out);
}

// A refused connect replays (it ended with a reset): the kernel client's connect gets
// ECONNREFUSED from the peer's RST|ACK; as the server, nothing listens and the lab's
// kernel refuses the peer's SYN itself, segment for segment as captured. --json without
// --out writes no folder.
TEST(ReplayCli, RefusedConnectReplaysFromEitherSideAndJsonAloneWritesNoFolder) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  const fs::path cwd = fs::current_path();
  const fs::path here = fs::temp_directory_path() / ("rstlab-replay-refused-" + std::to_string(::getpid()));
  fs::remove_all(here);
  fs::create_directories(here);
  fs::current_path(here);
  const Ran c = run_rstlab("replay " + kCaptures + "connect-refused-veth.pcap --json");
  const Ran s = run_rstlab("replay " + kCaptures + "connect-refused-veth.pcap --kernel server --json");
  const bool wrote = !fs::is_empty(here);
  fs::current_path(cwd);
  fs::remove_all(here);
  ASSERT_EQ(c.status, 0) << c.err << c.out;
  const auto j = nlohmann::json::parse(c.out);
  EXPECT_EQ(j["faithful"], true) << c.out;
  EXPECT_EQ(j["compared"], 2) << c.out;
  EXPECT_TRUE(j["dir"].is_null()) << c.out;
  EXPECT_EQ(j["first_observer"]["call"], "connect") << c.out;
  EXPECT_EQ(j["first_observer"]["result"].get<std::string>().rfind("ECONNREFUSED", 0), 0u) << c.out;
  EXPECT_EQ(s.status, 0) << s.err << s.out;
  EXPECT_EQ(nlohmann::json::parse(s.out)["faithful"], true) << s.out;
  EXPECT_FALSE(wrote) << "--json without --out must write nothing";
}

// --timing capture of a retransmission story: the captured retransmission timeout
// becomes the lab's rto_min and the peer acknowledges only where the captured one did,
// so the lab's kernel retransmits again, about as late as in the capture.
TEST_F(ReplayLive, CaptureTimingReplaysARetransmissionStoryWithItsRtoMin) {
  const Scenario sc = parse_scenario(
      "scenario retransmission-story\n"
      "client kernel sigpipe=ignore\n"
      "server peer\n"
      "rto_min 20ms\n"
      "client connect => 0\n"
      "server autoack off\n"
      "client write \"x\" => 1\n"
      "after 50ms server ack\n"
      "server rst seq=exact\n"
      "client read 10 => ECONNRESET\n",
      "retransmission-story.scn");
  const RunResult original = run_scenario(sc, RunOptions{}, labs_);
  ASSERT_TRUE(original.trace.passed()) << original.trace.failures.front();
  const fs::path file = fs::temp_directory_path() / ("rstlab-replay-rto-" + std::to_string(::getpid()) + ".pcap");
  write_pcap(file.string(), original.link_type, original.packets);
  const CapturedFlow flow = choose_flow(file.string(), std::nullopt);
  fs::remove(file);
  // The kernel's segments carrying "x": the first and its retransmissions, with times.
  auto sends = [](const RunResult& r) {
    std::vector<int64_t> t;
    for (const CapturedPacket& p : r.packets) {
      TcpSegment s;
      if (decode_tcp(r.link_type, p.data.data(), p.data.size(), s) == DecodeStatus::Ok &&
          s.src == r.trace.client.endpoint && s.payload_len == 1)
        t.push_back(p.t_ns);
    }
    return t;
  };
  const std::vector<int64_t> before = sends(original);
  ASSERT_GE(before.size(), 2u) << "the original holds no retransmission";
  ReplayOptions o;
  o.capture_timing = true;
  o.then = {"read"};
  const ReplayPlan plan = plan_replay(flow, o);
  ASSERT_TRUE(plan.scenario.rto_min_ms) << plan.text;
  EXPECT_GE(*plan.scenario.rto_min_ms, 20) << plan.text;
  EXPECT_LE(*plan.scenario.rto_min_ms, 40) << plan.text;
  const RunResult replay = run_scenario(plan.scenario, RunOptions{}, labs_);
  EXPECT_TRUE(replay.trace.failures.empty()) << replay.trace.failures.front();
  const std::vector<int64_t> after = sends(replay);
  ASSERT_GE(after.size(), 2u) << "the replay's kernel did not retransmit\n" << plan.text;
  EXPECT_GE(after[1] - after[0], 15'000'000) << "retransmitted before the captured timeout";
  const ReplayVerdict v = compare_units(wire_units(flow.link_type, flow.packets, flow.report.a),
                                        wire_units(replay.link_type, exchange(replay, plan), replay.trace.client.endpoint),
                                        Role::Client);
  EXPECT_TRUE(v.faithful) << v.divergence << "\n" << plan.text;
  // The lab's own rto_min is back as it was for the next run.
  EXPECT_TRUE(run_scenario(find_scenario("broken-pipe"), RunOptions{}, labs_).trace.passed());
}

// --jobs: replays side by side, each worker in labs of its own, give the same verdicts in
// the same order as one at a time (refused connections among them).
TEST(ReplayCli, AllResetsGivesTheSameVerdictsWhateverTheJobs) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
#ifdef __SANITIZE_ADDRESS__
  // Three workers of ASan-instrumented replays on two cores (CI's sanitizer pass) are slow
  // enough to change a timing-bound verdict. A retransmitted SYN no longer does (the peer
  // answers the handshake once), but in CI's rehearsal one flow's probe `write` then found
  // no error with --jobs 3 where it found EPIPE with --jobs 1: not yet explained. The
  // uninstrumented pass runs this test.
  GTEST_SKIP() << "timing-bound: not run under AddressSanitizer";
#endif
  const fs::path gen = fs::path(RSTLAB_BINARY).parent_path() / "gen-capture";
  if (!fs::exists(gen)) GTEST_SKIP() << "no " << gen;
  const fs::path p = fs::temp_directory_path() / ("rstlab-replay-jobs-" + std::to_string(::getpid()) + ".pcap");
  const std::string cmd = gen.string() + " --packets 1500 --seed 3 --out " + p.string() + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const Ran one = run_rstlab("replay " + p.string() + " --all-resets --json --jobs 1");
  const Ran three = run_rstlab("replay " + p.string() + " --all-resets --json --jobs 3");
  fs::remove(p);
  EXPECT_EQ(one.status, three.status) << one.err << three.err;
  // What each replay decided: the flow, faithful, the first observer's call and errno. (A
  // frame number in a reason may differ: a delayed ACK that fired on a loaded machine.)
  auto verdicts = [](const std::string& out) {
    std::vector<std::string> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      const auto& fo = j["first_observer"];
      v.push_back(j["flow"].dump() + " " + j["faithful"].dump() + " " +
                  (fo.is_null() ? "-" : fo["call"].get<std::string>() + " " + errno_part(fo["result"])));
    }
    return v;
  };
  const std::vector<std::string> a = verdicts(one.out);
  EXPECT_EQ(a, verdicts(three.out));
  EXPECT_GT(a.size(), 10u);
  EXPECT_NE(std::count_if(a.begin(), a.end(), [](const std::string& v) { return v.find(" connect ECONNREFUSED") != std::string::npos; }), 0)
      << one.out;
}

namespace {

/// What a first observer felt, comparable across probes: its errno ("SO_ERROR
/// ECONNREFUSED" and "ECONNREFUSED" alike), POLLERR for a poll that reported one.
std::string felt(const std::string& result) {
  if (result.find("POLLERR") != std::string::npos) return "POLLERR";
  std::istringstream words(result);
  for (std::string w; words >> w;)
    if (w.size() > 1 && w[0] == 'E' && std::isupper(static_cast<unsigned char>(w[1]))) return w;
  return result;
}

}  // namespace

// Every catalogue scenario with a crafted peer or two kernels (not a middlebox's, not a
// program's) whose capture holds an RST: its own capture replayed with the kernel side as
// the original kernel gives the same segments and the same first observer with the same
// errno. (A story without an RST - user-timeout's ETIMEDOUT - is no reset to replay: what
// ended it, TCP_USER_TIMEOUT, is a socket option the wire does not show.)
TEST_F(ReplayLive, EveryCatalogueScenarioRoundTrips) {
  size_t tried = 0;
  for (const Scenario& sc : catalogue()) {
    if (sc.middle || sc.program_actor()) continue;
    SCOPED_TRACE(sc.name);
    const Role kernel = sc.client.kind == ActorKind::Kernel ? Role::Client : Role::Server;
    Replayed r;
    try {
      r = round_trip(sc, kernel, {}, labs_);
    } catch (const InputError& e) {
      // A story told on a pipe (`prog | head`) has no TCP to replay; anything else is a failure.
      EXPECT_NE(std::string(e.what()).find("no TCP segment in this capture"), std::string::npos) << e.what();
      continue;
    }
    bool rst = false;
    for (const auto& e : r.original.trace.events)
      if (const auto* p = e.packet(); p && (p->flags & tcpflag::RST)) rst = true;
    if (!rst) continue;
    ++tried;
    EXPECT_TRUE(r.original.trace.passed()) << r.original.trace.failures.front();
    EXPECT_TRUE(r.replay.trace.passed()) << r.replay.trace.failures.front() << "\n" << r.plan.text;
    EXPECT_TRUE(r.verdict.faithful) << r.verdict.divergence << "\n" << r.plan.text;
    const auto& a = r.original.trace.first_observer;
    const auto& b = r.replay.trace.first_observer;
    if (!a) {
      EXPECT_FALSE(b) << b->result;
      continue;
    }
    ASSERT_TRUE(b) << r.plan.text;
    EXPECT_EQ(a->actor, b->actor);
    // A refused connect is felt by connect itself in the replay, whatever the original
    // asked (SO_ERROR after a non-blocking connect): the errno is what must agree.
    if (felt(a->result) != "ECONNREFUSED") {
      EXPECT_EQ(probe_for(a->call), probe_for(b->call));
    }
    EXPECT_EQ(felt(a->result), felt(b->result)) << a->result << " vs " << b->result;
  }
  EXPECT_GE(tried, 30u);
}

namespace {

/// Runs `sc`, plans the replay of its capture (kernel client), lets `slow` make the
/// replay's peer late, runs it and compares it with the original.
Replayed slow_round_trip(const Scenario& sc, std::vector<std::string> then,
                         const std::function<void(ReplayPlan&)>& slow, LabCache& labs) {
  Replayed out;
  out.original = run_scenario(sc, RunOptions{}, labs);
  const fs::path file =
      fs::temp_directory_path() / ("rstlab-replay-slow-" + std::to_string(::getpid()) + ".pcap");
  write_pcap(file.string(), out.original.link_type, out.original.packets);
  const CapturedFlow flow = choose_flow(file.string(), 1);
  fs::remove(file);
  ReplayOptions o;
  if (!then.empty()) o.then = then;
  out.plan = plan_replay(flow, o);
  slow(out.plan);
  out.replay = run_scenario(out.plan.scenario, RunOptions{}, labs);
  out.verdict = compare_units(wire_units(flow.link_type, flow.packets, flow.report.a),
                              wire_units(out.replay.link_type, exchange(out.replay, out.plan),
                                         out.replay.trace.client.endpoint),
                              Role::Client);
  return out;
}

/// The replay's segments of one direction with exactly these flags.
size_t segments(const RunResult& r, bool from_client, uint8_t flags) {
  size_t n = 0;
  for (const CapturedPacket& p : r.packets) {
    TcpSegment s;
    if (decode_tcp(r.link_type, p.data.data(), p.data.size(), s) == DecodeStatus::Ok &&
        (s.src == r.trace.client.endpoint) == from_client && (s.flags & ~tcpflag::PSH) == flags)
      ++n;
  }
  return n;
}

/// The peer's own reports ("auto" actions) that mention `what`.
size_t reported(const Trace& t, const std::string& what) {
  size_t n = 0;
  for (const Event& e : t.events)
    if (const ActionEvent* a = e.action();
        a && a->action == "auto" && a->detail.find(what) != std::string::npos)
      ++n;
  return n;
}

constexpr int kPastTheSynTimeout =
    1100;  // ms: the kernel's first SYN timeout is 1 s (TCP_TIMEOUT_INIT)

}  // namespace

// The replay's peer late with its SYN-ACK (held past the kernel's 1 s SYN timeout, as a
// loaded machine may be): the kernel retransmits its SYN, and the peer does not answer it a
// second time. A second SYN-ACK would change the story: the kernel answers it with an ACK
// that holds back the challenge ACK this story is about (one out-of-window answer per
// tcp_invalid_ratelimit), and here, held as long as the first, it would also hold back the
// RST behind it. The replay of challenge-ack stays faithful, the retransmission reported.
TEST_F(ReplayLive, ARetransmittedSynIsTheSameHandshakeStep) {
  const Replayed r = slow_round_trip(
      find_scenario("challenge-ack"), {"so_error"},
      [](ReplayPlan& plan) {
        const Scenario held =
            parse_scenario("scenario held\nclient kernel\nserver peer\nserver delay " +
                               std::to_string(kPastTheSynTimeout) + "ms\nserver delay 0ms\n",
                           "held.scn");
        auto& steps = plan.scenario.steps;
        const auto connect = std::find_if(steps.begin(), steps.end(), [](const Step& s) {
          return s.op == StepOp::Call && s.call.call == KernelCall::Connect;
        });
        ASSERT_NE(connect, steps.end()) << plan.text;
        const size_t at = static_cast<size_t>(connect - steps.begin());
        steps.insert(steps.begin() + static_cast<long>(at) + 1, held.steps[1]);
        steps.insert(steps.begin() + static_cast<long>(at), held.steps[0]);
        plan.probe_step += 2;
      },
      labs_);
  ASSERT_TRUE(r.original.trace.passed()) << r.original.trace.failures.front();
  EXPECT_TRUE(r.replay.trace.passed()) << r.replay.trace.failures.front();
  EXPECT_EQ(segments(r.replay, true, tcpflag::SYN), 2u) << "the kernel did not retransmit its SYN";
  EXPECT_EQ(segments(r.replay, false, tcpflag::SYN | tcpflag::ACK), 1u);
  EXPECT_EQ(reported(r.replay.trace, "retransmitted its SYN (same ISN)"), 1u);
  EXPECT_TRUE(r.verdict.faithful) << r.verdict.divergence << "\n" << r.plan.text;
}

// A refused connect whose refusal comes after the kernel's retransmitted SYN: the peer's
// RST|ACK answers both (same ISN), connect fails with ECONNREFUSED, and the replay is
// faithful with the extra SYN reported.
TEST_F(ReplayLive, ARefusalAfterARetransmittedSynIsTheSameStep) {
  const Replayed r = slow_round_trip(
      find_scenario("connect-refused"), {},
      [](ReplayPlan& plan) {
        for (Step& s : plan.scenario.steps)
          if (s.op == StepOp::PeerRst && s.with_ack) s.after_ms = kPastTheSynTimeout;
      },
      labs_);
  ASSERT_TRUE(r.original.trace.passed()) << r.original.trace.failures.front();
  EXPECT_TRUE(r.replay.trace.passed()) << r.replay.trace.failures.front();
  EXPECT_EQ(segments(r.replay, true, tcpflag::SYN), 2u) << "the kernel did not retransmit its SYN";
  EXPECT_EQ(reported(r.replay.trace, "retransmitted its SYN (same ISN)"), 1u);
  ASSERT_TRUE(r.replay.trace.first_observer);
  EXPECT_EQ(errno_part(r.replay.trace.first_observer->result), "ECONNREFUSED");
  EXPECT_TRUE(r.verdict.faithful) << r.verdict.divergence << "\n" << r.plan.text;
}
