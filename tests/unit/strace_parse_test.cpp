// SPDX-License-Identifier: MIT
// strace's output as `rstlab exec` reads it, on lines recorded from real runs
// (tests/data/strace/: the C and Python programs of tests/programs/ under
// strace -f -ttt -T -yy -q --seccomp-bpf in a private network namespace), and the trace
// built from them.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>

#include "rstlab/program_trace.h"
#include "rstlab/segment.h"
#include "rstlab/wire.h"
#include "rstlab/strace_parse.h"
#include "rstlab/trace_json.h"

using namespace rstlab;

namespace {

std::vector<StraceRecord> parse_file(const std::string& name, StraceParser& p) {
  std::ifstream in(std::string(RSTLAB_TEST_DATA) + "/strace/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<StraceRecord> out;
  for (std::string line; std::getline(in, line);) p.feed(line, out);
  p.finish(out);
  return out;
}

std::vector<StraceRecord> parse_lines(const std::vector<std::string>& lines, StraceParser& p) {
  std::vector<StraceRecord> out;
  for (const auto& l : lines) p.feed(l, out);
  return out;
}

const StraceRecord* find_call(const std::vector<StraceRecord>& rs, const std::string& name, size_t nth = 0) {
  for (const auto& r : rs)
    if (r.kind == StraceRecord::Kind::Call && r.name == name && nth-- == 0) return &r;
  return nullptr;
}

}  // namespace

TEST(StraceParse, DescriptorsOfEveryKind) {
  auto f = parse_strace_fd("4<TCP:[127.0.0.1:56374->127.0.0.1:8080]>");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fd, 4);
  EXPECT_EQ(f->kind, StraceFd::Kind::Tcp);
  EXPECT_EQ(f->local->str(), "127.0.0.1:56374");
  EXPECT_EQ(f->remote->str(), "127.0.0.1:8080");

  f = parse_strace_fd("5<TCPv6:[[::1]:8080->[::1]:43582]>");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->v6);
  EXPECT_EQ(f->local->str(), "[::1]:8080");
  EXPECT_EQ(f->remote->str(), "[::1]:43582");

  f = parse_strace_fd("3<TCPv6:[[::1]:8080]>");  // listening: its own address only
  ASSERT_TRUE(f);
  EXPECT_EQ(f->local->str(), "[::1]:8080");
  EXPECT_FALSE(f->remote);

  f = parse_strace_fd("3<TCP:[4196872]>");  // not looked up: the inode
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, StraceFd::Kind::Tcp);
  EXPECT_EQ(f->inode, 4196872u);
  EXPECT_FALSE(f->local);

  f = parse_strace_fd("6<UNIX-STREAM:[4196928->4196927]>");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, StraceFd::Kind::Unix);
  EXPECT_EQ(f->inode, 4196928u);

  f = parse_strace_fd("1<pipe:[4202752]>");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, StraceFd::Kind::Pipe);
  EXPECT_EQ(f->inode, 4202752u);

  f = parse_strace_fd("5</tmp/ex/bp.py>");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, StraceFd::Kind::Other);
  EXPECT_EQ(f->path, "/tmp/ex/bp.py");

  EXPECT_FALSE(parse_strace_fd("SOL_SOCKET"));
  EXPECT_FALSE(parse_strace_fd("\"hello\""));
  EXPECT_FALSE(parse_strace_fd("3"));
}

TEST(StraceParse, ArgumentsSplitAtTopLevelCommasOnly) {
  const auto a = split_strace_args(
      "4<TCP:[127.0.0.1:56388->127.0.0.1:8080]>, \"a, b)\\\"\", 5, 0, {sa_family=AF_INET, "
      "sin_port=htons(8080)}, [16]");
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0], "4<TCP:[127.0.0.1:56388->127.0.0.1:8080]>");
  EXPECT_EQ(a[1], "\"a, b)\\\"\"");
  EXPECT_EQ(a[4], "{sa_family=AF_INET, sin_port=htons(8080)}");
  EXPECT_EQ(a[5], "[16]");
}

TEST(StraceParse, SockaddrsOfBothFamilies) {
  EXPECT_EQ(parse_strace_sockaddr("{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}")->str(),
            "127.0.0.1:8080");
  EXPECT_EQ(parse_strace_sockaddr("{sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), "
                                  "inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}")
                ->str(),
            "[::1]:8080");
  EXPECT_FALSE(parse_strace_sockaddr("{sa_family=AF_UNIX, sun_path=\"/run/x\"}"));
}

