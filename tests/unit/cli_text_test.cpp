// SPDX-License-Identifier: MIT
// The words of the command line that need no binary: errno names, "did you mean",
// column-aligned tables, and which exit status an exception gets.
#include <gtest/gtest.h>
#include <string.h>

#include <cerrno>
#include <sstream>

#include "rstlab/error.h"
#include "rstlab/exit_status.h"
#include "rstlab/scenario.h"
#include "rstlab/table.h"
#include "rstlab/trace.h"
#include "util/suggest.h"

using namespace rstlab;

TEST(ErrnoNames, EveryLinuxNameIsAcceptedAndPrinted) {
  for (const char* name : {"ENETRESET", "EIO", "ESHUTDOWN", "EPIPE", "ECONNRESET", "EHWPOISON", "E2BIG"}) {
    const auto v = errno_from_name(name);
    ASSERT_TRUE(v) << name;
    EXPECT_EQ(errno_name(*v), name);
  }
  EXPECT_EQ(errno_from_name("ENETRESET"), ENETRESET);
  EXPECT_EQ(errno_from_name("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(errno_from_name("ENOTSUP"), EOPNOTSUPP);
  EXPECT_EQ(errno_from_name("EDEADLOCK"), EDEADLK);
  EXPECT_EQ(errno_name(EWOULDBLOCK), "EAGAIN") << "a value prints as its first name";
  EXPECT_FALSE(errno_from_name("ECONNKAPUT"));
  EXPECT_FALSE(errno_from_name("epipe")) << "names are upper case, as in C";
  EXPECT_EQ(errno_name(4095), "E4095");
}

TEST(ErrnoNames, TheTableIsTheCLibrarysList) {
  // glibc (2.32 and later) knows the name of every errno value: the table must hold each
  // one, under the same name, and nothing glibc does not know.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  size_t named = 0;
  for (int v = 1; v < 4096; ++v) {
    const char* c_name = strerrorname_np(v);
    if (!c_name) {
      EXPECT_EQ(known_errno_name(v), nullptr) << v;
      continue;
    }
    ++named;
    ASSERT_NE(known_errno_name(v), nullptr) << c_name;
    EXPECT_STREQ(known_errno_name(v), c_name);
    EXPECT_EQ(errno_from_name(c_name), v) << c_name;
  }
  EXPECT_EQ(all_errno_names().size(), named + 3) << "every name once, plus three aliases";
#else
  GTEST_SKIP() << "needs glibc 2.32's strerrorname_np";
#endif
}

TEST(ErrnoNames, AnUnknownNameSuggestsTheClosest) {
  try {
    parse_scenario("scenario x\nclient kernel\nserver peer\nclient connect => 0\nclient read 10 => ECONNRESTE\n",
                   "x.scn");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "x.scn:5:19: unknown errno 'ECONNRESTE'; did you mean ECONNRESET? (docs/scenario-language.md lists "
              "every Linux errno name)");
  }
  // ENETRESET, EIO and ESHUTDOWN used to be refused.
  const Scenario s = parse_scenario(
      "scenario x\nclient kernel\nserver peer\nclient connect => 0\nclient read 10 => ENETRESET\n"
      "client write \"a\" => EIO\nclient send \"a\" nosignal => ESHUTDOWN\n",
      "x.scn");
  ASSERT_EQ(s.steps.size(), 4u);
}

TEST(Suggest, ClosestFirstAndOnlyThoseClose) {
  const std::vector<std::string> commands = {"list", "show", "run", "diagram", "analyze"};
  EXPECT_EQ(detail::closest_names("analize", commands), std::vector<std::string>{"analyze"});
  EXPECT_EQ(detail::closest_names("analzye", commands), std::vector<std::string>{"analyze"}) << "a swap is one edit";
  EXPECT_EQ(detail::closest_names("RUN", commands), std::vector<std::string>{"run"});
  EXPECT_TRUE(detail::closest_names("frobnicate", commands).empty());
  EXPECT_EQ(detail::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(detail::edit_distance("", "abc"), 3u);

  std::vector<std::string> scenarios;
  for (const auto& s : catalogue()) scenarios.push_back(s.name);
  const auto near = detail::closest_names("broken-pipe-kernal", scenarios);
  ASSERT_FALSE(near.empty());
  EXPECT_EQ(near[0], "broken-pipe-kernel");
  const auto part = detail::closest_names("challenge", scenarios);
  ASSERT_FALSE(part.empty()) << "a name containing the word is close enough";
  EXPECT_NE(part[0].find("challenge"), std::string::npos);
  EXPECT_EQ(detail::alternatives({"a", "b", "c"}), "'a', 'b' or 'c'");
  EXPECT_EQ(detail::alternatives({"EIO"}, 0), "EIO");
}

TEST(Catalogue, AMistypedNameSuggestsTheClosestThenHowToListAll) {
  try {
    find_scenario("brokn-pipe");
    FAIL() << "found";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("no scenario named 'brokn-pipe'; did you mean 'broken-pipe'", 0), 0u)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("('rstlab list' shows all " + std::to_string(catalogue().size()) + ")"),
              std::string::npos)
        << e.what();
  }
  try {
    find_scenario_source("nope");
    FAIL() << "found";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "no scenario named 'nope' ('rstlab list' shows all " +
                                         std::to_string(catalogue().size()) + ")")
        << "the name as typed, not nope.scn";
  }
  EXPECT_EQ(find_scenario_source("broken-pipe").file, "broken-pipe.scn");
}

