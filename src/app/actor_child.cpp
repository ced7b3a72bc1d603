// SPDX-License-Identifier: MIT
// The actor child: receives one call at a time, makes it on a real socket, and
// reports exactly what the kernel said. SIGPIPE is kept blocked around each call so
// that the errno can be reported before the signal is allowed to act (see
// docs/kernel-rules.md, SIGPIPE: the kernel raises SIGPIPE inside the write, then returns EPIPE).
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include "app/wire_protocol.h"
#include "util/clock.h"

namespace rstlab::detail {
namespace {

volatile sig_atomic_t g_handled_sigpipe = 0;
void on_sigpipe(int) { g_handled_sigpipe = 1; }

int64_t now_ns() { return detail::wall_clock_ns(); }

void set_value(WireReply& r, const void* data, size_t len) {
  r.value_len = static_cast<uint32_t>(len < kMaxCallData ? len : kMaxCallData);
  std::memcpy(r.value, data, r.value_len);
}
void set_value(WireReply& r, const std::string& s) { set_value(r, s.data(), s.size()); }

class Actor {
 public:
  explicit Actor(SigpipeMode mode) { set_mode(mode); }

  /// A new run on the same child: nothing of the previous one is left (its socket is
  /// closed as the exit of a killed actor would close it), SIGPIPE as the run asks.
  void renew(SigpipeMode mode, WireReply& r) {
    for (int* fd : {&conn_, &listen_, &pipe_read_})
      if (*fd >= 0) ::close(*fd), *fd = -1;
    fill_.clear();
    fill_.shrink_to_fit();
    // A SIGPIPE still pending belongs to the previous run.
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGPIPE);
    const timespec zero{0, 0};
    while (sigtimedwait(&only, nullptr, &zero) == SIGPIPE) {
    }
    set_mode(mode);
    std::memset(&r, 0, sizeof r);
    r.state = -1;
    r.fd = -1;
    r.inq = r.outq = -1;
    r.pid = static_cast<int32_t>(::getpid());
    r.tid = static_cast<int32_t>(::gettid());
  }

  void run(const WireRequest& q, WireReply& r) {
    std::memset(&r, 0, sizeof r);
    r.state = -1;
    r.fd = -1;
    r.pid = static_cast<int32_t>(::getpid());
    r.tid = static_cast<int32_t>(::gettid());
    r.inq = r.outq = -1;
    // A counted write's bytes are made before the clock starts: filling megabytes takes
    // milliseconds, and the annotator asks what arrived while the call was in the kernel.
    if (q.call == KernelCall::Write && q.data_len == 0 && q.count > 0) fill_.assign(static_cast<size_t>(q.count), q.fill);
    r.t_start_ns = now_ns();
    // The descriptor the call uses (a pipe's read end for reads and for closing it);
    // calls that make one report the one they made.
    const bool reads_pipe = (q.call == KernelCall::Read && pipe_read_ >= 0) || q.call == KernelCall::CloseReadEnd;
    const int used = reads_pipe ? pipe_read_ : conn();
    const int used_flags = used >= 0 ? fcntl(used, F_GETFL) : -1;
    r.on_pipe = pipe_read_ >= 0 || q.call == KernelCall::Pipe;
    errno = 0;
    r.ret = dispatch(q, r);
    r.err = r.ret < 0 ? errno : 0;
    r.t_end_ns = now_ns();
    const bool makes_fd = q.call == KernelCall::Connect || q.call == KernelCall::Listen ||
                          q.call == KernelCall::Accept || q.call == KernelCall::Pipe;
    r.fd = makes_fd ? conn() : used;
    const int flags = makes_fd ? (r.fd >= 0 ? fcntl(r.fd, F_GETFL) : -1) : used_flags;
    r.nonblock = flags >= 0 && (flags & O_NONBLOCK);
    observe_sigpipe(r);
    // After close() the descriptor is gone: there is no socket left to describe.
    if (q.call != KernelCall::Close) describe_socket(r);
  }

