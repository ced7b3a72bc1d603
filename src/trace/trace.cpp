// SPDX-License-Identifier: MIT
#include "rstlab/trace.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace rstlab {
namespace {

struct Named {
  int value;
  const char* name;
};

const Named kErrnos[] = {
    {EPIPE, "EPIPE"},         {ECONNRESET, "ECONNRESET"},       {ECONNREFUSED, "ECONNREFUSED"},
    {ETIMEDOUT, "ETIMEDOUT"}, {EAGAIN, "EAGAIN"},               {EINPROGRESS, "EINPROGRESS"},
    {ENOTCONN, "ENOTCONN"},   {EISCONN, "EISCONN"},             {EBADF, "EBADF"},
    {EINVAL, "EINVAL"},       {EINTR, "EINTR"},                 {ECONNABORTED, "ECONNABORTED"},
    {EHOSTUNREACH, "EHOSTUNREACH"}, {ENETUNREACH, "ENETUNREACH"}, {EADDRINUSE, "EADDRINUSE"},
    {EALREADY, "EALREADY"},   {EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {ENOTSOCK, "ENOTSOCK"},
    {EOPNOTSUPP, "EOPNOTSUPP"}, {EMSGSIZE, "EMSGSIZE"},         {ENOBUFS, "ENOBUFS"},
    {ENOMEM, "ENOMEM"},       {EPERM, "EPERM"},                 {EACCES, "EACCES"},
    {ENOENT, "ENOENT"},       {EFAULT, "EFAULT"},               {EHOSTDOWN, "EHOSTDOWN"},
};

const Named kSignals[] = {{SIGPIPE, "SIGPIPE"}, {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"},
                          {SIGINT, "SIGINT"},   {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"},
                          {SIGALRM, "SIGALRM"}, {SIGHUP, "SIGHUP"}};

}  // namespace

const char* dir_name(Dir d) { return d == Dir::ClientToServer ? "client>server" : "server>client"; }

const char* signal_fate_name(SignalFate f) {
  switch (f) {
    case SignalFate::None: return "none";
    case SignalFate::Killed: return "killed";
    case SignalFate::Ignored: return "ignored";
    case SignalFate::Handled: return "handled";
  }
  return "none";
}

void Trace::sort_events() {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.t_ns < b.t_ns; });
}

const char* known_errno_name(int err) {
  for (const auto& e : kErrnos)
    if (e.value == err) return e.name;
  return nullptr;
}

std::string errno_name(int err) {
  const char* name = known_errno_name(err);
  return name ? name : "E" + std::to_string(err);
}

std::optional<int> errno_from_name(const std::string& name) {
  for (const auto& e : kErrnos)
    if (name == e.name) return e.value;
  if (name == "EWOULDBLOCK") return EAGAIN;
  return std::nullopt;
}

std::string signal_name(int sig) {
  for (const auto& s : kSignals)
    if (s.value == sig) return s.name;
  return "SIG" + std::to_string(sig);
}

}  // namespace rstlab
