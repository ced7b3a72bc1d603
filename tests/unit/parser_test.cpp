// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "rstlab/error.h"
#include "rstlab/scenario.h"
#include "util/utf8.h"
#include "../../fuzz/targets.h"

namespace fs = std::filesystem;
using namespace rstlab;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Parser, ReadsEveryKindOfStep) {
  const Scenario s = parse_scenario(R"(# a comment
scenario every-step
title "All of it"
story "line one"
story "line two"
client kernel sigpipe=ignore
server peer
family ipv6
link both
rto_min 20ms

client connect nonblock          => EINPROGRESS
client poll out timeout=100      => POLLOUT
server send "hi\n"
client recv 3 peek               => "hi\n"
client read 10 &
server rst seq=+100 ack badsum
server expect .
after 5ms server rst seq=oow
server rst seq=-2
server rst seq=77
client wait                      => ECONNRESET
client send 100 bytes nosignal   => EPIPE
client write "x"                 => EPIPE +SIGPIPE
client so_error                  => 0
client shutdown rdwr             => 0
client linger 0                  => 0
client user_timeout 50ms         => 0
client close                     => 0
server autoack off
server closed-rst on
server synack off
server delay 15ms
server fin
server close
server ack
server recv 4
)", "t.scn");
  EXPECT_EQ(s.name, "every-step");
  EXPECT_EQ(s.title, "All of it");
  EXPECT_EQ(s.story, "line one line two");
  EXPECT_EQ(s.client.kind, ActorKind::Kernel);
  EXPECT_EQ(s.client.sigpipe, SigpipeMode::Ignore);
  EXPECT_EQ(s.server.kind, ActorKind::Peer);
  EXPECT_EQ(s.family, Family::V6);
  EXPECT_EQ(s.rto_min_ms, 20);
  EXPECT_EQ(s.links, (std::vector<LinkKind>{LinkKind::Veth, LinkKind::Tun}));
  ASSERT_EQ(s.steps.size(), 26u);
  const auto& st = s.steps;
  EXPECT_TRUE(st[0].call.nonblocking);
  EXPECT_EQ(st[0].expect->kind, Expectation::Kind::Errno);
  EXPECT_EQ(st[0].expect->err, EINPROGRESS);
  EXPECT_EQ(st[0].where, "t.scn:12");
  EXPECT_EQ(st[1].call.events, POLLOUT);
  EXPECT_EQ(st[1].call.value, 100);
  EXPECT_EQ(st[1].expect->value, "POLLOUT");
  EXPECT_EQ(st[2].data, "hi\n");
  EXPECT_EQ(st[3].call.msg_flags, MSG_PEEK);
  EXPECT_EQ(st[3].expect->value, "hi\n");
  EXPECT_TRUE(st[4].background);
  EXPECT_EQ(st[5].seq.kind, SeqPolicy::Kind::Offset);
  EXPECT_EQ(st[5].seq.value, 100);
  EXPECT_TRUE(st[5].with_ack);
  EXPECT_TRUE(st[5].bad_checksum);
  EXPECT_EQ(st[6].data, ".");
  EXPECT_EQ(st[7].after_ms, 5);
  EXPECT_EQ(st[7].seq.kind, SeqPolicy::Kind::OutOfWindow);
  EXPECT_EQ(st[8].seq.value, -2);
  EXPECT_EQ(st[9].seq.kind, SeqPolicy::Kind::Explicit);
  EXPECT_EQ(st[10].op, StepOp::Wait);
  EXPECT_EQ(st[10].call.call, KernelCall::Read);  // the wait collects the read
  EXPECT_EQ(st[11].call.count, 100);
  EXPECT_EQ(st[11].call.msg_flags, MSG_NOSIGNAL);
  EXPECT_TRUE(st[12].expect->sigpipe);
  EXPECT_EQ(st[13].expect->kind, Expectation::Kind::Value);
  EXPECT_EQ(st[13].expect->value, "0");
  EXPECT_EQ(st[14].call.value, SHUT_RDWR);
  EXPECT_EQ(st[16].call.value, 50);
  EXPECT_FALSE(st[18].flag);
  EXPECT_EQ(st[21].count, 15);
  EXPECT_EQ(st[12].text, "write \"x\"");
}

