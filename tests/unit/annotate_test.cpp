// SPDX-License-Identifier: MIT
// The annotator on hand-built traces: which RSTs are accepted, which errno they store,
// the one-shot nature of that error, and the first observer.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

#include "rstlab/annotate.h"
#include "rstlab/tcp_model.h"
#include "rstlab/wire.h"

using namespace rstlab;

namespace {

constexpr uint32_t kC = 1000, kS = 5000;  // client and server ISNs
using namespace tcpflag;

class Build {
 public:
  Build() {
    t_.scenario = "t";
    t_.link = "tun";
    t_.client = {"kernel", Endpoint::parse("192.0.2.1:40001"), "default"};
    t_.server = {"peer", Endpoint::parse("192.0.2.2:8080"), ""};
  }
  Build& server_kernel() {
    t_.server.kind = "kernel";
    return *this;
  }
  /// Absolute numbers; `t` in microseconds.
  size_t pkt(Dir d, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len = 0, int64_t t = -1) {
    PacketEvent p;
    p.frame = ++frames_;
    p.dir = d;
    p.flags = flags;
    p.seq_abs = seq;
    p.ack_abs = ack;
    p.len = len;
    p.window = 65535;
    return add(p, t);
  }
  size_t call(const std::string& actor, const std::string& call, const std::string& args, int64_t ret,
              int err = 0, bool sigpipe = false, int64_t t = -1, int64_t t_start = -1,
              const std::string& value = "") {
    SyscallEvent s;
    s.actor = actor;
    s.call = call;
    s.args = args;
    s.ret = ret;
    if (err) s.err = err;
    if (sigpipe) s.signal = SIGPIPE;
    s.value = value;
    const int64_t at = t < 0 ? next_t() : t * 1000;
    s.t_start_ns = t_start < 0 ? at - 1 : t_start * 1000;
    Event e;
    e.t_ns = at;
    e.body = s;
    t_.events.push_back(e);
    return t_.events.size() - 1;
  }
  void handshake() {
    pkt(Dir::ClientToServer, SYN, kC, 0);
    pkt(Dir::ServerToClient, SYN | ACK, kS, kC + 1);
    pkt(Dir::ClientToServer, ACK, kC + 1, kS + 1);
    call("client", "connect", "192.0.2.2:8080", 0);
  }
  Trace& done() {
    annotate(t_);
    return t_;
  }
  Trace& trace() { return t_; }
  std::string notes_of(size_t event, const std::string& kind = "") const {
    std::string s;
    for (const auto& a : t_.annotations)
      if (a.event == event && (kind.empty() || a.kind == kind)) s += a.text + "\n";
    return s;
  }
  bool any_mismatch() const {
    for (const auto& a : t_.annotations)
      if (a.kind == "mismatch") return true;
    return false;
  }

 private:
  size_t add(const PacketEvent& p, int64_t t) {
    Event e;
    e.t_ns = t < 0 ? next_t() : t * 1000;
    e.body = p;
    t_.events.push_back(e);
    return t_.events.size() - 1;
  }
  int64_t next_t() { return now_ += 10000; }
  Trace t_;
  uint64_t frames_ = 0;
  int64_t now_ = 0;
};

}  // namespace

