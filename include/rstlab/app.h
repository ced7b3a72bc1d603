// SPDX-License-Identifier: MIT
#pragma once
/// @file The application side: a real kernel socket driven by scripted system calls.
/// Each actor runs in its own child process, so that a blocking call can wait while
/// the runner keeps the peer and the capture going, and so that SIGPIPE can really
/// kill the process that wrote, as it would in production.

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "rstlab/address.h"
#include "rstlab/call_request.h"
#include "rstlab/trace.h"

namespace rstlab {

// SigpipeMode, KernelCall and CallRequest: see rstlab/call_request.h.

/// What the kernel answered, measured inside the actor process.
struct CallResult {
  int64_t ret = 0;
  int err = 0;                  ///< errno, 0 when the call succeeded
  int signal = 0;               ///< SIGPIPE when the call raised it
  SignalFate fate = SignalFate::None;
  std::string value;            ///< bytes read / SO_ERROR name / poll revents
  std::string state;            ///< TCP state after the call ("" without a socket)
  int tcpi_state = -1;          ///< The same, as TCP_INFO numbers it (-1 without a socket)
  int fd = -1;                  ///< The descriptor the call used
  bool nonblock = false;        ///< That descriptor is O_NONBLOCK
  bool on_pipe = false;         ///< It is a pipe end, not a socket
  short revents = 0;            ///< poll(): the events returned
  int so_error = 0;             ///< getsockopt(SO_ERROR): the errno returned
  uint64_t segs_out = 0;        ///< tcpi_segs_out after the call
  /// SIOCINQ / SIOCOUTQ after the call: bytes received and not read, bytes not yet sent
  /// or not yet acknowledged (-1: no connected socket to ask)
  int64_t inq = -1, outq = -1;
  std::optional<Endpoint> local, remote;  ///< the connection's addresses, once known
  int64_t t_start_ns = 0, t_end_ns = 0;
  int64_t t_state_ns = 0;       ///< When TCP_INFO was read, just after t_end_ns (0: not read)
  int pid = 0, tid = 0;         ///< The process and thread that made the call
};

// tcp_state_name() and poll_events_string(), the names of TCP_INFO states and poll bits,
// are in rstlab/vocabulary.h (included through trace.h).

/// A child process holding real sockets in a given network namespace.
class KernelActor {
 public:
  /// Forks the actor into `netns_fd`. The child dies with the parent (PR_SET_PDEATHSIG).
  KernelActor(std::string role, int netns_fd, SigpipeMode mode);
  ~KernelActor();  ///< Kills and reaps the child if still alive.
  KernelActor(const KernelActor&) = delete;
  KernelActor& operator=(const KernelActor&) = delete;

  const std::string& role() const { return role_; }
  SigpipeMode sigpipe() const { return mode_; }
  /// Readable when the reply to the current call (or the child's death) is there.
  int fd() const { return ctrl_; }
  bool alive() const { return alive_; }
  bool busy() const { return busy_; }

  /// Sends a call to the child; it runs while the caller keeps servicing the network.
  void start(const CallRequest& req);
  /// Collects the reply once fd() is readable. When the call raised SIGPIPE with the
  /// default disposition, waits for the child to die and checks the signal it died of.
  CallResult finish();
  /// Kills the child (a call that never returned); the actor is dead afterwards.
  void kill();
  /// Makes an idle, living actor fresh for another run, as `role` with `mode`: the
  /// child closes every descriptor it holds (what its exit would do) and takes the
  /// SIGPIPE disposition. begin_renew() only sends the request (false: the actor is
  /// dead or busy); end_renew() waits for the child's answer up to `limit` (false, and
  /// the child killed, when it does not come: fork a new one). renew() does both.
  bool begin_renew(SigpipeMode mode);
  bool end_renew(std::string role, std::chrono::milliseconds limit);
  bool renew(std::string role, SigpipeMode mode, std::chrono::milliseconds limit) {
    return begin_renew(mode) && end_renew(std::move(role), limit);
  }
  /// Last known connection endpoints and segment count, for the runner's settling.
  const std::optional<Endpoint>& local() const { return local_; }
  uint64_t segs_out() const { return segs_out_; }
  /// How the child ended, once it has: "killed by SIGPIPE", "exited 0"...
  const std::string& death() const { return death_; }

 private:
  void reap(bool block);

  std::string role_;
  SigpipeMode mode_;
  pid_t pid_ = -1;
  int ctrl_ = -1;
  bool alive_ = false, busy_ = false;
  bool renewing_ = false;  ///< a renewal sent, its answer not yet taken
  std::optional<Endpoint> local_;
  uint64_t segs_out_ = 0;
  std::string death_;
};

}  // namespace rstlab
