// SPDX-License-Identifier: MIT
#include "runner/calls.h"

#include <sys/socket.h>

#include <csignal>

#include "rstlab/printable.h"

namespace rstlab::detail {

std::string call_name(const CallRequest& c) {
  switch (c.call) {
    case KernelCall::Connect: return "connect";
    case KernelCall::Listen: return "listen";
    case KernelCall::Accept: return "accept";
    case KernelCall::Write: return c.use_send_recv ? "send" : "write";
    case KernelCall::Read: return c.use_send_recv ? "recv" : "read";
    case KernelCall::Shutdown: return "shutdown";
    case KernelCall::Close: return "close";
    case KernelCall::SetLinger:
    case KernelCall::SetUserTimeout: return "setsockopt";
    case KernelCall::GetSoError: return "getsockopt";
    case KernelCall::Poll: return "poll";
    case KernelCall::Pipe: return "pipe";
    case KernelCall::CloseReadEnd: return "close";
    case KernelCall::Query: return "query";
  }
  return "?";
}

std::string call_args(const CallRequest& c) {
  std::string flags;
  if (c.msg_flags & MSG_NOSIGNAL) flags += "|MSG_NOSIGNAL";
  if (c.msg_flags & MSG_DONTWAIT) flags += "|MSG_DONTWAIT";
  if (c.msg_flags & MSG_PEEK) flags += "|MSG_PEEK";
  if (c.msg_flags & MSG_WAITALL) flags += "|MSG_WAITALL";
  if (!flags.empty()) flags = ", " + flags.substr(1);
  switch (c.call) {
    case KernelCall::Connect: return c.remote.str() + (c.nonblocking ? ", O_NONBLOCK" : "");
    case KernelCall::Listen: return c.local.str();
    case KernelCall::Write:
      return (c.data.empty() ? std::to_string(c.count) + " bytes" : "\"" + printable(c.data) + "\"") + flags;
    case KernelCall::Read: return std::to_string(c.count) + flags;
    case KernelCall::Shutdown:
      return c.value == SHUT_RD ? "SHUT_RD" : c.value == SHUT_WR ? "SHUT_WR" : "SHUT_RDWR";
    case KernelCall::SetLinger:
      return std::string("SO_LINGER {") + (c.enable ? "on" : "off") + ", " + std::to_string(c.value) + "}";
    case KernelCall::SetUserTimeout: return "TCP_USER_TIMEOUT, " + std::to_string(c.value) + " ms";
    case KernelCall::GetSoError: return "SO_ERROR";
    case KernelCall::Poll: return poll_events_string(c.events) + ", " + std::to_string(c.value) + " ms";
    case KernelCall::CloseReadEnd: return "pipe read end";
    case KernelCall::Query: return "TCP_INFO, SIOCINQ, SIOCOUTQ";
    default: return "";
  }
}

std::string describe_socket(const Expectation& e, const CallResult& r) {
  std::string s;
  if (e.state) s += " state=" + (r.state.empty() ? std::string("(no socket)") : r.state);
  if (e.inq) s += " inq=" + (r.inq < 0 ? std::string("(no socket)") : std::to_string(r.inq));
  if (e.outq) s += " outq=" + (r.outq < 0 ? std::string("(no socket)") : std::to_string(r.outq));
  return s;
}

std::string describe_result(const CallRequest& c, const CallResult& r) {
  std::string s;
  if (r.ret < 0) s = errno_name(r.err);
  else if (c.call == KernelCall::Read && r.ret == 0) s = "EOF";
  else if (c.call == KernelCall::Read && r.value.size() > 64)  // a bulk read: its count and a glimpse
    s = std::to_string(r.ret) + " bytes \"" + printable(r.value.substr(0, 64)) + "...\"";
  else if (c.call == KernelCall::Read) s = "\"" + printable(r.value) + "\"";
  else if (c.call == KernelCall::GetSoError || c.call == KernelCall::Poll) s = r.value;
  else s = std::to_string(r.ret);
  if (r.signal) s += " +" + signal_name(r.signal);
  if (r.fate == SignalFate::Killed) s += " (killed by " + signal_name(r.signal) + ")";
  return s;
}

bool expectation_met(const Expectation& e, const CallResult& r) {
  // The clauses: the socket as measured right after the call.
  if (e.state && r.state != *e.state) return false;
  if (e.inq && r.inq != *e.inq) return false;
  if (e.outq && r.outq != *e.outq) return false;
  if (e.query) return r.ret == 0;
  switch (e.kind) {
    case Expectation::Kind::Return: return r.ret == e.ret && r.err == 0;
    case Expectation::Kind::Errno:
      return r.ret == -1 && r.err == e.err && (r.signal == SIGPIPE) == e.sigpipe;
    case Expectation::Kind::Killed: return r.fate == SignalFate::Killed;
    case Expectation::Kind::Value:
      // Reads compare the bytes (and so the count); SO_ERROR and poll their value.
      return r.ret >= 0 && r.value == e.value;
  }
  return false;
}

CallFacts call_facts(const CallRequest& c, const CallResult& r) {
  CallFacts f;
  switch (c.call) {
    case KernelCall::Connect: f.op = CallOp::Connect; break;
    case KernelCall::Listen: f.op = CallOp::Listen; break;
    case KernelCall::Accept: f.op = CallOp::Accept; break;
    case KernelCall::Write: f.op = CallOp::Write; break;
    case KernelCall::Read: f.op = CallOp::Read; break;
    case KernelCall::Shutdown: f.op = CallOp::Shutdown; break;
    case KernelCall::Close:
    case KernelCall::CloseReadEnd: f.op = CallOp::Close; break;
    case KernelCall::SetLinger:
    case KernelCall::SetUserTimeout: f.op = CallOp::SetSockOpt; break;
    case KernelCall::GetSoError: f.op = CallOp::GetSockOpt; break;
    case KernelCall::Poll: f.op = CallOp::Poll; break;
    case KernelCall::Pipe: f.op = CallOp::Pipe; break;
    case KernelCall::Query: f.op = CallOp::Other; break;
  }
  f.fd = r.fd;
  f.on_pipe = r.on_pipe;
  f.nonblock = r.nonblock || c.nonblocking;
  f.dontwait = c.msg_flags & MSG_DONTWAIT;
  f.nosignal = c.msg_flags & MSG_NOSIGNAL;
  f.peek = c.msg_flags & MSG_PEEK;
  f.waitall = c.msg_flags & MSG_WAITALL;
  if (c.call == KernelCall::Write) f.size = c.data.empty() ? static_cast<uint64_t>(c.count) : c.data.size();
  if (c.call == KernelCall::Read) f.size = static_cast<uint64_t>(c.count);
  if (c.call == KernelCall::Shutdown) f.shut_how = c.value;
  if (c.call == KernelCall::SetLinger) {
    f.option = SockOpt::Linger;
    f.linger_on = c.enable;
    f.linger_seconds = c.value;
  }
  if (c.call == KernelCall::SetUserTimeout) {
    f.option = SockOpt::UserTimeout;
    f.timeout_ms = c.value;
  }
  if (c.call == KernelCall::GetSoError) {
    f.option = SockOpt::Error;
    f.so_error = r.so_error;
  }
  if (c.call == KernelCall::Poll) {
    f.events = c.events;
    f.timeout_ms = c.value;
    f.revents = r.revents;
  }
  return f;
}

SyscallEvent syscall_event(const std::string& actor, const CallRequest& c, const CallResult& r) {
  SyscallEvent ev;
  ev.actor = actor;
  ev.facts = call_facts(c, r);
  ev.call = call_name(c);
  ev.args = call_args(c);
  ev.ret = r.ret;
  if (r.ret < 0) ev.err = r.err;
  if (r.signal) ev.signal = r.signal;
  ev.fate = r.fate;
  ev.value = r.value;
  ev.state = r.state;
  ev.tcp_state = tcp_state_from_kernel(r.tcpi_state);
  ev.t_start_ns = r.t_start_ns;
  ev.t_state_ns = r.t_state_ns;
  return ev;
}

}  // namespace rstlab::detail