TEST(StraceParse, KilledBySigpipeAfterEpipe) {
  StraceParser p;
  const auto rs = parse_file("c-sigpipe.txt", p);
  EXPECT_EQ(p.skipped(), 0u) << (p.skipped_lines().empty() ? "" : p.skipped_lines()[0]);
  const StraceRecord* w = find_call(rs, "write", 1);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->pid, 23649);
  EXPECT_EQ(w->t_ns, 1796003328740772000);
  EXPECT_EQ(w->duration_ns, 31000);
  ASSERT_TRUE(w->ret);
  EXPECT_EQ(*w->ret, -1);
  EXPECT_EQ(w->err, EPIPE);
  EXPECT_EQ(w->arg_fd(0)->remote->str(), "127.0.0.1:8080");
  const auto& sig = rs[rs.size() - 2];
  EXPECT_EQ(sig.kind, StraceRecord::Kind::Signal);
  EXPECT_EQ(sig.signal, SIGPIPE);
  EXPECT_NE(sig.signal_text.find("si_code=SI_USER"), std::string::npos);
  EXPECT_EQ(rs.back().kind, StraceRecord::Kind::Killed);
  EXPECT_EQ(rs.back().signal, SIGPIPE);
  // The thread that served ended on its own.
  bool thread_exit = false;
  for (const auto& r : rs) thread_exit |= r.kind == StraceRecord::Kind::Exited && r.pid == 23650 && r.exit_code == 0;
  EXPECT_TRUE(thread_exit);
  // accept returned a descriptor, decoded with both ends.
  const StraceRecord* a = find_call(rs, "accept");
  ASSERT_TRUE(a && a->ret_fd);
  EXPECT_EQ(a->ret_fd->fd, 5);
  EXPECT_EQ(a->ret_fd->local->str(), "127.0.0.1:8080");
}

TEST(StraceParse, UnfinishedAndResumedCallsAreJoined) {
  StraceParser p;
  const auto rs = parse_file("py-reset-by-peer.txt", p);
  EXPECT_EQ(p.skipped(), 0u) << (p.skipped_lines().empty() ? "" : p.skipped_lines()[0]);
  // 23671 accept4(3<...>,  <unfinished ...> ... <... accept4 resumed>{sa_family=...}, [16], SOCK_CLOEXEC) = 5<...>
  const StraceRecord* a = find_call(rs, "accept4");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->pid, 23671);
  EXPECT_EQ(a->t_ns, 1796003329726223000);  // the entry time of the unfinished half
  EXPECT_EQ(a->duration_ns, 14071000);
  ASSERT_EQ(a->args.size(), 4u);
  EXPECT_EQ(a->args[0], "3<TCP:[127.0.0.1:8080]>");
  EXPECT_EQ(a->args[3], "SOCK_CLOEXEC");
  EXPECT_EQ(a->ret_fd->remote->str(), "127.0.0.1:56388");
  // sendto("hello", 5, 0, NULL, 0 <unfinished ...>) resumed with only ") = 5".
  const StraceRecord* s = find_call(rs, "sendto");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->args.size(), 6u);
  EXPECT_EQ(s->args[1], "\"hello\"");
  EXPECT_EQ(*s->ret, 5);
  // The read that felt the RST, and CPython's SIGPIPE disposition.
  const StraceRecord* r = find_call(rs, "recvfrom", 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->err, ECONNRESET);
  const StraceRecord* sa = find_call(rs, "rt_sigaction");
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->args[0], "SIGPIPE");
}

TEST(StraceParse, Ipv6UnixAndAnUnfinishedCallWithoutComma) {
  StraceParser p;
  const auto rs = parse_file("py-ipv6-unix.txt", p);
  EXPECT_EQ(p.skipped(), 0u) << (p.skipped_lines().empty() ? "" : p.skipped_lines()[0]);
  const StraceRecord* r = find_call(rs, "recvfrom");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r->ret, 0);  // EOF after the server's close, resumed 50 ms later
  EXPECT_EQ(r->args[1], "\"\"");
  EXPECT_EQ(r->arg_fd(0)->local->str(), "[::1]:43582");
  const StraceRecord* u = find_call(rs, "sendto");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->arg_fd(0)->kind, StraceFd::Kind::Unix);
  EXPECT_EQ(u->args.size(), 6u);
}

TEST(StraceParse, OddLinesAreCountedNotFatal) {
  StraceParser p;
  const auto rs = parse_lines({"garbage", "12 notastamp write(1, \"x\", 1) = 1",
                               "12 1.5 <... read resumed>\"x\", 1) = 1 <0.000001>",  // no unfinished half
                               "[pid 12] 1.000001 close(3<TCP:[1]>) = 0 <0.000002>"},
                              p);
  EXPECT_EQ(p.skipped(), 3u);
  ASSERT_EQ(rs.size(), 1u);  // the "[pid N]" form (strace writing to a terminal) is read too
  EXPECT_EQ(rs[0].pid, 12);
  EXPECT_EQ(rs[0].name, "close");
}

TEST(StraceParse, ACallItsThreadDiedInComesOutWithoutResult) {
  StraceParser p;
  auto rs = parse_lines({"7 2.000000 read(3<TCP:[127.0.0.1:1->127.0.0.1:2]>,  <unfinished ...>",
                         "7 3.000000 +++ killed by SIGKILL +++"},
                        p);
  p.finish(rs);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].kind, StraceRecord::Kind::Killed);
  EXPECT_EQ(rs[0].signal, SIGKILL);
  EXPECT_EQ(rs[1].name, "read");
  EXPECT_FALSE(rs[1].ret);
}

// ---- the trace built from the records ------------------------------------------

