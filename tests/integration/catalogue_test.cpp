// SPDX-License-Identifier: MIT
// Every built-in scenario, live, on both links: its expectations hold, the capture is
// complete, and the annotator's model agrees with every result the kernel gave.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "rstlab/analyze.h"
#include "rstlab/outputs.h"
#include "rstlab/runner.h"

using namespace rstlab;

namespace {

struct Param {
  size_t index;
  LinkKind link;
};

std::vector<Param> all_params() {
  std::vector<Param> v;
  for (size_t i = 0; i < catalogue().size(); ++i)
    for (LinkKind l : {LinkKind::Veth, LinkKind::Tun}) v.push_back({i, l});
  return v;
}

/// The errno part of a result ("EPIPE +SIGPIPE (killed)" -> "EPIPE").
std::string errno_part(const std::string& result) { return result.substr(0, result.find(' ')); }

bool has(const std::string& s, const char* w) { return s.find(w) != std::string::npos; }

class Catalogue : public ::testing::TestWithParam<Param> {
 protected:
  /// `rstlab analyze` on the run's own capture.pcap must predict exactly what the live
  /// run's first observer got - with no hand-written expectation.
  void self_check(const RunResult& r) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("rstlab-selfcheck-" + std::to_string(getpid()));
    const std::string folder = write_run_folder(dir.string(), r);
    std::vector<ConnectionReport> conns;
    analyze_file(folder + "/capture.pcap", [&](const ConnectionReport& c) { conns.push_back(c); });
    fs::remove_all(dir);
    ASSERT_EQ(conns.size(), 1u) << "one connection per scenario";
    const ConnectionReport& c = conns[0];
    EXPECT_EQ(c.a, r.trace.client.endpoint) << "a is the side that sent the SYN";
    const EndpointPrediction& client = c.predicted[0];
    const auto& f = r.trace.first_observer;
    if (!f) {
      // Nothing observed anything: the wire must not predict an error either.
      EXPECT_EQ(client.next_write, "ok") << client.why;
      EXPECT_EQ(client.so_error, "0");
      return;
    }
    if (f->actor != "client") {
      // Only a server write that an RST cut short (middlebox-bulk-reset) observes first;
      // the wire tells its short count no more than any write's count.
      ASSERT_EQ(f->call, "write") << r.trace.scenario;
      EXPECT_NE(f->result.find("(cut short)"), std::string::npos) << f->result;
      EXPECT_EQ(c.predicted[1].next_write, "ECONNRESET") << c.predicted[1].why;
      return;
    }
    std::string predicted;
    if (f->call == "read" || f->call == "recv") predicted = client.next_read;
    else if (f->call == "write" || f->call == "send") predicted = client.next_write;
    else if (f->call == "getsockopt" || f->call == "connect") predicted = client.so_error;
    if (f->call == "poll") {
      // poll reports without consuming: POLLERR <=> an error is pending; POLLRDHUP alone <=> EOF.
      if (has(f->result, "POLLERR")) {
        EXPECT_NE(client.so_error, "0") << f->result;
      } else if (has(f->result, "POLLRDHUP")) {
        EXPECT_EQ(client.next_read, "EOF") << f->result;
      }
      return;
    }
    std::string observed = errno_part(f->result);
    if (f->call == "getsockopt") observed = errno_part(f->result.substr(f->result.find(' ') + 1));
    EXPECT_EQ(predicted, observed) << "first observer " << f->call << " -> " << f->result << "; analyze says: "
                                   << client.why;
    if (f->call == "write" || f->call == "send") {
      // The wire cannot see MSG_NOSIGNAL: a plain write's EPIPE raises SIGPIPE.
      EXPECT_EQ(client.write_raises_sigpipe, has(f->result, "SIGPIPE") || (has(f->result, "EPIPE") && f->call == "send"))
          << f->result;
    }
  }
};

}  // namespace

TEST_P(Catalogue, RunsAsItsFileSays) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  const Scenario& s = catalogue()[GetParam().index];
  RunOptions opt;
  opt.link = GetParam().link;
  const RunResult r = run_scenario(s, opt);
  for (const auto& f : r.trace.failures) ADD_FAILURE() << f;
  EXPECT_EQ(r.trace.capture.dropped, 0u);
  EXPECT_EQ(r.trace.capture.undecoded, 0u);
  for (const auto& a : r.trace.annotations)
    EXPECT_NE(a.kind, "mismatch") << "event " << a.event << ": " << a.text;
  size_t checked = 0;
  for (const auto& e : r.trace.events) checked += e.met.has_value();
  EXPECT_GE(checked, 1u);
  const bool network = s.server.kind != ActorKind::None;
  EXPECT_EQ(r.packets.empty(), !network);
  // A program's trace names its actors after it (python3[N]) and its calls as it made
  // them (sendto): self_check() reads the scripted runs' names.
  if (network && !s.program_actor()) self_check(r);
}

INSTANTIATE_TEST_SUITE_P(Live, Catalogue, ::testing::ValuesIn(all_params()), [](const auto& info) {
  std::string n = catalogue()[info.param.index].name + "_" + link_name(info.param.link);
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
});
