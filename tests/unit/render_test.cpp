// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

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