TEST(Parser, ExpectationForms) {
  const Scenario s = parse_scenario(R"(scenario e
client kernel
server none
client pipe => 0
client read 3 => EOF
client write "a" => killed by SIGPIPE
client read 3 => -1
)", "e.scn");
  EXPECT_EQ(s.steps[1].expect->kind, Expectation::Kind::Return);
  EXPECT_EQ(s.steps[1].expect->ret, 0);
  EXPECT_EQ(s.steps[2].expect->kind, Expectation::Kind::Killed);
  EXPECT_EQ(s.steps[3].expect->ret, -1);
}

// Golden messages: tests/data/bad-scenarios/NAME.scn must fail with NAME.expected.
// RSTLAB_UPDATE_GOLDEN=1 rewrites the .expected files (review the diff).
TEST(Parser, GoldenErrorMessages) {
  const fs::path dir = fs::path(RSTLAB_TEST_DATA) / "bad-scenarios";
  const bool update = std::getenv("RSTLAB_UPDATE_GOLDEN") != nullptr;
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".scn") continue;
    ++cases;
    const std::string name = entry.path().filename().string();
    std::string message = "no error";
    try {
      parse_scenario(slurp(entry.path()), name);
    } catch (const InputError& e) {
      message = e.what();
    }
    fs::path expected = entry.path();
    expected.replace_extension(".expected");
    if (update) {
      std::ofstream(expected) << message << "\n";
      continue;
    }
    ASSERT_TRUE(fs::exists(expected)) << "no golden message for " << name;
    EXPECT_EQ(message + "\n", slurp(expected)) << name;
  }
  EXPECT_GE(cases, 15u);
}

TEST(Catalogue, EveryFileListedParsedAndNamedAfterItsFile) {
  const fs::path dir = fs::path(RSTLAB_SOURCE_DIR) / "scenarios";
  std::set<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".scn") on_disk.insert(e.path().filename().string());
  std::set<std::string> built_in;
  for (const auto& e : catalogue_sources()) {
    built_in.insert(e.file);
    EXPECT_EQ(e.text, slurp(dir / e.file)) << e.file << " differs from the compiled-in copy";
  }
  EXPECT_EQ(on_disk, built_in) << "scenarios/index and scenarios/*.scn disagree";
  ASSERT_GE(catalogue().size(), 24u);
  std::set<std::string> names;
  for (size_t i = 0; i < catalogue().size(); ++i) {
    const Scenario& s = catalogue()[i];
    EXPECT_EQ(s.name + ".scn", catalogue_sources()[i].file);
    EXPECT_FALSE(s.title.empty()) << s.name;
    EXPECT_FALSE(s.story.empty()) << s.name;
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate " << s.name;
    size_t expectations = 0;
    // A program's scenario (`client exec`) checks through the peer's `expect` steps.
    for (const auto& st : s.steps)
      expectations += st.expect || (s.program_actor() && (st.op == StepOp::PeerExpect ||
                                                          st.op == StepOp::PeerExpectNone))
                          ? 1
                          : 0;
    EXPECT_GE(expectations, 1u) << s.name << " checks nothing";
  }
}

TEST(Catalogue, UnknownNameSaysHowToListTheCatalogue) {
  try {
    find_scenario("nope");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "no scenario named 'nope' ('rstlab list' shows all " + std::to_string(catalogue().size()) + ")");
  }
}

TEST(Utf8, FirstInvalidByte) {
  using detail::first_invalid_utf8;
  constexpr size_t ok = std::string_view::npos;
  EXPECT_EQ(first_invalid_utf8("plain ascii"), ok);
  EXPECT_EQ(first_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), ok);  // é € 😀
  EXPECT_EQ(first_invalid_utf8("caf\xE9"), 3u);              // Latin-1 é
  EXPECT_EQ(first_invalid_utf8("x\x81"), 1u);                // lone continuation byte
  EXPECT_EQ(first_invalid_utf8("\xC0\xAF"), 0u);             // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xE0\x80\xAF"), 0u);         // overlong, three bytes
  EXPECT_EQ(first_invalid_utf8("\xED\xA0\x80"), 0u);         // UTF-16 surrogate
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);     // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("ab\xE2\x82"), 2u);           // cut short at the end
  EXPECT_EQ(first_invalid_utf8("\xE2\x82x"), 0u);            // cut short by ASCII
}

