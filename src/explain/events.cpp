// SPDX-License-Identifier: MIT
// The TCP events behind a result, in words, from the rules docs/kernel-rules.md gives (and
// the annotator applies), written for a reader who has only a log line: they gather several
// rules of the table (rstlab/rules.h) into one story per result and call, with the causes
// behind them. explain.cpp names those rules beside these words (rules_yielding()); "timer"
// and "local-close", which no kernel rule yields, have words only.
#include "explain/events.h"

namespace rstlab::detail {
namespace {

// Why Linux (or something on the path) sends the RST behind ECONNRESET; shared by the read
// and the write.
const char* kWhyReset =
    "Linux sends such an RST when its application closes with bytes it has not read (RST|ACK "
    "instead of FIN, RFC 2525), after SO_LINGER {on, 0} and close(), or for a segment of a "
    "connection it no longer has (a restarted host); a middlebox (a load balancer's idle "
    "timeout, a firewall) may forge one to both ends.";

std::vector<std::string> reset(CallOp call) {
  const std::string accepted =
      "An RST with seq = rcv_nxt was accepted while ESTABLISHED, FIN_WAIT1 or FIN_WAIT2 (no FIN "
      "from the peer before it): tcp_reset() stores ECONNRESET and the send queue is thrown away.";
  switch (call) {
    case CallOp::Read:
      return {accepted,
              "The read returns the bytes queued before the RST first, then ECONNRESET once (a read "
              "blocked in the kernel is woken with it); the read after it returns 0 (EOF), a write "
              "fails with EPIPE and raises SIGPIPE.",
              kWhyReset};
    case CallOp::Write:
      return {accepted,
              "The first write after it fails with ECONNRESET, not EPIPE (sk_stream_error() returns "
              "the stored error) and raises no SIGPIPE; data still unacknowledged when the RST came "
              "is lost; the next write fails with EPIPE and raises SIGPIPE.",
              kWhyReset};
    case CallOp::Connect:
      return {"An RST accepted during the handshake: in SYN_SENT it means ECONNREFUSED, so "
              "ECONNRESET on a connect is the RST of a connection that had just been established "
              "(or of a non-blocking connect's socket, reported by the next call).",
              kWhyReset};
    default:
      return {accepted,
              "Whichever call comes first after it reports it, once: a read (after the bytes queued "
              "before the RST), a write (ECONNRESET, no SIGPIPE) or getsockopt(SO_ERROR); later reads "
              "return 0 (EOF), later writes fail with EPIPE and raise SIGPIPE.",
              kWhyReset};
  }
}

std::vector<std::string> broken_pipe(CallOp call) {
  if (call == CallOp::Pipe)
    return {"No TCP at all: a write to a pipe whose reading end is closed everywhere (prog | head, "
            "once head has exited); pipe_write() raises SIGPIPE and fails with EPIPE.",
            "SIGPIPE's default action kills the writer silently (it dies of signal 13, often unseen "
            "in a shell pipeline); a program that ignores SIGPIPE (Python, Rust and Go for other "
            "descriptors do) sees EPIPE instead and reports it."};
  return {"The peer closed first: its FIN put this side in CLOSE_WAIT, the first write after it "
          "succeeded locally, its data reached a socket that no longer exists and drew an RST "
          "(seq = that segment's ack); accepted in CLOSE_WAIT, the RST stores EPIPE and the next "
          "write fails with it.",
          "Or an RST accepted in ESTABLISHED was already reported to an earlier call (a write's or "
          "a read's ECONNRESET, or SO_ERROR): the socket is CLOSE and every later write fails with "
          "EPIPE.",
          "Or this side shut down writing itself (shutdown(SHUT_WR)): EPIPE, with no packet from "
          "the peer at all.",
          "EPIPE raises SIGPIPE unless the call passed MSG_NOSIGNAL: by default the process dies "
          "of it silently; ignored or caught, the write returns EPIPE and the program logs it.",
          "Outside TCP, a write to a pipe whose reader has gone fails the same way."};
}

std::vector<std::string> refused(CallOp call) {
  std::vector<std::string> v = {
      "The SYN was answered by an RST|ACK acknowledging it exactly (ack = ISN + 1), accepted in "
      "SYN_SENT: tcp_reset() stores ECONNREFUSED. Nothing listened on that address and port, or "
      "a firewall rejected the SYN with a TCP reset.",
      "An ICMP port or protocol unreachable answering the SYN (a firewall's REJECT) aborts the "
      "connect with the same errno, with no RST at all.",
      "A bare RST without ACK, or with another ack, is ignored in SYN_SENT (RFC 5961): connect "
      "keeps retransmitting its SYN."};
  if (call != CallOp::Connect)
    v.push_back("Reported by a later call when the connect was non-blocking: SO_ERROR, or the first "
                "read or write on the socket.");
  return v;
}

std::vector<std::string> timed_out(CallOp call) {
  if (call == CallOp::Connect)
    return {"The SYN was never answered: the kernel retransmitted it net.ipv4.tcp_syn_retries times "
            "(6 by default, about 127 s in all) and gave up. On the wire: SYNs only (a host that is "
            "down, a firewall that drops, a wrong route)."};
  return {"The kernel gave up on the connection with no packet from the peer: data stayed "
          "unacknowledged through net.ipv4.tcp_retries2 retransmissions (15 by default, about 15 "
          "minutes), TCP_USER_TIMEOUT expired, or SO_KEEPALIVE's probes went unanswered.",
          "tcp_write_err() stores ETIMEDOUT and closes the socket without sending an RST; the first "
          "call after it reports ETIMEDOUT (a blocked read is woken with it), later writes fail "
          "with EPIPE."};
}

std::vector<std::string> aborted() {
  return {"On Linux the local side aborted the connection: the socket was destroyed from outside "
          "the program (ss -K, SOCK_DESTROY: tcp_abort() stores ECONNABORTED and sends the peer an "
          "RST); no packet from the peer is needed.",
          "On Windows (WSAECONNABORTED, 10053) the host's own stack aborted it, commonly after its "
          "retransmissions went unanswered or when software on the host (a firewall, an antivirus) "
          "cut the connection; Windows' rules are not Linux's, and no built-in scenario plays them."};
}

std::vector<std::string> end_of_file(CallOp call) {
  if (call == CallOp::Write)
    return {"The peer's FIN arrived (this side in CLOSE_WAIT). The kernel still accepts writes after "
            "it: the first one succeeds and, if the peer's socket is closed, draws an RST that makes "
            "the next write fail with EPIPE. A program or library that stops at EOF refuses the write "
            "itself."};
  return {"The peer's FIN arrived and every byte before it was read: read() returns 0. The peer "
          "called close() or shutdown(SHUT_WR), or its process exited, with nothing unread (with "
          "bytes unread Linux sends an RST instead of the FIN).",
          "A read blocked in the kernel is woken by the FIN and returns 0; poll() reports "
          "POLLIN|POLLRDHUP.",
          "A read also returns 0 after an RST whose error an earlier call took, and after a FIN it "
          "never reports a later RST (that error waits in SO_ERROR, EPIPE)."};
}

std::vector<std::string> timer(CallOp call) {
  std::vector<std::string> v = {
      "No packet and no kernel error: the program's own timer (a deadline, a socket timeout) "
      "expired while the call waited. It is not ETIMEDOUT, which the kernel gives after its own "
      "retransmissions fail."};
  if (call == CallOp::Connect)
    v.push_back("For a connect: the handshake did not complete in time, the SYN (and its "
                "retransmissions) unanswered or answered late: a host that is down or slow, a "
                "firewall that drops, a full accept queue.");
  else
    v.push_back("The connection itself may be fine: the peer was slow, or silent; the call was "
                "abandoned, and what the program does next (close, RST) is its own choice.");
  return v;
}

std::vector<std::string> local_close() {
  return {"No packet from the peer caused it: the program closed (or ended) the socket itself, "
          "then used it: another thread or goroutine closed it, a timeout handler destroyed it, or "
          "a connection pool discarded it.",
          "On the wire the close shows as this side's own FIN (or its RST|ACK when unread bytes "
          "were waiting)."};
}

}  // namespace

std::vector<std::string> events_for(std::string_view result, CallOp call) {
  if (result == "ECONNRESET") return reset(call);
  if (result == "EPIPE") return broken_pipe(call);
  if (result == "ECONNREFUSED") return refused(call);
  if (result == "ETIMEDOUT") return timed_out(call);
  if (result == "ECONNABORTED") return aborted();
  if (result == "EOF") return end_of_file(call);
  if (result == "timer") return timer(call);
  if (result == "local-close") return local_close();
  return {};
}

}  // namespace rstlab::detail
