// SPDX-License-Identifier: MIT
#pragma once
/// @file The calls a scenario asks a kernel actor to make, as data: the scenario parser
/// writes them, the lab's actors (rstlab/app.h) carry them out. No lab code here.

#include <cstdint>
#include <string>

#include "rstlab/address.h"

namespace rstlab {

/// What the actor process does when a write raises SIGPIPE.
enum class SigpipeMode {
  Default,  ///< SIG_DFL: the process dies of signal 13.
  Ignore,   ///< SIG_IGN: the write just fails with EPIPE.
  Handler,  ///< A handler runs; the write fails with EPIPE.
};
const char* sigpipe_mode_name(SigpipeMode m);  ///< "default", "ignore", "handler"

/// The calls an actor can make.
enum class KernelCall : uint8_t {
  Connect,         ///< socket + bind(local) + connect(remote)
  Listen,          ///< socket + bind(local) + listen
  Accept,          ///< accept on the listening socket; the result becomes the connection
  Write,           ///< write() or send(flags)
  Read,            ///< read() or recv(flags)
  Shutdown,        ///< shutdown(how)
  Close,           ///< close() the connection (or the listener when there is none)
  SetLinger,       ///< setsockopt(SO_LINGER, {enable, value seconds})
  SetUserTimeout,  ///< setsockopt(TCP_USER_TIMEOUT, value ms)
  GetSoError,      ///< getsockopt(SO_ERROR): consumes the pending error
  Poll,            ///< poll(events, value ms)
  Pipe,            ///< pipe(): writes go to its write end, reads come from its read end
  CloseReadEnd,    ///< close the pipe's read end (the reader is gone: `prog | head`)
  Query,           ///< no call: measure the socket (TCP_INFO state, SIOCINQ, SIOCOUTQ) only
};

/// One call to make. Writes carry literal `data`, or `count` bytes of `fill` when
/// data is empty (to fill a send buffer without shipping megabytes over the pipe).
struct CallRequest {
  KernelCall call = KernelCall::Read;
  bool use_send_recv = false;  ///< send()/recv() instead of write()/read()
  int msg_flags = 0;           ///< MSG_NOSIGNAL, MSG_PEEK, MSG_DONTWAIT...
  bool nonblocking = false;    ///< Connect/Listen: make the socket O_NONBLOCK
  int64_t count = 0;           ///< Read size; write size when `data` is empty
  char fill = 'x';
  int value = 0;               ///< shutdown how / linger seconds / timeout ms / poll ms
  bool enable = true;          ///< SO_LINGER on/off
  short events = 0;            ///< poll events (0 waits for POLLERR/POLLHUP only)
  Endpoint local;              ///< Connect/Listen: address to bind
  Endpoint remote;             ///< Connect: where to
  std::string data;
};

}  // namespace rstlab