TEST(ProgramTrace, ThreadsBecomeActorsAndTheKilledWriteIsTheFirstObserver) {
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-classic";
  obs.command = {"./classic", "sigpipe"};
  obs.records = parse_file("c-sigpipe.txt", p);
  const ProgramTrace pt = build_program_trace(obs);
  const Trace& t = pt.trace;
  ASSERT_EQ(t.connections.size(), 1u);
  EXPECT_EQ(t.connections[0].client.endpoint.str(), "127.0.0.1:56374");  // it called connect
  EXPECT_EQ(t.connections[0].server.endpoint.str(), "127.0.0.1:8080");
  // The main thread dials, the second thread serves: two actors of one process.
  ASSERT_EQ(t.actors.size(), 2u);
  EXPECT_EQ(t.actors[0].name, "classic[23649]");
  EXPECT_EQ(t.actors[0].kind, ProcessKind::Program);
  EXPECT_EQ(t.actors[1].pid, 23649);
  EXPECT_EQ(t.actors[1].tid, 23650);
  EXPECT_EQ(t.side_of(*t.events[0].syscall()), 0);
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->actor, "classic[23649]");
  EXPECT_EQ(t.first_observer->call, "write");
  EXPECT_EQ(t.first_observer->result, "EPIPE +SIGPIPE (killed)");
  // Its end, as an action.
  bool killed = false;
  for (const auto& e : t.events)
    if (const auto* a = e.action()) killed |= a->action == "exit" && a->detail == "killed by SIGPIPE";
  EXPECT_TRUE(killed);
  EXPECT_TRUE(t.passed());
}

TEST(ProgramTrace, OutputLinesTakeTheTimeOfTheWriteThatEndedThem) {
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-classic.py";
  obs.command = {"python3", "classic.py", "reset-by-peer"};
  obs.records = parse_file("py-reset-by-peer.txt", p);
  obs.stderr_inode = 4196846;
  obs.output = {{2, 5, "Traceback (most recent call last):\n  File \"/work/wt-exec/tests/programs/classic.py\", "
                       "line 34, in <module>\n"},
                {2, 6, "    client.recv(16)\nConnectionResetError: [Errno 104] Connection reset by peer\n"}};
  const Trace t = build_program_trace(obs).trace;
  const Event* line = nullptr;
  for (const auto& e : t.events)
    if (const auto* o = e.output(); o && o->text.find("ConnectionResetError") != std::string::npos) line = &e;
  ASSERT_TRUE(line);
  EXPECT_EQ(line->output()->stream, 2);
  EXPECT_EQ(line->output()->text, "ConnectionResetError: [Errno 104] Connection reset by peer");
  EXPECT_EQ(line->t_ns, 1796003329766742000 + 14000);  // the end of the write of its "\n"
  EXPECT_EQ(line->output()->actor, "python3[23670]");
  EXPECT_EQ(line->output()->pid, 23670);
  EXPECT_EQ(line->output()->tid, 23670);
  // The recv that failed is the first observer; the Python process ignores SIGPIPE.
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->call, "recvfrom");
  EXPECT_EQ(t.first_observer->result, "ECONNRESET");
  EXPECT_EQ(t.actors[0].sigpipe, "ignore");
}

TEST(ProgramTrace, APipeWithoutReaderIsAConnectionOfItsOwn) {
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-sh";
  obs.command = {"sh", "-c", "./classic lines | head -n 1"};
  obs.records = parse_file("sh-pipe.txt", p);
  obs.stdout_inode = 4196846;
  const Trace t = build_program_trace(obs).trace;
  // The TCP connection classic made to itself, then the pipe to head.
  ASSERT_EQ(t.connections.size(), 2u);
  ASSERT_TRUE(t.first_observer);
  const SyscallEvent& w = *t.events[t.first_observer->event].syscall();
  EXPECT_TRUE(w.facts.on_pipe);
  EXPECT_EQ(w.conn, 1u);
  EXPECT_EQ(w.fate, SignalFate::Killed);
  EXPECT_EQ(t.first_observer->result, "EPIPE +SIGPIPE (killed)");
  EXPECT_EQ(t.first_observer->actor, "classic[23663]");  // named by its execve
  // head's write of "line 1" went to rstlab's stdout pipe: output, not a call.
  for (const auto& e : t.events)
    if (const auto* c = e.syscall()) {
      EXPECT_FALSE(c->actor == "head[23664]" && c->call == "write");
    }
}

TEST(ProgramTrace, NoConnectionIsSaid) {
  ProgramObservations obs;
  obs.name = "exec-true";
  obs.command = {"true"};
  StraceParser p;
  obs.records = parse_lines({"2 1.000000 execve(\"/usr/bin/true\", [\"true\"], 0x7ffd /* 1 var */) = 0 <0.000100>",
                             "2 1.000200 +++ exited with 0 +++"},
                            p);
  const Trace t = build_program_trace(obs).trace;
  EXPECT_TRUE(t.connections.empty());
  ASSERT_EQ(t.failures.size(), 1u);
  EXPECT_EQ(t.failures[0], "no TCP connection was made");
}