  /// After the reply is sent: with the default disposition, let the pending SIGPIPE act.
  void after_reply(const WireReply& r) {
    if (r.fate != SignalFate::Killed) return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);  // the process dies here
    _exit(126);                               // unreachable unless SIGPIPE was not fatal
  }

 private:
  int conn() const { return conn_ >= 0 ? conn_ : listen_; }

  int ensure_socket(const WireRequest& q) {
    if (conn_ >= 0) return conn_;
    const int family = q.local_len ? q.local.ss_family : AF_INET;
    conn_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (conn_ >= 0) {
      int one = 1;
      setsockopt(conn_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    return conn_;
  }

  int64_t dispatch(const WireRequest& q, WireReply& r) {
    switch (q.call) {
      case KernelCall::Connect: {
        if (ensure_socket(q) < 0) return -1;
        if (q.nonblocking) fcntl(conn_, F_SETFL, fcntl(conn_, F_GETFL) | O_NONBLOCK);
        if (q.local_len && ::bind(conn_, reinterpret_cast<const sockaddr*>(&q.local), q.local_len) < 0)
          return -1;
        return ::connect(conn_, reinterpret_cast<const sockaddr*>(&q.remote), q.remote_len);
      }
      case KernelCall::Listen: {
        listen_ = ::socket(q.local.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_ < 0) return -1;
        int one = 1;
        setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(listen_, reinterpret_cast<const sockaddr*>(&q.local), q.local_len) < 0) return -1;
        if (q.nonblocking) fcntl(listen_, F_SETFL, fcntl(listen_, F_GETFL) | O_NONBLOCK);
        return ::listen(listen_, 16);
      }
      case KernelCall::Accept: {
        const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) conn_ = fd;
        return fd;
      }
      case KernelCall::Write: {
        const char* data = q.data;
        size_t len = q.data_len;
        if (len == 0 && q.count > 0) {
          data = fill_.data();
          len = fill_.size();
        }
        return q.use_send_recv ? ::send(conn(), data, len, q.msg_flags) : ::write(conn(), data, len);
      }
      case KernelCall::Read: {
        std::vector<char> buf(static_cast<size_t>(q.count > 0 ? q.count : 1));
        const int from = pipe_read_ >= 0 ? pipe_read_ : conn();  // a pipe reads at its other end
        const ssize_t n = q.use_send_recv ? ::recv(from, buf.data(), buf.size(), q.msg_flags)
                                          : ::read(from, buf.data(), buf.size());
        if (n > 0) set_value(r, buf.data(), static_cast<size_t>(n));
        return n;
      }
      case KernelCall::Shutdown:
        return ::shutdown(conn(), q.value);
      case KernelCall::Close: {
        int& fd = conn_ >= 0 ? conn_ : listen_;
        const int rc = ::close(fd);
        fd = -1;
        return rc;
      }
      case KernelCall::SetLinger: {
        if (conn() < 0 && ensure_socket(q) < 0) return -1;
        linger l{q.enable ? 1 : 0, q.value};
        return setsockopt(conn(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
      case KernelCall::SetUserTimeout: {
        if (conn() < 0 && ensure_socket(q) < 0) return -1;
        unsigned v = static_cast<unsigned>(q.value);
        return setsockopt(conn(), IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof v);
      }
      case KernelCall::GetSoError: {
        int e = 0;
        socklen_t len = sizeof e;
        const int rc = getsockopt(conn(), SOL_SOCKET, SO_ERROR, &e, &len);
        if (rc == 0) set_value(r, e == 0 ? std::string("0") : errno_name(e));
        r.so_error = e;
        return rc;
      }
      case KernelCall::Pipe: {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) return -1;
        pipe_read_ = fds[0];
        conn_ = fds[1];
        return 0;
      }
      case KernelCall::CloseReadEnd: {
        const int rc = ::close(pipe_read_);
        pipe_read_ = -1;
        return rc;
      }
      case KernelCall::Query:
        // Nothing to call: describe_socket() measures the socket after every call.
        if (conn() < 0) {
          errno = EBADF;
          return -1;
        }
        return 0;
      case KernelCall::Poll: {
        pollfd p{conn(), q.events, 0};
        const int rc = ::poll(&p, 1, q.value);
        if (rc >= 0) set_value(r, poll_events_string(p.revents));
        r.revents = p.revents;
        return rc;
      }
    }
    errno = EINVAL;
    return -1;
  }

  void observe_sigpipe(WireReply& r) {
    sigset_t pending;
    sigpending(&pending);
    if (!sigismember(&pending, SIGPIPE)) return;
    r.signal = SIGPIPE;
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGPIPE);
    switch (mode_) {
      case SigpipeMode::Default:
        r.fate = SignalFate::Killed;  // acted on in after_reply()
        break;
      case SigpipeMode::Ignore: {
        const timespec zero{0, 0};
        sigtimedwait(&only, nullptr, &zero);  // a blocked, ignored signal stays pending
        r.fate = SignalFate::Ignored;
        break;
      }
      case SigpipeMode::Handler:
        g_handled_sigpipe = 0;
        sigprocmask(SIG_UNBLOCK, &only, nullptr);  // the handler runs now
        sigprocmask(SIG_BLOCK, &only, nullptr);
        r.fate = g_handled_sigpipe ? SignalFate::Handled : SignalFate::None;
        break;
    }
  }

  void describe_socket(WireReply& r) {
    const int fd = conn();
    if (fd < 0) return;
    tcp_info ti{};
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
      // The model's state is compared with this one at this moment (rstlab/oracle.h).
      r.t_state_ns = now_ns();
      r.state = ti.tcpi_state;
      r.segs_out = ti.tcpi_segs_out;
      // Bytes unread and bytes unsent or unacknowledged (a listening socket has neither:
      // SIOCINQ refuses it with EINVAL).
      constexpr int kListen = 10;  // TCP_LISTEN in TCP_INFO's numbering (include/net/tcp_states.h)
      int n = 0;
      if (ti.tcpi_state != kListen && ioctl(fd, SIOCINQ, &n) == 0) r.inq = n;
      if (ti.tcpi_state != kListen && ioctl(fd, SIOCOUTQ, &n) == 0) r.outq = n;
    }
    r.local_len = sizeof r.local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&r.local), &r.local_len) < 0) r.local_len = 0;
    r.remote_len = sizeof r.remote;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&r.remote), &r.remote_len) < 0) r.remote_len = 0;
  }

  void set_mode(SigpipeMode mode) {
    mode_ = mode;
    g_handled_sigpipe = 0;
    struct sigaction sa {};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = mode == SigpipeMode::Default  ? SIG_DFL
                    : mode == SigpipeMode::Ignore ? SIG_IGN
                                                  : on_sigpipe;
    sigaction(SIGPIPE, &sa, nullptr);
  }

  SigpipeMode mode_ = SigpipeMode::Default;
  std::vector<char> fill_;  // a counted write's bytes
  int conn_ = -1, listen_ = -1, pipe_read_ = -1;
};

}  // namespace

void actor_main(int ctrl, SigpipeMode mode) {
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, SIGPIPE);
  sigprocmask(SIG_BLOCK, &only, nullptr);

  Actor actor(mode);
  auto* q = new WireRequest;
  auto* r = new WireReply;
  for (;;) {
    const ssize_t n = ::recv(ctrl, q, sizeof *q, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      _exit(0);  // the runner closed the pipe: the run is over
    }
    if (q->renew) actor.renew(q->mode, *r);
    else actor.run(*q, *r);
    if (::send(ctrl, r, sizeof *r, MSG_NOSIGNAL) < 0) _exit(0);
    actor.after_reply(*r);
  }
}

}  // namespace rstlab::detail
