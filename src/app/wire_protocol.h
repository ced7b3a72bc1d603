// SPDX-License-Identifier: MIT
#pragma once
// Internal: the fixed-size messages exchanged between the runner and an actor child
// over a SOCK_SEQPACKET socketpair (one message per call, one per reply).

#include <sys/socket.h>

#include <cstdint>

#include "rstlab/app.h"

namespace rstlab::detail {

constexpr size_t kMaxCallData = 8192;

struct WireRequest {
  /// Not a call: close every descriptor the actor holds and take `mode` for SIGPIPE, so
  /// the same child serves the next run (forking a fresh one per run costs the runner
  /// copy-on-write faults on its whole heap).
  uint8_t renew;
  SigpipeMode mode;
  KernelCall call;
  uint8_t use_send_recv, nonblocking, enable;
  char fill;
  int msg_flags;
  int64_t count;
  int value;
  short events;
  sockaddr_storage local, remote;
  socklen_t local_len, remote_len;
  uint32_t data_len;
  char data[kMaxCallData];
};

struct WireReply {
  int64_t ret;
  int err, signal;
  SignalFate fate;
  int state;  // -1 without a socket
  int fd;     // the descriptor the call used, -1 for none
  uint8_t nonblock;  // that descriptor is O_NONBLOCK
  uint8_t on_pipe;   // it is a pipe end
  short revents;  // poll()
  int so_error;   // getsockopt(SO_ERROR)
  uint64_t segs_out;
  int64_t inq, outq;  // SIOCINQ / SIOCOUTQ after the call, -1 without a connected socket
  sockaddr_storage local, remote;
  socklen_t local_len, remote_len;
  int64_t t_start_ns, t_end_ns;
  int64_t t_state_ns;  // when TCP_INFO was read (0: not read)
  int32_t pid, tid;    // the process and thread that made the call
  uint32_t value_len;
  char value[kMaxCallData];
};

/// Converts between Endpoint and sockaddr (AF_INET / AF_INET6).
socklen_t to_sockaddr(const Endpoint& e, sockaddr_storage& ss);
bool from_sockaddr(const sockaddr_storage& ss, socklen_t len, Endpoint& e);

/// Runs the actor's command loop in the child; never returns.
[[noreturn]] void actor_main(int ctrl, SigpipeMode mode);

}  // namespace rstlab::detail