TEST(Parser, RepeatOneStepAndBlocks) {
  const Scenario s = parse_scenario(R"(scenario repeated
client kernel
server kernel
server listen => 0
client connect => 0
server accept
repeat 10 client write 10000 bytes => 10000
repeat 3 {
  client write "ab" &   # a background call collected in the same round
  after 5ms server recv 2 waitall => "ab"
  client wait => 2
}
client close => 0
)",
                                    "r.scn");
  ASSERT_EQ(s.steps.size(), 3u + 10u + 3u * 3u + 1u);
  for (size_t k = 3; k < 13; ++k) {
    EXPECT_EQ(s.steps[k].call.count, 10000);
    EXPECT_EQ(s.steps[k].where, "r.scn:7");  // every copy points at the line written
    EXPECT_EQ(s.steps[k].text, "write 10000 bytes");
    ASSERT_TRUE(s.steps[k].expect);
    EXPECT_EQ(s.steps[k].expect->ret, 10000);
  }
  for (size_t round = 0; round < 3; ++round) {
    const size_t at = 13 + round * 3;
    EXPECT_TRUE(s.steps[at].background);
    EXPECT_EQ(s.steps[at].where, "r.scn:9");
    EXPECT_EQ(s.steps[at + 1].after_ms, 5);
    EXPECT_EQ(s.steps[at + 1].call.msg_flags, MSG_WAITALL);
    EXPECT_EQ(s.steps[at + 2].op, StepOp::Wait);
    EXPECT_EQ(s.steps[at + 2].where, "r.scn:11");
  }
  EXPECT_EQ(s.steps.back().call.call, KernelCall::Close);
}

TEST(Parser, RepeatOnceIsTheStepItself) {
  const Scenario a = parse_scenario("scenario a\nclient kernel\nserver peer\nrepeat 1 client connect => 0\n", "a");
  const Scenario b = parse_scenario("scenario a\nclient kernel\nserver peer\nclient connect => 0\n", "a");
  ASSERT_EQ(a.steps.size(), 1u);
  EXPECT_EQ(a.steps[0].text, b.steps[0].text);
  EXPECT_EQ(a.steps[0].where, b.steps[0].where);
}

TEST(Parser, RepeatErrorsKeepTheirColumns) {
  // The repeated step is parsed where it stands: an error points into the line as written.
  try {
    parse_scenario("scenario a\nclient kernel\nserver peer\nrepeat 2 client read many\n", "c.scn");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "c.scn:4:22: expected the number of bytes to read, found 'many'");
  }
}

TEST(Parser, MiddleActorSteps) {
  const Scenario s = parse_scenario(R"(scenario m
client kernel
server kernel
middle box
server listen => 0
client connect => 0
middle rst both
after 30ms middle rst client seq=+100 noack
middle rst server seq=oow
middle fin server seq=-1
)", "m.scn");
  EXPECT_TRUE(s.middle);
  ASSERT_EQ(s.steps.size(), 6u);
  const auto& st = s.steps;
  EXPECT_EQ(st[2].actor, Role::Middle);
  EXPECT_EQ(st[2].op, StepOp::MiddleRst);
  EXPECT_EQ(st[2].target, MiddleTarget::Both);
  EXPECT_EQ(st[2].seq.kind, SeqPolicy::Kind::Exact);
  EXPECT_TRUE(st[2].with_ack);
  EXPECT_EQ(st[2].text, "rst both");
  EXPECT_EQ(st[3].after_ms, 30);
  EXPECT_EQ(st[3].target, MiddleTarget::Client);
  EXPECT_EQ(st[3].seq.kind, SeqPolicy::Kind::Offset);
  EXPECT_EQ(st[3].seq.value, 100);
  EXPECT_FALSE(st[3].with_ack);
  EXPECT_EQ(st[4].target, MiddleTarget::Server);
  EXPECT_EQ(st[4].seq.kind, SeqPolicy::Kind::OutOfWindow);
  EXPECT_EQ(st[5].op, StepOp::MiddleFin);
  EXPECT_EQ(st[5].seq.value, -1);
  EXPECT_STREQ(role_name(Role::Middle), "middle");
}

