// SPDX-License-Identifier: MIT
// Every built-in scenario, live, on both links: its expectations hold, the capture is
// complete, and the annotator's model agrees with every result the kernel gave.
#include <gtest/gtest.h>
#include <unistd.h>

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

class Catalogue : public ::testing::TestWithParam<Param> {};

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
}

INSTANTIATE_TEST_SUITE_P(Live, Catalogue, ::testing::ValuesIn(all_params()), [](const auto& info) {
  std::string n = catalogue()[info.param.index].name + "_" + link_name(info.param.link);
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
});