TEST(ProgramTrace, ReadsShowTheSizeAskedAndTheBytesRead) {
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-classic.py";
  obs.command = {"python3", "classic.py", "reset-by-peer"};
  obs.records = parse_file("py-reset-by-peer.txt", p);
  const Trace t = build_program_trace(obs).trace;
  std::vector<const SyscallEvent*> reads;
  for (const auto& e : t.events)
    if (const auto* c = e.syscall(); c && c->facts.op == CallOp::Read) reads.push_back(c);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0]->args, "1");  // recvfrom(fd, "h", 1, 0, NULL, NULL) = 1
  EXPECT_EQ(reads[0]->value, "h");
  EXPECT_EQ(reads[1]->args, "16");  // the one that failed: no buffer address shown
  EXPECT_EQ(reads[1]->value, "");
  EXPECT_EQ(*reads[1]->facts.size, 16u);
}

// The crafted peer reset the connection before the program's accept4() returned: strace
// shows the accepted socket only as an inode. accept's address places it on the
// capture's connection all the same, and the peer is an actor at its end.
TEST(ProgramTrace, AnAcceptedSocketKnownOnlyByItsInodeFindsItsConnection) {
  auto packet = [](int64_t t_ns, uint8_t flags, uint32_t seq, const std::string& payload) {
    SegmentSpec s;
    s.src = Endpoint::parse("192.0.2.2:40001");
    s.dst = Endpoint::parse("192.0.2.1:8080");
    s.seq = seq;
    s.flags = flags;
    s.payload = payload;
    CapturedPacket p;
    p.t_ns = t_ns;
    p.data = build_segment(s);
    p.wire_len = static_cast<uint32_t>(p.data.size());
    return p;
  };
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-server";
  obs.command = {"./server"};
  obs.link_type = linktype::RAW;
  obs.packets = {packet(1000100000, tcpflag::SYN, 1000000000, ""),
                 packet(1000300000, tcpflag::PSH | tcpflag::ACK, 1000000001, "hello"),
                 packet(1000400000, tcpflag::RST, 1000000006, "")};
  obs.peer = Endpoint::parse("192.0.2.2:40001");
  Event note;
  note.t_ns = 1000350000;
  note.body = ActionEvent{"peer", "rst", "RST seq=rcv_nxt"};
  obs.peer_events.push_back(note);
  obs.records = parse_lines(
      {"7 1.000000 execve(\"./server\", [\"./server\"], 0x7ffd /* 1 var */) = 0 <0.000100>",
       "7 1.000050 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[100]> <0.000010>",
       "7 1.000060 listen(3<TCP:[0.0.0.0:8080]>, 8) = 0 <0.000010>",
       "7 1.000500 accept4(3<TCP:[0.0.0.0:8080]>, {sa_family=AF_INET, sin_port=htons(40001), "
       "sin_addr=inet_addr(\"192.0.2.2\")}, [16], SOCK_CLOEXEC) = 4<TCP:[12345]> <0.000010>",
       "7 1.000600 read(4<TCP:[12345]>, \"hello\", 64) = 5 <0.000010>",
       "7 1.000700 read(4<TCP:[12345]>, 0x7ffd, 64) = -1 ECONNRESET (Connection reset by peer) <0.000010>",
       "7 1.000900 +++ exited with 1 +++"},
      p);
  p.finish(obs.records);
  const Trace t = build_program_trace(obs).trace;
  ASSERT_EQ(t.connections.size(), 1u);
  const ConnectionInfo& c = t.connections[0];
  EXPECT_EQ(c.client.endpoint.str(), "192.0.2.2:40001");
  ASSERT_TRUE(c.client.actor);
  EXPECT_EQ(t.actors[*c.client.actor].name, "peer");
  EXPECT_EQ(t.actors[*c.client.actor].kind, ProcessKind::Peer);
  ASSERT_TRUE(c.server.actor) << "the accepted socket's calls are on the server's side";
  EXPECT_EQ(t.actors[*c.server.actor].name, "server[7]");
  size_t reads = 0;
  for (const auto& e : t.events)
    if (const auto* s = e.syscall(); s && s->facts.op == CallOp::Read) ++reads;
  EXPECT_EQ(reads, 2u);
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->call, "read");
  EXPECT_EQ(t.first_observer->result, "ECONNRESET");
}

namespace {

/// The calls of a trace named `call`, in order.
std::vector<const SyscallEvent*> calls_named(const Trace& t, const std::string& call) {
  std::vector<const SyscallEvent*> out;
  for (const auto& e : t.events)
    if (const auto* c = e.syscall(); c && c->call == call) out.push_back(c);
  return out;
}

}  // namespace

