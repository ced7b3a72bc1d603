// SPDX-License-Identifier: MIT
#include "rstlab/vocabulary.h"

#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

namespace rstlab {
namespace {

/// The one table of TCP state names: the kernel's number (include/net/tcp_states.h), the
/// model's state, and the name both print. NEW_SYN_RECV (a request socket, never seen by
/// getsockopt on a full socket) has no TcpState.
struct StateRow {
  int kernel;
  std::optional<TcpState> state;
  const char* name;
};
constexpr int kNewSynRecv = 12;  // TCP_NEW_SYN_RECV: not in every libc's netinet/tcp.h
const StateRow kStates[] = {
    {TCP_ESTABLISHED, TcpState::Established, "ESTABLISHED"},
    {TCP_SYN_SENT, TcpState::SynSent, "SYN_SENT"},
    {TCP_SYN_RECV, TcpState::SynRecv, "SYN_RECV"},
    {TCP_FIN_WAIT1, TcpState::FinWait1, "FIN_WAIT1"},
    {TCP_FIN_WAIT2, TcpState::FinWait2, "FIN_WAIT2"},
    {TCP_TIME_WAIT, TcpState::TimeWait, "TIME_WAIT"},
    {TCP_CLOSE, TcpState::Closed, "CLOSE"},
    {TCP_CLOSE_WAIT, TcpState::CloseWait, "CLOSE_WAIT"},
    {TCP_LAST_ACK, TcpState::LastAck, "LAST_ACK"},
    {TCP_LISTEN, TcpState::Listen, "LISTEN"},
    {TCP_CLOSING, TcpState::Closing, "CLOSING"},
    {kNewSynRecv, std::nullopt, "NEW_SYN_RECV"},
};

const StateRow* state_row(int kernel) {
  for (const auto& r : kStates)
    if (r.kernel == kernel) return &r;
  return nullptr;
}

const struct {
  short bit;
  const char* name;
} kPollBits[] = {{POLLIN, "POLLIN"},   {POLLPRI, "POLLPRI"},   {POLLOUT, "POLLOUT"},    {POLLERR, "POLLERR"},
                 {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}, {POLLRDHUP, "POLLRDHUP"}};

constexpr CallOp kOps[] = {CallOp::Other,    CallOp::Socket, CallOp::Connect,    CallOp::Listen,     CallOp::Accept,
                           CallOp::Read,     CallOp::Write,  CallOp::Shutdown,   CallOp::Close,      CallOp::SetSockOpt,
                           CallOp::GetSockOpt, CallOp::Poll, CallOp::Pipe};

}  // namespace

const char* tcp_state_label(TcpState s) {
  for (const auto& r : kStates)
    if (r.state == s) return r.name;
  return "?";
}

std::optional<TcpState> tcp_state_from_kernel(int s) {
  const StateRow* r = state_row(s);
  return r ? r->state : std::nullopt;
}

std::string tcp_state_name(int s) {
  if (s < 0) return "";
  const StateRow* r = state_row(s);
  return r ? r->name : "STATE" + std::to_string(s);
}

std::optional<TcpState> tcp_state_from_label(const std::string& name) {
  for (const auto& r : kStates)
    if (name == r.name) return r.state;
  return std::nullopt;
}

const char* call_op_name(CallOp op) {
  switch (op) {
    case CallOp::Other: return "other";
    case CallOp::Socket: return "socket";
    case CallOp::Connect: return "connect";
    case CallOp::Listen: return "listen";
    case CallOp::Accept: return "accept";
    case CallOp::Read: return "read";
    case CallOp::Write: return "write";
    case CallOp::Shutdown: return "shutdown";
    case CallOp::Close: return "close";
    case CallOp::SetSockOpt: return "setsockopt";
    case CallOp::GetSockOpt: return "getsockopt";
    case CallOp::Poll: return "poll";
    case CallOp::Pipe: return "pipe";
  }
  return "other";
}

std::optional<CallOp> call_op_from_name(const std::string& name) {
  for (CallOp op : kOps)
    if (name == call_op_name(op)) return op;
  return std::nullopt;
}

const char* sock_opt_name(SockOpt o) {
  switch (o) {
    case SockOpt::None: return nullptr;
    case SockOpt::Linger: return "SO_LINGER";
    case SockOpt::UserTimeout: return "TCP_USER_TIMEOUT";
    case SockOpt::Error: return "SO_ERROR";
    case SockOpt::Other: return "other";
  }
  return nullptr;
}

std::optional<SockOpt> sock_opt_from_name(const std::string& name) {
  for (SockOpt o : {SockOpt::Linger, SockOpt::UserTimeout, SockOpt::Error, SockOpt::Other})
    if (name == sock_opt_name(o)) return o;
  return std::nullopt;
}

const char* shut_how_name(int how) {
  switch (how) {
    case SHUT_RD: return "SHUT_RD";
    case SHUT_WR: return "SHUT_WR";
    case SHUT_RDWR: return "SHUT_RDWR";
    default: return nullptr;
  }
}

std::optional<int> shut_how_from_name(const std::string& name) {
  for (int how : {SHUT_RD, SHUT_WR, SHUT_RDWR})
    if (name == shut_how_name(how)) return how;
  return std::nullopt;
}

std::string poll_events_string(short ev) {
  std::string s;
  for (const auto& b : kPollBits)
    if (ev & b.bit) s += (s.empty() ? "" : "|") + std::string(b.name);
  return s.empty() ? "0" : s;
}

std::optional<short> poll_events_from_string(const std::string& names) {
  if (names == "0") return 0;
  short bits = 0;
  size_t at = 0;
  while (at <= names.size()) {
    size_t end = names.find('|', at);
    if (end == std::string::npos) end = names.size();
    const std::string one = names.substr(at, end - at);
    bool known = false;
    for (const auto& b : kPollBits)
      if (one == b.name) {
        bits = static_cast<short>(bits | b.bit);
        known = true;
      }
    if (!known) return std::nullopt;
    at = end + 1;
  }
  return bits;
}

}  // namespace rstlab