TEST(Annotate, ResetErrorIsReportedOnceThenEofThenEpipe) {
  Build b;
  b.handshake();
  const size_t rst = b.pkt(Dir::ServerToClient, RST, kS + 1, 0);
  const size_t r1 = b.call("client", "read", "10", -1, ECONNRESET);
  const size_t r2 = b.call("client", "read", "10", 0);
  const size_t w = b.call("client", "write", "\"x\"", -1, EPIPE, true);
  const Trace& t = b.done();
  EXPECT_NE(b.notes_of(rst, "rst").find("accepted in ESTABLISHED -> sk_err = ECONNRESET"), std::string::npos)
      << b.notes_of(rst);
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->event, r1);
  EXPECT_EQ(t.first_observer->result, "ECONNRESET");
  EXPECT_EQ(t.first_observer->cause, rst);
  EXPECT_NE(b.notes_of(r2).find("already reported: read returns 0"), std::string::npos) << b.notes_of(r2);
  EXPECT_NE(b.notes_of(w).find("write fails with EPIPE and raises SIGPIPE"), std::string::npos) << b.notes_of(w);
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, RstInCloseWaitStoresEpipe) {
  Build b;
  b.handshake();
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  b.pkt(Dir::ClientToServer, PSH | ACK, kC + 1, kS + 2, 1);
  const size_t ok = b.call("client", "write", "\"b\"", 1);
  const size_t rst = b.pkt(Dir::ServerToClient, RST, kS + 2, 0);
  const size_t w = b.call("client", "write", "\"c\"", -1, EPIPE, true);
  const Trace& t = b.done();
  EXPECT_NE(b.notes_of(rst).find("accepted in CLOSE_WAIT (the FIN came first) -> sk_err = EPIPE"), std::string::npos);
  EXPECT_NE(b.notes_of(ok).find("a FIN only closes the other side's sending direction"), std::string::npos);
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->event, w);
  EXPECT_NE(t.first_observer->reason.find("this write is the first call after it, so it reports EPIPE and raises SIGPIPE"),
            std::string::npos);
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, FirstCallIsAWriteItGetsEconnresetWithoutSigpipe) {
  Build b;
  b.handshake();
  b.pkt(Dir::ServerToClient, RST, kS + 1, 0);
  const size_t w = b.call("client", "write", "\"a\"", -1, ECONNRESET);
  b.done();
  EXPECT_NE(b.notes_of(w).find("reports ECONNRESET (no SIGPIPE: only EPIPE raises it)"), std::string::npos);
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, InWindowRstIsChallengedOutOfWindowIgnored) {
  Build b;
  b.handshake();
  const size_t in = b.pkt(Dir::ServerToClient, RST, kS + 1 + 100, 0);
  const size_t ack = b.pkt(Dir::ClientToServer, ACK, kC + 1, kS + 1);
  const size_t out = b.pkt(Dir::ServerToClient, RST, kS + 1 + (1u << 30), 0);
  b.call("client", "getsockopt", "SO_ERROR", 0, 0, false, -1, -1, "0");
  const Trace& t = b.done();
  EXPECT_NE(b.notes_of(in, "rst").find("a challenge ACK answers it (RFC 5961)"), std::string::npos);
  EXPECT_NE(b.notes_of(ack, "challenge-ack").find("challenge ACK from the client"), std::string::npos);
  EXPECT_NE(b.notes_of(out, "rst").find("outside the receive window"), std::string::npos);
  EXPECT_FALSE(t.first_observer) << "nothing observed a reset";
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, BadChecksumRstIsDropped) {
  Build b;
  b.handshake();
  Trace& t = b.done();
  PacketEvent p;
  p.frame = 9;
  p.dir = Dir::ServerToClient;
  p.flags = RST;
  p.seq_abs = kS + 1;
  p.checksum_ok = false;
  Event e;
  e.t_ns = 1000000000;
  e.body = p;
  t.events.push_back(e);
  annotate(t);
  bool found = false;
  for (const auto& a : t.annotations) found |= a.text.find("bad TCP checksum") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(Annotate, QueuedDataComesBeforeTheError) {
  Build b;
  b.handshake();
  b.pkt(Dir::ServerToClient, PSH | ACK, kS + 1, kC + 1, 5);
  b.pkt(Dir::ServerToClient, RST, kS + 6, 0);
  const size_t r1 = b.call("client", "read", "3", 3, 0, false, -1, -1, "hel");
  b.call("client", "read", "10", 2, 0, false, -1, -1, "lo");
  const size_t r3 = b.call("client", "read", "10", -1, ECONNRESET);
  const Trace& t = b.done();
  EXPECT_NE(b.notes_of(r1).find("5 bytes queued: data is returned before anything else (an RST does not purge"),
            std::string::npos)
      << b.notes_of(r1);
  EXPECT_EQ(t.first_observer->event, r3);
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, AfterAFinReadNeverReportsTheRstSoErrorDoes) {
  Build b;
  b.handshake();
  const size_t fin = b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  const size_t r1 = b.call("client", "read", "10", 0);
  const size_t rst = b.pkt(Dir::ServerToClient, RST, kS + 2, 0);
  const size_t r2 = b.call("client", "read", "10", 0);
  const size_t so = b.call("client", "getsockopt", "SO_ERROR", 0, 0, false, -1, -1, "EPIPE");
  const Trace& t = b.done();
  EXPECT_NE(b.notes_of(fin, "fin").find("receive side is shut (CLOSE_WAIT)"), std::string::npos);
  EXPECT_NE(b.notes_of(r2).find("read never reports the later RST (EPIPE waits for SO_ERROR or a write)"),
            std::string::npos)
      << b.notes_of(r2);
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->event, so) << "the RST's first observer is SO_ERROR, not the FIN's read " << r1;
  EXPECT_EQ(t.first_observer->cause, rst);
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, SynSentNeedsAnAcceptableAck) {
  Build b;
  b.pkt(Dir::ClientToServer, SYN, kC, 0);
  const size_t bare = b.pkt(Dir::ServerToClient, RST, 0, 0);
  const size_t good = b.pkt(Dir::ServerToClient, RST | ACK, 0, kC + 1);
  const size_t c = b.call("client", "connect", "192.0.2.2:8080", -1, ECONNREFUSED, false, -1, 0);
  const Trace& t = b.done();
  EXPECT_NE(b.notes_of(bare, "rst").find("RST without ACK in SYN_SENT: ignored"), std::string::npos);
  EXPECT_NE(b.notes_of(good, "rst").find("accepted in SYN_SENT"), std::string::npos);
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->event, c);
  EXPECT_EQ(t.first_observer->result, "ECONNREFUSED");
}