// Every call of the list, as strace printed it for a C program that makes each
// once on a loopback connection (tests/data/strace/c-poll-family.txt: socket, connect,
// accept, poll, ppoll, epoll_ctl/epoll_wait/epoll_pwait, pselect6 (glibc's select),
// readv, writev, recv (recvfrom with MSG_PEEK), recvmsg, send, sendfile, splice, SO_LINGER
// 0 and close (an RST), then poll, epoll_wait and select after it, getsockopt(SO_ERROR),
// read, shutdown, close).
TEST(ProgramTrace, EveryCallOfTheListIsParsedAndPlaced) {
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-calls";
  obs.command = {"./calls"};
  obs.records = parse_file("c-poll-family.txt", p);
  EXPECT_EQ(p.skipped(), 0u);
  const ProgramTrace built = build_program_trace(obs);
  const Trace& t = built.trace;
  ASSERT_EQ(t.connections.size(), 1u);
  EXPECT_EQ(t.connections[0].client.endpoint.str(), "127.0.0.1:49898");
  for (const char* name : {"socket", "connect", "accept", "poll", "ppoll", "epoll_wait", "epoll_pwait", "pselect6",
                           "readv", "writev", "recvfrom", "recvmsg", "sendto", "sendfile", "splice", "setsockopt",
                           "getsockopt", "read", "shutdown", "close", "write"})
    EXPECT_FALSE(calls_named(t, name).empty()) << name;

  // poll: the first one asked for POLLIN without waiting and got nothing.
  const auto polls = calls_named(t, "poll");
  ASSERT_EQ(polls.size(), 3u);
  EXPECT_EQ(polls[0]->facts.op, CallOp::Poll);
  EXPECT_EQ(polls[0]->facts.events, POLLIN);
  EXPECT_EQ(polls[0]->facts.revents, 0);
  EXPECT_EQ(polls[0]->facts.timeout_ms, 0);
  EXPECT_EQ(polls[0]->value, "0");
  EXPECT_EQ(polls[2]->value, "POLLIN|POLLERR|POLLHUP");  // after the RST
  EXPECT_EQ(polls[2]->args, "POLLIN, 100 ms");
  // ppoll's timespec as milliseconds.
  EXPECT_EQ(calls_named(t, "ppoll")[0]->facts.timeout_ms, 1);
  // epoll: the events registered by epoll_ctl, the events the wait reported for that socket.
  const auto waits = calls_named(t, "epoll_wait");
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_EQ(waits[0]->facts.events, POLLIN | POLLRDHUP);
  EXPECT_EQ(waits[0]->value, "POLLIN");
  EXPECT_EQ(waits[1]->value, "POLLIN|POLLERR|POLLHUP|POLLRDHUP");
  EXPECT_EQ(waits[1]->facts.fd, 4);
  EXPECT_EQ(waits[1]->ret, 1);
  EXPECT_EQ(calls_named(t, "epoll_pwait")[0]->facts.timeout_ms, 100);
  // select: one call, two sockets (one each side): the read set's and the write set's.
  const auto selects = calls_named(t, "pselect6");
  ASSERT_EQ(selects.size(), 4u);
  EXPECT_EQ(selects[0]->facts.events, POLLIN);
  EXPECT_EQ(selects[0]->value, "POLLIN");
  EXPECT_EQ(selects[0]->args, "POLLIN, 100 ms (2 fds)");
  EXPECT_EQ(selects[1]->facts.events, POLLOUT);
  EXPECT_EQ(selects[1]->value, "POLLOUT");
  EXPECT_NE(t.side_of(*selects[0]), t.side_of(*selects[1]));
  EXPECT_EQ(selects[3]->value, "POLLIN");  // select says readable after the RST: nothing more
  // Sizes asked for.
  EXPECT_EQ(*calls_named(t, "readv")[0]->facts.size, 16u);
  EXPECT_EQ(calls_named(t, "readv")[0]->value, "hello");  // the buffers' bytes, joined
  EXPECT_EQ(calls_named(t, "recvmsg")[0]->value, "abcd");
  EXPECT_EQ(*calls_named(t, "writev")[0]->facts.size, 4u);
  EXPECT_TRUE(calls_named(t, "recvfrom")[0]->facts.peek);
  EXPECT_EQ(*calls_named(t, "recvmsg")[0]->facts.size, 16u);
  EXPECT_TRUE(calls_named(t, "sendto")[0]->facts.nosignal);
  EXPECT_EQ(*calls_named(t, "sendfile")[0]->facts.size, 4u);
  EXPECT_EQ(*calls_named(t, "splice")[0]->facts.size, 2u);
  EXPECT_EQ(calls_named(t, "splice")[0]->facts.fd, 5);
  const auto so_error = calls_named(t, "getsockopt");
  ASSERT_EQ(so_error.size(), 1u);
  EXPECT_EQ(so_error[0]->facts.so_error, ECONNRESET);
  EXPECT_EQ(calls_named(t, "shutdown")[0]->facts.shut_how, SHUT_WR);
  // The first call after the RST that reported it: the poll ("poll said readable, and an error").
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->call, "poll");
  EXPECT_EQ(t.first_observer->result, "POLLIN|POLLERR|POLLHUP");
}

