// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>

#include "app/wire_protocol.h"
#include "rstlab/error.h"

namespace rstlab {

using detail::WireReply;
using detail::WireRequest;

namespace detail {

socklen_t to_sockaddr(const Endpoint& e, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (e.addr.family == Family::V4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(e.port);
    std::memcpy(&sin->sin_addr, e.addr.bytes.data(), 4);
    return sizeof *sin;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(e.port);
  std::memcpy(&sin6->sin6_addr, e.addr.bytes.data(), 16);
  return sizeof *sin6;
}

bool from_sockaddr(const sockaddr_storage& ss, socklen_t len, Endpoint& e) {
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    e.addr = Address::v4(reinterpret_cast<const uint8_t*>(&sin->sin_addr));
    e.port = ntohs(sin->sin_port);
    return true;
  }
  if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    e.addr = Address::v6(reinterpret_cast<const uint8_t*>(&sin6->sin6_addr));
    e.port = ntohs(sin6->sin6_port);
    return true;
  }
  return false;
}

}  // namespace detail

KernelActor::KernelActor(std::string role, int netns_fd, SigpipeMode mode)
    : role_(std::move(role)), mode_(mode) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    throw_errno("socketpair for the " + role_ + " actor");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    throw_errno("fork for the " + role_ + " actor");
  }
  if (pid_ == 0) {
    // Child: die with the runner, whatever kills it, so the namespaces die too.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(0);
    ::close(sv[0]);
    if (::setns(netns_fd, CLONE_NEWNET) < 0) _exit(111);
    detail::actor_main(sv[1], mode);
  }
  ::close(sv[1]);
  ctrl_ = sv[0];
  alive_ = true;
}

KernelActor::~KernelActor() {
  if (alive_) kill();
  if (ctrl_ >= 0) ::close(ctrl_);
}

void KernelActor::start(const CallRequest& req) {
  if (!alive_) throw Error("the " + role_ + " actor is no longer running (" + death_ + ")");
  if (busy_) throw Error("the " + role_ + " actor is still inside its previous call");
  if (req.data.size() > detail::kMaxCallData)
    throw InputError("write data longer than " + std::to_string(detail::kMaxCallData) +
                     " bytes: give a byte count instead");
  auto q = std::make_unique<WireRequest>();
  std::memset(q.get(), 0, sizeof *q);
  q->call = req.call;
  q->use_send_recv = req.use_send_recv;
  q->nonblocking = req.nonblocking;
  q->enable = req.enable;
  q->fill = req.fill;
  q->msg_flags = req.msg_flags;
  q->count = req.count;
  q->value = req.value;
  q->events = req.events;
  if (req.local.port || req.call == KernelCall::Listen || req.call == KernelCall::Connect)
    q->local_len = detail::to_sockaddr(req.local, q->local);
  if (req.call == KernelCall::Connect) q->remote_len = detail::to_sockaddr(req.remote, q->remote);
  q->data_len = static_cast<uint32_t>(req.data.size());
  std::memcpy(q->data, req.data.data(), req.data.size());
  if (::send(ctrl_, q.get(), sizeof *q, MSG_NOSIGNAL) < 0) throw_errno("sending a call to the " + role_ + " actor");
  busy_ = true;
}

CallResult KernelActor::finish() {
  auto r = std::make_unique<WireReply>();
  ssize_t n;
  do n = ::recv(ctrl_, r.get(), sizeof *r, 0);
  while (n < 0 && errno == EINTR);
  busy_ = false;
  CallResult out;
  if (n != static_cast<ssize_t>(sizeof *r)) {
    reap(true);
    throw Error("the " + role_ + " actor died during its call (" + death_ + ")");
  }
  out.ret = r->ret;
  out.err = r->err;
  out.signal = r->signal;
  out.fate = r->fate;
  out.value.assign(r->value, r->value_len);
  out.state = tcp_state_name(r->state);
  out.tcpi_state = r->state;
  out.fd = r->fd;
  out.nonblock = r->nonblock;
  out.on_pipe = r->on_pipe;
  out.revents = r->revents;
  out.so_error = r->so_error;
  out.segs_out = r->segs_out;
  out.inq = r->inq;
  out.outq = r->outq;
  out.t_start_ns = r->t_start_ns;
  out.t_end_ns = r->t_end_ns;
  out.t_state_ns = r->t_state_ns;
  out.pid = r->pid;
  out.tid = r->tid;
  Endpoint e;
  if (r->local_len && detail::from_sockaddr(r->local, r->local_len, e)) out.local = local_ = e;
  if (r->remote_len && detail::from_sockaddr(r->remote, r->remote_len, e)) out.remote = e;
  segs_out_ = r->segs_out;
  if (out.fate == SignalFate::Killed) {
    // The child unblocks SIGPIPE right after replying; confirm it really died of it.
    reap(true);
    if (death_ != "killed by SIGPIPE") out.fate = SignalFate::None;
  }
  return out;
}

bool KernelActor::begin_renew(SigpipeMode mode) {
  if (!alive_ || busy_) return false;
  auto q = std::make_unique<WireRequest>();
  std::memset(q.get(), 0, sizeof *q);
  q->renew = 1;
  q->mode = mode;
  if (::send(ctrl_, q.get(), sizeof *q, MSG_NOSIGNAL) < 0) {
    kill();
    return false;
  }
  mode_ = mode;
  busy_ = renewing_ = true;
  local_.reset();
  segs_out_ = 0;
  return true;
}

bool KernelActor::end_renew(std::string role, std::chrono::milliseconds limit) {
  if (!renewing_) return false;
  pollfd p{ctrl_, POLLIN, 0};
  int n;
  do n = ::poll(&p, 1, static_cast<int>(limit.count()));
  while (n < 0 && errno == EINTR);
  auto r = std::make_unique<WireReply>();
  renewing_ = false;
  if (n != 1 || ::recv(ctrl_, r.get(), sizeof *r, 0) != static_cast<ssize_t>(sizeof *r)) {
    kill();
    return false;
  }
  busy_ = false;
  role_ = std::move(role);
  return true;
}

void KernelActor::kill() {
  if (!alive_) return;
  ::kill(pid_, SIGKILL);
  reap(true);
  busy_ = false;
}

void KernelActor::reap(bool block) {
  int status = 0;
  pid_t rc;
  do rc = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  while (rc < 0 && errno == EINTR);
  if (rc != pid_) return;
  alive_ = false;
  if (WIFSIGNALED(status)) death_ = "killed by " + signal_name(WTERMSIG(status));
  else death_ = "exited " + std::to_string(WEXITSTATUS(status));
}

}  // namespace rstlab
