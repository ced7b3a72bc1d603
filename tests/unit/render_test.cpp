// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

#include "rstlab/diagram.h"
#include "rstlab/render.h"
#include "rstlab/wire.h"

using namespace rstlab;

TEST(Render, PacketLineLikeTcpdump) {
  PacketEvent p;
  p.dir = Dir::ClientToServer;
  p.flags = tcpflag::PSH | tcpflag::ACK;
  p.seq = 2;
  p.ack = 2;
  p.len = 1;
  p.window = 502;
  p.payload = "b";
  EXPECT_EQ(packet_line(p), "client > server  Flags [P.], seq 2:3, ack 2, win 502, length 1 \"b\"");
  p.dir = Dir::ServerToClient;
  p.flags = tcpflag::RST;
  p.len = 0;
  p.window = 0;
  p.payload.clear();
  p.checksum_ok = false;
  EXPECT_EQ(packet_line(p), "server > client  Flags [R], seq 2, win 0, length 0 [bad tcp cksum]");
}

TEST(Render, SyscallLines) {
  SyscallEvent s;
  s.call = "write";
  s.args = "\"c\"";
  s.ret = -1;
  s.err = EPIPE;
  s.signal = SIGPIPE;
  s.fate = SignalFate::Killed;
  EXPECT_EQ(syscall_line(s), "write(\"c\") = -1 EPIPE +SIGPIPE (process killed by SIGPIPE)");
  s.fate = SignalFate::Ignored;
  EXPECT_EQ(syscall_line(s), "write(\"c\") = -1 EPIPE +SIGPIPE (ignored)");
  SyscallEvent r;
  r.facts.op = CallOp::Read;
  r.call = "read";
  r.args = "10";
  r.ret = 0;
  EXPECT_EQ(syscall_line(r), "read(10) = 0 (EOF)");
  r.ret = 3;
  r.value = "a\nb";
  EXPECT_EQ(syscall_line(r), "read(10) = 3 \"a\\nb\"");
  SyscallEvent g;
  g.call = "getsockopt";
  g.args = "SO_ERROR";
  g.ret = 0;
  g.value = "EPIPE";
  EXPECT_EQ(syscall_line(g), "getsockopt(SO_ERROR) = 0 -> EPIPE");
}

TEST(Render, PrintableEscapes) {
  EXPECT_EQ(printable(std::string("a\"\\\x01\xff", 5)), "a\\\"\\\\\\x01\\xff");
}

TEST(Render, TextMarksFailuresAndColourOnlyWhenAsked) {
  Trace t;
  t.scenario = "x";
  t.link = "tun";
  SyscallEvent s;
  s.actor = "client";
  s.call = "read";
  s.args = "10";
  s.ret = -1;
  s.err = ECONNRESET;
  Event e;
  e.body = s;
  e.expected = "0";
  e.met = false;
  t.events.push_back(e);
  t.failures.push_back("client read 10: expected 0, got ECONNRESET");
  const std::string plain = render_text(t, false);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_NE(plain.find("FAILED"), std::string::npos);
  EXPECT_NE(plain.find("EXPECTED 0"), std::string::npos);
  EXPECT_NE(plain.find("- client read 10: expected 0, got ECONNRESET"), std::string::npos);
  EXPECT_NE(render_text(t, true).find("\033[31m"), std::string::npos);
}