// Go's network poller: every socket registered edge-triggered with a pointer as its data;
// epoll_pwait's reports are placed on the socket that pointer was registered for (the
// listener's on no connection), on whichever thread polled.
TEST(ProgramTrace, GoPollerReportsAreOnTheirSockets) {
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-classic-go";
  obs.command = {"./classic-go", "epoll-sendmsg"};
  obs.records = parse_file("go-epoll-sendmsg.txt", p);
  obs.stderr_inode = 6845338;
  EXPECT_EQ(p.skipped(), 0u);
  const Trace t = build_program_trace(obs).trace;
  ASSERT_EQ(t.connections.size(), 1u);
  std::vector<const SyscallEvent*> reports;
  for (const auto* c : calls_named(t, "epoll_pwait")) reports.push_back(c);
  ASSERT_FALSE(reports.empty());
  bool connected = false, server_readable = false, client_reset = false;
  for (const auto* c : reports) {
    EXPECT_EQ(c->facts.events, POLLIN | POLLOUT | POLLRDHUP) << "EPOLLET is no event";
    connected |= c->facts.fd == 4 && c->facts.revents == POLLOUT;
    server_readable |= c->facts.fd == 8 && (c->facts.revents & POLLIN);
    client_reset |= c->facts.fd == 4 && (c->facts.revents & POLLERR);
  }
  EXPECT_TRUE(connected);
  EXPECT_TRUE(server_readable);
  EXPECT_TRUE(client_reset);
  const auto sends = calls_named(t, "sendmsg");
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_EQ(sends[1]->err, ECONNRESET);
  EXPECT_TRUE(sends[1]->facts.nosignal);
  // The poller heard of the RST before the sendmsg did: it is the first observer.
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->call, "epoll_pwait");
  EXPECT_EQ(t.first_observer->result, "POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP");
}

TEST(StraceParse, ACallStraceCouldNotNameIsLeftOutQuietly) {
  // A Go program's exit: one of its threads caught in the kernel as the process goes
  // (seen under load in ExecTest.PeerGoClientAndServer).
  StraceParser p;
  auto rs = parse_lines({"5     1796020478.080837 ?\?\?( <unfinished ...>",
                         "5     1796020478.080901 <... ??? resumed>) = ?",
                         "5     1796020478.080950 +++ exited with 0 +++"},
                        p);
  p.finish(rs);
  EXPECT_EQ(p.skipped(), 0u) << (p.skipped_lines().empty() ? "" : p.skipped_lines()[0]);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, StraceRecord::Kind::Exited);
}

namespace {

/// A segment of 192.0.2.1:40001 (the traced client) and 192.0.2.2:8080 (a server outside
/// the trace), as the capture stamped it.
CapturedPacket lab_packet(int64_t t_ns, bool to_server, uint8_t flags, uint32_t seq, uint32_t ack,
                          const std::string& payload = "") {
  SegmentSpec s;
  s.src = Endpoint::parse(to_server ? "192.0.2.1:40001" : "192.0.2.2:8080");
  s.dst = Endpoint::parse(to_server ? "192.0.2.2:8080" : "192.0.2.1:40001");
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  s.payload = payload;
  CapturedPacket p;
  p.t_ns = t_ns;
  p.data = build_segment(s);
  p.wire_len = static_cast<uint32_t>(p.data.size());
  return p;
}

/// The index of the first event satisfying `pred`.
template <class Pred>
size_t index_of(const Trace& t, Pred pred) {
  for (size_t i = 0; i < t.events.size(); ++i)
    if (pred(t.events[i])) return i;
  ADD_FAILURE() << "no such event";
  return t.events.size();
}

}  // namespace