TEST(Annotate, ABlockedReadIsDecidedWhenItReturns) {
  Build b;
  b.handshake();
  // read() entered at 100 us, RST at 200 us, read returned at 300 us.
  const size_t rst = b.pkt(Dir::ServerToClient, RST, kS + 1, 0, 0, 200);
  const size_t r = b.call("client", "read", "10", -1, ECONNRESET, false, 300, 100);
  const Trace& t = b.done();
  EXPECT_EQ(t.first_observer->event, r);
  EXPECT_EQ(t.first_observer->cause, rst);
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, AWriteIsDecidedWhenItStarts) {
  Build b;
  b.handshake();
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1);
  // The write's segment and the RST it provokes both land before write() returns.
  b.pkt(Dir::ClientToServer, PSH | ACK, kC + 1, kS + 2, 1, 1000);
  b.pkt(Dir::ServerToClient, RST, kS + 2, 0, 0, 1001);
  b.call("client", "write", "\"b\"", 1, 0, false, 1002, 999);
  b.done();
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, AWriteCutShortByAnRstIsItsFirstObserver) {
  Build b;
  b.handshake();
  b.pkt(Dir::ServerToClient, FIN | ACK, kS + 1, kC + 1, 0, 900);
  // write(100000) entered at 1000 us, filled the send buffer and waited; the peer's RST
  // landed at 1500 us and the write came back with the bytes it had copied.
  b.pkt(Dir::ClientToServer, ACK, kC + 1, kS + 2, 1448, 1100);
  const size_t rst = b.pkt(Dir::ServerToClient, RST, kS + 2, 0, 0, 1500);
  const size_t w = b.call("client", "write", "100000 bytes", 78192, 0, false, 1600, 1000);
  const size_t next = b.call("client", "write", "\"x\"", -1, EPIPE, true, 1700, 1690);
  const Trace& t = b.done();
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->event, w);
  EXPECT_EQ(t.first_observer->cause, rst);
  EXPECT_EQ(t.first_observer->result, "78192 of 100000 bytes (cut short)");
  const std::string why = b.notes_of(w, "call");
  EXPECT_NE(why.find("after copying 78192 of 100000 bytes; the RST #6 arrived while it waited (accepted in "
                     "CLOSE_WAIT -> sk_err = EPIPE)"),
            std::string::npos)
      << why;
  EXPECT_EQ(why.find("accepted and sent"), std::string::npos) << why;
  // The error stayed pending: the next write reports it, and says why it is not the first.
  EXPECT_NE(b.notes_of(next).find("the first call to report it (the write cut short before it"), std::string::npos)
      << b.notes_of(next);
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, ABlockedWriteThatFailsIsJudgedWhenItReturns) {
  Build b;
  b.handshake();
  // A write that copied nothing before the RST came fails with the error itself.
  const size_t rst = b.pkt(Dir::ServerToClient, RST, kS + 1, 0, 0, 1500);
  const size_t w = b.call("client", "write", "5000000 bytes", -1, ECONNRESET, false, 1600, 1000);
  const Trace& t = b.done();
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->event, w);
  EXPECT_EQ(t.first_observer->cause, rst);
  EXPECT_NE(b.notes_of(w).find("waiting for room in the send buffer when it arrived"), std::string::npos)
      << b.notes_of(w);
  EXPECT_FALSE(b.any_mismatch());
}