// The renderers decide what a call was (a read, an EOF, an error) from its facts and
// typed results; the words are only printed. A call named for people in words no rule
// knows still renders as what its facts say, and words alone decide nothing.
TEST(Render, DecisionsComeFromFactsNotWords) {
  SyscallEvent r;
  r.facts.op = CallOp::Read;
  r.call = "recvfrom";  // a traced program's name for it
  r.args = "3, 10";
  r.ret = 0;
  EXPECT_EQ(syscall_line(r), "recvfrom(3, 10) = 0 (EOF)");
  r.ret = 2;
  r.value = "hi";
  EXPECT_EQ(syscall_line(r), "recvfrom(3, 10) = 2 \"hi\"") << "a read shows its bytes";
  SyscallEvent w;
  w.facts.op = CallOp::Write;
  w.call = "read";  // words that lie: the facts say it was a write
  w.args = "10";
  w.ret = 0;
  EXPECT_EQ(syscall_line(w), "read(10) = 0");
  w.value = "hi";
  EXPECT_EQ(syscall_line(w), "read(10) = 0 -> hi");

  // The same decisions in every rendering: the EOF colour of the timeline, the HTML
  // class and the SVG box.
  Trace t;
  t.scenario = "x";
  t.link = "veth";
  t.client = {"kernel", Endpoint::parse("192.0.2.1:1"), "default"};
  t.server = {"peer", Endpoint::parse("192.0.2.2:2"), ""};
  SyscallEvent eof;
  eof.actor = "client";
  eof.facts.op = CallOp::Read;
  eof.call = "recvfrom";
  eof.args = "10";
  eof.ret = 0;
  Event e;
  e.t_ns = 1;
  e.body = eof;
  t.events.push_back(e);
  EXPECT_NE(render_text(t, true).find("\033[33mrecvfrom(10) = 0 (EOF)"), std::string::npos) << render_text(t, true);
  EXPECT_NE(render_html_report(t).find("class=\"ev eof\""), std::string::npos);
  EXPECT_NE(render_svg(t).find("rx=\"4\" fill=\"#fff1dc\""), std::string::npos);
  std::get<SyscallEvent>(t.events[0].body).facts.op = CallOp::Write;
  EXPECT_EQ(render_text(t, true).find("\033[33m"), std::string::npos);
  EXPECT_EQ(render_html_report(t).find("class=\"ev eof\""), std::string::npos);
  EXPECT_EQ(render_svg(t).find("rx=\"4\" fill=\"#fff1dc\""), std::string::npos);
}

// Which side of the ladder a call is drawn on follows the process table: the actor's
// id and the connection's ends, not its name.
TEST(Render, CallsAreDrawnOnTheSideOfTheirActor) {
  Trace t;
  t.scenario = "x";
  t.link = "veth";
  t.client = {"kernel", Endpoint::parse("192.0.2.1:1"), ""};
  t.server = {"kernel", Endpoint::parse("192.0.2.2:2"), ""};
  t.actors = {{"curl", ProcessKind::Program, 10, 10, ""}, {"nginx", ProcessKind::Program, 20, 21, ""}};
  ConnectionInfo c;
  c.client = {t.client.endpoint, ActorId{0}};
  c.server = {t.server.endpoint, ActorId{1}};
  t.connections = {c};
  SyscallEvent s;
  s.actor = "nginx";
  s.actor_id = 1;
  s.facts.op = CallOp::Accept;
  s.call = "accept4";
  s.ret = 5;
  Event e;
  e.body = s;
  t.events.push_back(e);
  EXPECT_NE(render_mermaid(t).find("Note right of S: accept4() = 5"), std::string::npos) << render_mermaid(t);
  std::get<SyscallEvent>(t.events[0].body).actor_id = 0;
  EXPECT_NE(render_mermaid(t).find("Note left of C: accept4() = 5"), std::string::npos) << render_mermaid(t);
}

// The run's summary counts the model's mismatches.
TEST(Render, TextCountsModelMismatches) {
  Trace t;
  t.scenario = "x";
  t.link = "veth";
  SyscallEvent s;
  s.actor = "client";
  s.call = "read";
  s.ret = 1;
  Event e;
  e.body = s;
  t.events.push_back(e);
  EXPECT_NE(render_text(t, false).find("\nmodel mismatches: 0\n"), std::string::npos);
  t.annotations.push_back({0, "mismatch", "MODEL MISMATCH: TCP_INFO says CLOSE_WAIT, the model says ESTABLISHED", ""});
  t.annotations.push_back({0, "call", "a reason", ""});
  EXPECT_NE(render_text(t, false).find("\nmodel mismatches: 1\n"), std::string::npos);
  EXPECT_EQ(model_mismatches(t), 1u);
}