// The capture stamped the SYN-ACK, the byte a read returned and the FIN an EOF read
// returned after strace's end of each call (a retransmission of the byte later still).
// Each call is placed just after the first capture of what it waited for, keeping
// strace's end beside it, and the model then has nothing to object to: without that, the
// byte stays queued for ever, the EOF read is a MODEL MISMATCH and the close is said to
// abort the connection with unread data.
TEST(ProgramTrace, ACallIsPlacedAfterTheSegmentThatEndedItsWait) {
  const uint32_t c = 1000, s = 5000;  // the ISNs
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-client";
  obs.command = {"./client"};
  obs.link_type = linktype::RAW;
  const std::string sock = "3<TCP:[192.0.2.1:40001->192.0.2.2:8080]>";
  obs.records = parse_lines(
      {"7 1.000000 execve(\"./client\", [\"./client\"], 0x7ffd /* 1 var */) = 0 <0.000050>",
       "7 1.000050 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[100]> <0.000010>",
       "7 1.000100 connect(3<TCP:[100]>, {sa_family=AF_INET, sin_port=htons(8080), "
       "sin_addr=inet_addr(\"192.0.2.2\")}, 16) = 0 <0.000200>",
       "7 1.000400 write(" + sock + ", \"x\", 1) = 1 <0.000010>",
       "7 1.000420 recvfrom(" + sock + ", \"y\", 1, MSG_PEEK, NULL, NULL) = 1 <0.000500>",
       "7 1.000925 read(" + sock + ", \"y\", 1) = 1 <0.000005>",
       "7 1.001000 read(" + sock + ", \"\", 16) = 0 <0.000100>",
       "7 1.001110 close(" + sock + ") = 0 <0.000010>",
       "7 1.001130 +++ exited with 0 +++"},
      p);
  p.finish(obs.records);
  obs.packets = {lab_packet(1000150000, true, tcpflag::SYN, c, 0),
                 lab_packet(1000350000, false, tcpflag::SYN | tcpflag::ACK, s, c + 1),  // connect ended at 1.000300
                 lab_packet(1000360000, true, tcpflag::ACK, c + 1, s + 1),
                 lab_packet(1000405000, true, tcpflag::PSH | tcpflag::ACK, c + 1, s + 1, "x"),
                 lab_packet(1000950000, false, tcpflag::PSH | tcpflag::ACK, s + 1, c + 2, "y"),  // reads ended at 1.000920, .930
                 lab_packet(1000990000, false, tcpflag::PSH | tcpflag::ACK, s + 1, c + 2, "y"),  // its retransmission
                 lab_packet(1001150000, false, tcpflag::FIN | tcpflag::ACK, s + 2, c + 2),  // EOF read ended at 1.001100
                 lab_packet(1001160000, true, tcpflag::FIN | tcpflag::ACK, c + 2, s + 3),
                 lab_packet(1001170000, false, tcpflag::ACK, s + 3, c + 3)};
  const Trace t = build_program_trace(obs).trace;
  ASSERT_EQ(t.connections.size(), 1u);
  auto frame = [](uint64_t n) { return [n](const Event& e) { return e.packet() && e.packet()->frame == n; }; };
  auto call = [](const std::string& name, size_t nth = 0) {
    return [name, nth](const Event& e) mutable { return e.syscall() && e.syscall()->call == name && nth-- == 0; };
  };
  const size_t connect = index_of(t, call("connect")), peek = index_of(t, call("recvfrom")),
               read = index_of(t, call("read")), eof = index_of(t, call("read", 1)), close = index_of(t, call("close"));
  ASSERT_LT(close, t.events.size());
  // Each just after the first capture of what it waited for, in strace's order.
  EXPECT_EQ(connect, index_of(t, frame(2)) + 1);
  EXPECT_EQ(t.events[connect].t_ns, 1000350001);
  EXPECT_EQ(t.events[connect].syscall()->t_strace_end_ns, 1000300000);
  EXPECT_EQ(t.events[connect].syscall()->t_start_ns, 1000100000);
  EXPECT_EQ(peek, index_of(t, frame(5)) + 1);
  EXPECT_EQ(t.events[peek].t_ns, 1000950001) << "the first capture of the byte, not its retransmission";
  EXPECT_EQ(read, peek + 1) << "MSG_PEEK took nothing: the read needs the same byte, and stays after the peek";
  EXPECT_GT(t.events[read].t_ns, t.events[peek].t_ns);
  EXPECT_EQ(t.events[read].syscall()->t_strace_end_ns, 1000930000);
  EXPECT_LT(read, index_of(t, frame(6)));
  EXPECT_EQ(eof, index_of(t, frame(7)) + 1);
  EXPECT_GT(close, eof);
  // The write came after the SYN-ACK anyway: strace's end, no note.
  const size_t write = index_of(t, call("write"));
  EXPECT_EQ(t.events[write].t_ns, 1000410000);
  EXPECT_EQ(t.events[write].syscall()->t_strace_end_ns, 0);
  // A note on each call placed so, naming the segment and the time strace gave.
  size_t notes = 0;
  for (const Annotation& a : t.annotations) {
    if (a.kind != "clock") continue;
    ++notes;
    if (a.event == read) {
      EXPECT_EQ(a.text, "placed after #5, the segment carrying the last byte it read: strace ended this read 0.020 ms "
                        "before the capture stamped that segment");
    }
    if (a.event == eof) {
      EXPECT_NE(a.text.find("placed after #7, the FIN it read"), std::string::npos) << a.text;
    }
  }
  EXPECT_EQ(notes, 4u);  // connect, recvfrom, read, the EOF read
  // What the model says holds: no mismatch, no unread byte at the close.
  EXPECT_EQ(model_mismatches(t), 0u);
  for (const Annotation& a : t.annotations)
    EXPECT_EQ(a.text.find("unread"), std::string::npos) << a.text;
  // trace.json keeps strace's end beside the event time.
  const Trace back = trace_from_json(trace_to_json(t), "trace.json");
  EXPECT_EQ(back.events[read].syscall()->t_strace_end_ns, 1000930000);
  EXPECT_EQ(back.events[write].syscall()->t_strace_end_ns, 0);
}