TEST(Annotate, ContradictionsAreSaidPlainly) {
  Build b;
  b.handshake();
  b.pkt(Dir::ServerToClient, RST, kS + 1, 0);
  const size_t r = b.call("client", "read", "10", 0);  // the rules say ECONNRESET
  b.done();
  EXPECT_NE(b.notes_of(r, "mismatch").find("MODEL MISMATCH: the kernel rules predict ECONNRESET, the kernel returned EOF"),
            std::string::npos);
}

TEST(Annotate, KernelRstCauses) {
  Build b;
  b.server_kernel();
  b.handshake();
  b.pkt(Dir::ClientToServer, PSH | ACK, kC + 1, kS + 1, 2);
  b.call("server", "read", "1", 1, 0, false, -1, -1, "a");
  b.call("server", "close", "", 0);
  const size_t rst = b.pkt(Dir::ServerToClient, RST | ACK, kS + 1, kC + 3);
  b.done();
  EXPECT_NE(b.notes_of(rst, "cause").find("the server closed with 1 unread byte: tcp_close() aborts"),
            std::string::npos)
      << b.notes_of(rst);
}

TEST(Annotate, NextCallsGivesWhatThePredictionsSay) {
  // next_calls (no words, for summaries of many connections) must take the same
  // decisions as predict_read / predict_write / predict_so_error, in every combination
  // of the endpoint state they read.
  const int errs[] = {0, ECONNRESET, EPIPE, ECONNREFUSED};
  int combos = 0;
  for (int bits = 0; bits < 1 << 7; ++bits)
    for (int err : errs)
      for (TcpState st : {TcpState::Established, TcpState::CloseWait, TcpState::Closed}) {
        ConnectionModel m;
        EndpointModel& e = m.side[0];
        e.sent_reset = bits & 1;
        e.reset = bits & 2;
        e.rx_queue = bits & 4 ? 10 : 0;
        e.fin_received = bits & 8;
        e.rd_shut = bits & 16;
        e.wr_shut = bits & 32;
        e.app_closed = bits & 64;
        e.state = st;
        e.pending_err = err;
        e.err_cause = e.rd_cause = e.wr_cause = e.fin_event = 3;
        const auto calls = m.next_calls(0);
        SCOPED_TRACE("bits " + std::to_string(bits) + ", errno " + std::to_string(err));
        EXPECT_EQ(calls.read, m.predict_read(0, false).result);
        EXPECT_EQ(std::string(calls.write) + (calls.sigpipe ? " +SIGPIPE" : ""), m.predict_write(0, false).result);
        EXPECT_EQ(calls.so_error ? errno_name(calls.so_error) : "0", m.predict_so_error(0, false).result);
        ++combos;
      }
  EXPECT_EQ(combos, 128 * 4 * 3);
}

