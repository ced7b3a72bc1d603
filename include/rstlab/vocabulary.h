// SPDX-License-Identifier: MIT
#pragma once
/// @file The words every layer shares: TCP states as the kernel names them, and a
/// system call as typed facts (what it asked for, what the kernel answered). The model
/// and the annotator read calls only through CallFacts; the strings a trace prints
/// (SyscallEvent::call, args, value) are for people. A live actor, a traced program or
/// a replay all describe their calls this way.

#include <cstdint>
#include <optional>
#include <string>

namespace rstlab {

enum class TcpState : uint8_t {
  Closed, Listen, SynSent, SynRecv, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait
};
/// The kernel's names: "ESTABLISHED", "CLOSE_WAIT", "SYN_SENT", "CLOSE"...
const char* tcp_state_label(TcpState s);
/// TCP_INFO's tcpi_state (the kernel's numbering, TCP_ESTABLISHED = 1...) as a TcpState;
/// nullopt for values the model has no state for (NEW_SYN_RECV) and for -1 (no socket).
std::optional<TcpState> tcp_state_from_kernel(int tcpi_state);
/// A tcpi_state by the kernel's name, from the same table: "ESTABLISHED" -> 1 ... and
/// "NEW_SYN_RECV" -> 12; "" for -1 (no socket) and "STATE<n>" for a number it lacks.
std::string tcp_state_name(int tcpi_state);
/// The TcpState a name from tcp_state_label() stands for; nullopt for any other text
/// ("NEW_SYN_RECV" and "STATE<n>" have no TcpState).
std::optional<TcpState> tcp_state_from_label(const std::string& name);

/// What a call does, whatever it was named (write/send/sendto are all Write).
enum class CallOp : uint8_t {
  Other, Socket, Connect, Listen, Accept, Read, Write, Shutdown, Close, SetSockOpt, GetSockOpt, Poll, Pipe
};
const char* call_op_name(CallOp op);  ///< "connect", "read", "write", "poll"...
/// The CallOp call_op_name() names; nullopt for any other text.
std::optional<CallOp> call_op_from_name(const std::string& name);

/// The socket option a setsockopt/getsockopt names.
enum class SockOpt : uint8_t { None, Linger, UserTimeout, Error, Other };
/// "SO_LINGER", "TCP_USER_TIMEOUT", "SO_ERROR", "other"; nullptr for None.
const char* sock_opt_name(SockOpt o);
std::optional<SockOpt> sock_opt_from_name(const std::string& name);

/// shutdown()'s how: "SHUT_RD", "SHUT_WR", "SHUT_RDWR"; nullptr for any other value.
const char* shut_how_name(int how);
std::optional<int> shut_how_from_name(const std::string& name);

/// Names of poll bits: "POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP", "0" for none.
std::string poll_events_string(short events);
/// The bits poll_events_string() names ("POLLIN|POLLERR", "0"); nullopt for a name it
/// does not know.
std::optional<short> poll_events_from_string(const std::string& names);

/// One call as typed facts. Results (return value, errno, signal and its fate) live
/// beside it in SyscallEvent; these are the call's inputs and the typed parts of its
/// answer that the rules read.
struct CallFacts {
  CallOp op = CallOp::Other;
  int fd = -1;              ///< The descriptor it used, -1 when unknown
  bool on_pipe = false;     ///< A pipe end, not a socket
  bool nonblock = false;    ///< The descriptor is O_NONBLOCK
  bool dontwait = false;    ///< MSG_DONTWAIT
  bool nosignal = false;    ///< MSG_NOSIGNAL: EPIPE without SIGPIPE
  bool peek = false;        ///< MSG_PEEK
  bool waitall = false;     ///< MSG_WAITALL
  std::optional<uint64_t> size;  ///< Bytes asked for (read buffer, write length)
  int shut_how = -1;        ///< shutdown(): SHUT_RD, SHUT_WR or SHUT_RDWR
  SockOpt option = SockOpt::None;
  bool linger_on = false;   ///< SO_LINGER's l_onoff
  int linger_seconds = 0;   ///< SO_LINGER's l_linger
  int timeout_ms = -1;      ///< poll()'s timeout; TCP_USER_TIMEOUT's value
  short events = 0;         ///< poll(): the events asked for
  short revents = 0;        ///< poll(): the events returned
  int so_error = 0;         ///< getsockopt(SO_ERROR): the errno it returned (0: none)
  /// Whether the call itself may wait (a blocking socket without MSG_DONTWAIT).
  bool may_block() const { return !nonblock && !dontwait; }
};

}  // namespace rstlab
