// SPDX-License-Identifier: MIT
#include "runner/calls.h"

#include <sys/socket.h>

#include <csignal>

#include "rstlab/render.h"

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
    default: return "";
  }
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

}  // namespace rstlab::detail