// ---- The model on captures from ordinary hosts (ConnectionModel directly) ----

namespace {

SegmentFacts facts(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len = 0) {
  SegmentFacts f;
  f.flags = flags;
  f.seq = seq;
  f.ack = ack;
  f.len = len;
  f.window = 65535;
  return f;
}

}  // namespace

// ---- the middle actor -------------------------------------------------------

namespace {

/// Both ends kernel sockets, one byte each way, and a middle action.
void middle_setup(Build& b) {
  b.server_kernel();
  b.handshake();
  b.call("server", "accept", "", 4);
  b.pkt(Dir::ClientToServer, PSH | ACK, kC + 1, kS + 1, 1);
  b.pkt(Dir::ServerToClient, ACK, kS + 1, kC + 2);
  b.call("server", "read", "10", 1, 0, false, -1, -1, "q");
}

size_t injected(Build& b, Trace& t, Dir d, uint8_t flags, uint32_t seq, uint32_t ack) {
  const size_t i = b.pkt(d, flags, seq, ack);
  std::get<PacketEvent>(t.events[i].body).injected_by = "middle";
  return i;
}

}  // namespace

TEST(TcpModel, RetransmittedSynAndSynAckNeverMoveBack) {
  ConnectionModel m;
  m.on_segment(0, facts(SYN, kC, 0), 1);
  m.on_segment(1, facts(SYN | ACK, kS, kC + 1), 2);
  m.on_segment(0, facts(ACK, kC + 1, kS + 1), 3);
  m.on_segment(0, facts(PSH | ACK, kC + 1, kS + 1, 10), 4);
  m.on_segment(0, facts(SYN, kC, 0), 5);              // a late copy of the SYN
  m.on_segment(1, facts(SYN | ACK, kS, kC + 1), 6);   // and of the SYN-ACK
  EXPECT_EQ(m.side[0].state, TcpState::Established);
  EXPECT_EQ(m.side[1].state, TcpState::Established);
  EXPECT_EQ(m.side[0].snd_nxt, kC + 11) << "sequence space does not go back either";
  EXPECT_EQ(m.side[1].rcv_nxt, kC + 11);
  m.on_segment(0, facts(FIN | ACK, kC + 11, kS + 1), 7);
  EXPECT_EQ(m.side[0].state, TcpState::FinWait1);
  const SegmentVerdict v = m.on_segment(1, facts(RST | ACK, kS + 1, kC + 12), 8);
  EXPECT_EQ(v.reaction, RstReaction::Accepted);
  EXPECT_EQ(v.err, ECONNRESET);
}

TEST(TcpModel, AnEndpointIsKnownFromTheOtherSidesSegments) {
  // Only the server's segments: its SYN-ACK shows the client's SYN, its ACK the client's
  // bytes; its RST is judged on the client so known.
  ConnectionModel m;
  m.on_segment(1, facts(SYN | ACK, kS, kC + 1), 1);
  EXPECT_TRUE(m.side[0].seen);
  EXPECT_TRUE(m.side[0].inferred);
  EXPECT_FALSE(m.side[0].own_segments);
  EXPECT_EQ(m.side[0].state, TcpState::Established);
  EXPECT_EQ(m.side[0].isn, kC);
  m.on_segment(1, facts(ACK, kS + 1, kC + 21), 2);
  EXPECT_EQ(m.side[0].snd_nxt, kC + 21) << "it sent what the server acknowledges";
  EXPECT_EQ(m.side[1].rcv_nxt, kC + 21) << "the server's ACK is its rcv_nxt";
  const SegmentVerdict v = m.on_segment(1, facts(RST | ACK, kS + 1, kC + 21), 3);
  EXPECT_EQ(v.reaction, RstReaction::Accepted) << v.why;
  EXPECT_EQ(m.next_calls(0).read, std::string("ECONNRESET"));
}