TEST(Table, ColumnsAreAsWideAsTheirWidestCell) {
  std::vector<RunSummaryRow> rows(3);
  rows[0] = {"broken-pipe", "veth", "client write -> EPIPE +SIGPIPE (killed)", true, 4, 4, "out/broken-pipe/veth"};
  rows[1] = {"a-scenario-name-much-longer-than-twenty-six-characters", "tun",
             "server read -> ECONNRESET after a very long and winding explanation of the cause",
             false, 6, 7, "out/a/tun"};
  rows[2] = {"x", "veth", "-", true, 0, 0, "out/x/veth"};
  const std::string table = render_run_summary(rows);
  std::istringstream in(table);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 4u) << table;
  // Every column starts at the same offset on every line.
  for (const char* head : {"LINK", "FIRST OBSERVER", "RESULT", "EXPECT", "OUTPUT"}) {
    const size_t at = lines[0].find(head);
    ASSERT_NE(at, std::string::npos) << head;
    for (size_t k = 1; k < lines.size(); ++k) {
      ASSERT_GT(lines[k].size(), at) << table;
      EXPECT_NE(lines[k][at], ' ') << head << " on line " << k << ":\n" << table;
      EXPECT_EQ(lines[k].substr(at - 2, 2), "  ") << head << " on line " << k << ":\n" << table;
    }
  }
  EXPECT_EQ(lines[2].substr(lines[0].find("EXPECT"), 3), "6/7");
  EXPECT_EQ(lines[2].substr(lines[0].find("RESULT"), 6), "FAILED");
  for (const auto& l : lines) EXPECT_NE(l.back(), ' ') << "trailing blanks: '" << l << "'";
  // UTF-8 takes one column per character.
  EXPECT_EQ(render_table({"A", "B"}, {{"\xc3\xa9t\xc3\xa9", "1"}, {"abc", "2"}}), "A    B\n\xc3\xa9t\xc3\xa9  1\nabc  2\n");
}

TEST(ExitStatus, EachKindOfFailureHasItsOwn) {
  EXPECT_EQ(failure_for(InputError("x.scn:1:1: bad")).status, kExitInput);
  EXPECT_EQ(failure_for(InputError("x.scn:1:1: bad")).message, "x.scn:1:1: bad");
  EXPECT_EQ(failure_for(SetupError("building the lab needs root")).status, kExitSetup);
  EXPECT_EQ(failure_for(SystemError("socketpair", EMFILE)).status, kExitSetup);
  EXPECT_EQ(failure_for(Error("the client actor died during its call")).status, kExitSetup);
  const Failure bug = failure_for(std::out_of_range("vector::_M_range_check"));
  EXPECT_EQ(bug.status, kExitInternal);
  EXPECT_EQ(bug.message, "internal error: vector::_M_range_check; please report it");
  EXPECT_EQ(failure_for(std::bad_alloc()).status, kExitInternal);
  EXPECT_EQ(failure_for(std::bad_alloc()).message, "out of memory");
}
