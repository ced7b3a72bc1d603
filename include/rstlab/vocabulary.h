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
#include <vector>

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

// ---- roles, links, sequence policies, errno and signal names ------------------
// (moved here from scenario.h, link.h, peer.h and trace.h, which include this header)

/// The parts a scenario casts: the two ends of the connection and the middle box.
enum class Role { Client, Server, Middle };
const char* role_name(Role r);  ///< "client" / "server" / "middle"
/// "client" / "server" / "middle" back to a Role; nullopt for any other name.
std::optional<Role> role_from_name(const std::string& name);
/// The index of a connection end in two-element arrays (endpoints, actors, models):
/// 0 for the client, 1 for the server. The middle is no end: calling it with
/// Role::Middle is a programming error (it answers 0).
constexpr int side_of(Role r) { return r == Role::Server ? 1 : 0; }
/// The end at `side` (0 client, 1 server).
constexpr Role role_at(int side) { return side == 1 ? Role::Server : Role::Client; }

/// Where a live run happens: the kind of link between the kernel socket and its far end.
enum class LinkKind { Veth, Tun };
const char* link_name(LinkKind k);  ///< "veth" / "tun"
/// Parses "veth" / "tun"; throws InputError otherwise.
LinkKind parse_link(const std::string& name);

/// Which sequence number a crafted RST (or the middle's RST and FIN) carries, relative
/// to the receiver's rcv_nxt (which is the sender's snd_nxt once the receiver has
/// everything it sent).
struct SeqPolicy {
  enum class Kind {
    Exact,        ///< seq = rcv_nxt: accepted (RFC 5961)
    Offset,       ///< seq = rcv_nxt + value: in window, answered by a challenge ACK
    OutOfWindow,  ///< seq = rcv_nxt + 2^30: outside any window, dropped silently
    Explicit,     ///< seq = sender's ISN + value (relative, as tcpdump prints it)
    Absolute,     ///< seq = value, the raw 32-bit number on the wire (`seq=abs:N`)
  } kind = Kind::Exact;
  int64_t value = 0;

  std::string str() const;  ///< "rcv_nxt", "rcv_nxt+100", "out-of-window", "=5", "abs:0"
};

/// errno value <-> symbolic name ("EPIPE"). Unknown values print as "E<number>".
std::string errno_name(int err);
/// The symbolic name of an errno Linux defines, else nullptr.
const char* known_errno_name(int err);
/// Every Linux errno name and alias (EWOULDBLOCK, EDEADLOCK, ENOTSUP), to its value.
std::optional<int> errno_from_name(const std::string& name);
/// Every name errno_from_name accepts: by value, then the aliases.
const std::vector<std::string>& all_errno_names();
/// Signal number <-> name ("SIGPIPE").
std::string signal_name(int sig);

}  // namespace rstlab
