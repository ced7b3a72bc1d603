// SPDX-License-Identifier: MIT
#pragma once
/// @file Reading strace's output (`strace -f -ttt -T -yy -o FILE`): one record per call,
/// signal and death, with blocked calls joined back together (`<unfinished ...>` and
/// `<... read resumed>`) and the descriptors decoded (`3<TCP:[127.0.0.1:40001->127.0.0.1:8080]>`).
/// Core code: it reads text only, so every case is unit-tested on recorded lines.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"

namespace rstlab {

/// A descriptor as `-yy` prints it: `3<TCP:[127.0.0.1:40001->127.0.0.1:8080]>`,
/// `4<TCPv6:[[::1]:8080]>` (listening), `5<TCP:[12345]>` (an inode: strace could not
/// look the socket up), `6<pipe:[67890]>`, `7<UNIX-STREAM:[1->2]>`, `8</etc/hosts>`.
struct StraceFd {
  enum class Kind { Tcp, Unix, Pipe, OtherSocket, Other };
  int fd = -1;
  Kind kind = Kind::Other;
  bool v6 = false;                 ///< TCPv6
  std::optional<Endpoint> local;   ///< TCP: the socket's own address, when strace printed it
  std::optional<Endpoint> remote;  ///< TCP: the peer's address (connected sockets)
  uint64_t inode = 0;              ///< pipes, and sockets strace printed only as an inode
  std::string path;                ///< Other: what strace printed inside <...>
};

/// Parses `N<...>` (a whole argument or return value); nullopt when it is no descriptor.
std::optional<StraceFd> parse_strace_fd(const std::string& text);

/// One call, signal or death, as strace reported it.
struct StraceRecord {
  enum class Kind { Call, Signal, Exited, Killed };
  Kind kind = Kind::Call;
  int pid = 0;           ///< the thread (strace's "pid" is the thread id with -f)
  int64_t t_ns = 0;      ///< when the call was entered, or the signal/death was seen (-ttt)
  int64_t duration_ns = -1;  ///< -T; -1 when strace printed none (a call that never returned)
  // Calls:
  std::string name;      ///< "write", "accept4"...
  std::vector<std::string> args;  ///< top-level arguments as printed, joined across unfinished/resumed
  std::string ret_text;  ///< everything after " = " and before the duration ("-1 EPIPE (Broken pipe)")
  std::optional<int64_t> ret;     ///< the return value; absent for "?" (it never returned)
  std::optional<int> err;         ///< errno by name (EPIPE...); absent on success
  std::string ret_extra;          ///< what strace adds after the value in parentheses: "[{fd=3, revents=POLLIN}]"
  std::optional<StraceFd> ret_fd; ///< a returned descriptor (socket, accept), decoded
  // Signals and deaths:
  int signal = 0;        ///< the signal delivered (Signal) or that killed it (Killed)
  std::string signal_text;  ///< Signal: "{si_signo=SIGPIPE, si_code=SI_USER, ...}"
  int exit_code = 0;     ///< Exited: the status it passed to exit
  bool core_dumped = false;

  /// The call's i-th argument, decoded as a descriptor.
  std::optional<StraceFd> arg_fd(size_t i) const;
};

/// Splits a call's argument text at its top-level commas (not inside quotes, {}, [] or ()).
std::vector<std::string> split_strace_args(const std::string& text);

/// A signal's number by the name strace prints ("SIGPIPE" -> 13); 0 when unknown.
int signal_from_name(const std::string& name);

/// Feeds strace's lines one by one; completed records come out in the order strace
/// finished them (a resumed call comes out when it is resumed, stamped with its entry time).
class StraceParser {
 public:
  /// Parses one line (without its newline) and appends what it completes to `out`.
  /// A line it cannot read is counted in skipped() and otherwise ignored: one odd line
  /// must not lose the rest of a trace.
  void feed(const std::string& line, std::vector<StraceRecord>& out);
  /// Ends the stream: calls left unfinished (their thread was killed inside them) come out
  /// without a return value.
  void finish(std::vector<StraceRecord>& out);
  size_t skipped() const { return skipped_; }
  /// The first lines it could not read (at most 5), for error messages.
  const std::vector<std::string>& skipped_lines() const { return skipped_lines_; }

 private:
  struct Pending {
    int64_t t_ns;
    std::string name, args;
  };
  std::map<int, Pending> pending_;  // by thread
  size_t skipped_ = 0;
  std::vector<std::string> skipped_lines_;
  void skip(const std::string& line);
};

}  // namespace rstlab