TEST(TcpModel, AFinTakenAsDroppedIsTakenWhenTheReceiverAcksIt) {
  ConnectionModel m;
  m.on_segment(0, facts(SYN, kC, 0), 1);
  m.on_segment(1, facts(SYN | ACK, kS, kC + 1), 2);
  m.on_segment(0, facts(ACK, kC + 1, kS + 1), 3);
  SegmentFacts fin = facts(FIN | ACK, kC + 1, kS + 1);
  fin.checksum_ok = false;
  EXPECT_TRUE(m.on_segment(0, fin, 4).dropped_bad_checksum);
  EXPECT_FALSE(m.side[1].fin_received);
  const SegmentVerdict v = m.on_segment(1, facts(ACK, kS + 1, kC + 2), 5);
  EXPECT_TRUE(v.fin_by_ack);
  EXPECT_EQ(v.fin_event, 4u);
  EXPECT_TRUE(m.side[1].fin_received);
  EXPECT_EQ(m.side[1].state, TcpState::CloseWait);
  EXPECT_EQ(m.next_calls(1).read, std::string("EOF"));
}

TEST(Annotate, MiddleResetOfBothEndsHasOneFirstObserver) {
  Build b;
  Trace& t = b.trace();
  middle_setup(b);
  // The capture shows the RST toward the server first; the client's read still comes first.
  const size_t to_server = injected(b, t, Dir::ClientToServer, RST | ACK, kC + 2, kS + 1);
  const size_t to_client = injected(b, t, Dir::ServerToClient, RST | ACK, kS + 1, kC + 2);
  const size_t read = b.call("client", "read", "10", -1, ECONNRESET);
  b.call("server", "write", "\"s\"", -1, ECONNRESET);
  b.done();
  EXPECT_FALSE(b.any_mismatch());
  EXPECT_NE(b.notes_of(to_server, "cause").find("injected by the middlebox in the client's name"), std::string::npos)
      << b.notes_of(to_server);
  EXPECT_NE(b.notes_of(to_client, "rst").find("RST to the client, injected by the middlebox: seq = rcv_nxt: accepted "
                                              "in ESTABLISHED -> sk_err = ECONNRESET"),
            std::string::npos)
      << b.notes_of(to_client);
  ASSERT_TRUE(t.first_observer);
  EXPECT_EQ(t.first_observer->event, read);
  EXPECT_EQ(t.first_observer->cause, to_client);
}

TEST(Annotate, InjectedSegmentsChangeNothingOfTheirNominalSender) {
  Build b;
  Trace& t = b.trace();
  middle_setup(b);
  // A FIN toward the server in the client's name: the client has sent no FIN, so its
  // next write is fine; the server reads EOF.
  const size_t fin = injected(b, t, Dir::ClientToServer, FIN | ACK, kC + 2, kS + 1);
  b.call("client", "write", "\"a\"", 1);
  b.call("server", "read", "10", 0);
  b.done();
  EXPECT_FALSE(b.any_mismatch());
  EXPECT_NE(b.notes_of(fin, "fin").find("FIN from the client, injected by the middlebox"), std::string::npos)
      << b.notes_of(fin);
}

TEST(Annotate, AResetSocketQueuesNothingAndItsKernelAnswersWithRst) {
  Build b;
  Trace& t = b.trace();
  middle_setup(b);
  injected(b, t, Dir::ServerToClient, RST | ACK, kS + 1, kC + 2);
  // The server, unaware, sends; the client's kernel has no socket and answers.
  b.pkt(Dir::ServerToClient, PSH | ACK, kS + 1, kC + 2, 5);
  const size_t rst = b.pkt(Dir::ClientToServer, RST, kC + 2, 0);
  b.call("client", "read", "10", -1, ECONNRESET);
  b.done();
  EXPECT_FALSE(b.any_mismatch()) << "the 5 bytes never reached a socket";
  EXPECT_NE(b.notes_of(rst, "cause").find("the client's socket was reset by #6 (injected by the middlebox)"),
            std::string::npos)
      << b.notes_of(rst);
}