// Evidence only: a segment stamped further than 20 ms after the call's end is no late
// stamp, and a read whose byte the capture does not hold has nothing to wait for.
TEST(ProgramTrace, ACallKeepsStracesEndWithoutNearEvidence) {
  const uint32_t c = 1000, s = 5000;
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-client";
  obs.command = {"./client"};
  obs.link_type = linktype::RAW;
  const std::string sock = "3<TCP:[192.0.2.1:40001->192.0.2.2:8080]>";
  obs.records = parse_lines(
      {"7 1.000050 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[100]> <0.000010>",
       "7 1.000100 connect(3<TCP:[100]>, {sa_family=AF_INET, sin_port=htons(8080), "
       "sin_addr=inet_addr(\"192.0.2.2\")}, 16) = 0 <0.000200>",
       "7 1.000420 read(" + sock + ", \"y\", 1) = 1 <0.000500>",
       "7 1.001000 read(" + sock + ", \"z\", 1) = 1 <0.000100>"},
      p);
  p.finish(obs.records);
  obs.packets = {lab_packet(1000150000, true, tcpflag::SYN, c, 0),
                 lab_packet(1000250000, false, tcpflag::SYN | tcpflag::ACK, s, c + 1),
                 lab_packet(1000260000, true, tcpflag::ACK, c + 1, s + 1),
                 lab_packet(1030000000, false, tcpflag::PSH | tcpflag::ACK, s + 1, c + 1, "y")};  // 29 ms late
  const Trace t = build_program_trace(obs).trace;
  for (const auto& e : t.events) {
    if (const auto* sc = e.syscall()) {
      EXPECT_EQ(sc->t_strace_end_ns, 0) << sc->call;
    }
  }
  const size_t y = index_of(t, [](const Event& e) { return e.syscall() && e.syscall()->value == "y"; });
  const size_t z = index_of(t, [](const Event& e) { return e.syscall() && e.syscall()->value == "z"; });
  ASSERT_LT(z, t.events.size());
  EXPECT_EQ(t.events[y].t_ns, 1000920000);
  EXPECT_EQ(t.events[z].t_ns, 1001100000);
  EXPECT_LT(z, index_of(t, [](const Event& e) { return e.packet() && e.packet()->len == 1; }));
  for (const Annotation& a : t.annotations) EXPECT_NE(a.kind, "clock") << a.text;
}

// A server's side: accept needs the handshake's last ACK, two threads' reads share one
// stream (each needs the segment that carried the last byte it took), and a read failing
// with ECONNRESET needs the RST. Each was ended by strace before the capture stamped it.
TEST(ProgramTrace, AcceptThreadsAndAResetWaitForTheirSegments) {
  const uint32_t c = 1000, s = 5000;
  StraceParser p;
  ProgramObservations obs;
  obs.name = "exec-server";
  obs.command = {"./server"};
  obs.link_type = linktype::RAW;
  const std::string sock = "4<TCP:[192.0.2.2:8080->192.0.2.1:40001]>";
  obs.records = parse_lines(
      {"7 1.000010 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[100]> <0.000010>",
       "7 1.000030 listen(3<TCP:[0.0.0.0:8080]>, 8) = 0 <0.000010>",
       "7 1.000050 accept4(3<TCP:[0.0.0.0:8080]>, {sa_family=AF_INET, sin_port=htons(40001), "
       "sin_addr=inet_addr(\"192.0.2.1\")}, [16], SOCK_CLOEXEC) = " + sock + " <0.000200>",
       "7 1.000300 read(" + sock + ", \"he\", 2) = 2 <0.000100>",
       "8 1.000410 read(" + sock + ", \"llo\", 8) = 3 <0.000100>",
       "8 1.000600 read(" + sock + ", 0x7ffd, 8) = -1 ECONNRESET (Connection reset by peer) <0.000100>"},
      p);
  p.finish(obs.records);
  obs.packets = {lab_packet(1000100000, true, tcpflag::SYN, c, 0),
                 lab_packet(1000110000, false, tcpflag::SYN | tcpflag::ACK, s, c + 1),
                 lab_packet(1000260000, true, tcpflag::ACK, c + 1, s + 1),  // accept ended at 1.000250
                 lab_packet(1000270000, true, tcpflag::PSH | tcpflag::ACK, c + 1, s + 1, "he"),
                 lab_packet(1000420000, true, tcpflag::PSH | tcpflag::ACK, c + 3, s + 1, "l"),
                 lab_packet(1000520000, true, tcpflag::PSH | tcpflag::ACK, c + 4, s + 1, "lo"),  // 2nd read ended at .510
                 lab_packet(1000710000, true, tcpflag::RST, c + 6, 0)};  // the failing read ended at .700
  const Trace t = build_program_trace(obs).trace;
  ASSERT_EQ(t.connections.size(), 1u);
  auto frame = [&](uint64_t n) {
    return index_of(t, [n](const Event& e) { return e.packet() && e.packet()->frame == n; });
  };
  auto call = [&](const std::string& value, const std::string& name) {
    return index_of(t, [&](const Event& e) { return e.syscall() && e.syscall()->call == name && e.syscall()->value == value; });
  };
  EXPECT_EQ(call("", "accept4"), frame(3) + 1);
  EXPECT_LT(call("he", "read"), frame(5)) << "its bytes came in #4, before its end: strace's end";
  EXPECT_EQ(t.events[call("he", "read")].t_ns, 1000400000);
  EXPECT_EQ(call("llo", "read"), frame(6) + 1) << "the other thread's read took bytes 2-4: #6 carried byte 4";
  const size_t reset = index_of(t, [](const Event& e) { return e.syscall() && e.syscall()->err == ECONNRESET; });
  EXPECT_EQ(reset, frame(7) + 1);
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->event, reset);
  EXPECT_EQ(t.first_observer->result, "ECONNRESET");
  EXPECT_EQ(model_mismatches(t), 0u);
}