TEST(Parser, PeerOffersTcpOptions) {
  const Scenario s = parse_scenario("scenario o\nclient kernel\nserver peer wscale=7 sackok ts mss=1400\n"
                                    "client connect => 0\n", "o.scn");
  EXPECT_EQ(s.server.offer.wscale, std::optional<uint8_t>(7));
  EXPECT_TRUE(s.server.offer.sack_permitted);
  EXPECT_TRUE(s.server.offer.timestamps);
  EXPECT_EQ(s.server.offer.mss, 1400);
  EXPECT_EQ(s.server.offer.str(), "mss=1400 wscale=7 sackok ts");
  // Without options the peer offers what it always did: MSS 1460 and nothing else.
  const Scenario plain = parse_scenario("scenario o\nclient kernel\nserver peer\n", "o.scn");
  EXPECT_EQ(plain.server.offer.str(), "");
  EXPECT_EQ(plain.server.offer.mss, 1460);
  EXPECT_FALSE(plain.server.offer.wscale);
}

TEST(Parser, PeerOptionErrorsPointAtTheValue) {
  auto error = [](const std::string& text) {
    try {
      parse_scenario(text, "o.scn");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("scenario o\nclient kernel\nserver peer wscale=15\n"),
            "o.scn:3:20: expected a window scale from 0 to 14, found '15'");
  EXPECT_EQ(error("scenario o\nclient kernel\nserver peer mss=x\n"),
            "o.scn:3:17: expected an MSS from 64 to 65535, found 'x'");
  EXPECT_EQ(error("scenario o\nclient kernel\nserver peer sack\n"),
            "o.scn:3:13: unexpected 'sack' (the peer takes the options of its SYN: mss=N, wscale=N, sackok, ts)");
  EXPECT_EQ(error("scenario o\nclient kernel wscale=7\nserver peer\n"),
            "o.scn:2:15: unexpected 'wscale=7' (a kernel actor takes sigpipe=default|ignore|handler)");
}


// Every input scenario_fuzz ever crashed on (tools/fuzz copies them here), through the same
// entry point: it aborts on any exception but InputError, or a refusal that names no file.
TEST(Parser, FuzzRegressionsStayFixed) {
  const fs::path dir = fs::path(RSTLAB_TEST_DATA) / "fuzz-regressions" / "scenario";
  if (!fs::exists(dir)) GTEST_SKIP() << "no scenario_fuzz finding kept yet";
  for (const auto& e : fs::directory_iterator(dir)) {
    SCOPED_TRACE(e.path().string());
    const std::string bytes = slurp(e.path());
    fuzz::parse_scenario_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
}

// `client exec "..."`: the command's words (single quotes keep blanks), the peer's steps
// only, and the placeholders left for the run to fill in.
TEST(Parser, ExecHeader) {
  const Scenario s = parse_scenario(
      "scenario p\n"
      "client exec \"sh -c 'prog {server} | head -n 1'  x''y\"\n"
      "server peer\n"
      "server recv 1\n",
      "p.scn");
  ASSERT_TRUE(s.client.program);
  EXPECT_EQ(s.program_actor(), &s.client);
  EXPECT_EQ(s.client.kind, ActorKind::Kernel);
  EXPECT_EQ(s.client.program->argv, (std::vector<std::string>{"sh", "-c", "prog {server} | head -n 1", "xy"}));
  EXPECT_EQ(s.client.program->where, "p.scn:2");
  EXPECT_EQ(s.client.program->text, "sh -c 'prog {server} | head -n 1'  x''y");
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.steps[0].actor, Role::Server);
  const Scenario server = parse_scenario("scenario q\nclient peer\nserver exec \"prog {client} {server}\"\n", "q.scn");
  ASSERT_TRUE(server.server.program);
  EXPECT_FALSE(server.client.program);
  EXPECT_EQ(server.program_actor(), &server.server);
}
