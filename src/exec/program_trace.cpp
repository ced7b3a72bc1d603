// SPDX-License-Identifier: MIT
// A traced program's records as a Trace (rstlab/program_trace.h). Two passes: the first
// follows processes, threads and their descriptor tables through the records, so each
// call knows the socket object behind its descriptor; the second, once every socket's
// addresses are known (strace may print a socket's addresses only after its connect, or
// only its inode once an RST destroyed it), places each call on its connection and side.
#include "rstlab/program_trace.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "rstlab/annotate.h"
#include "rstlab/packet_events.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

/// One socket or pipe object, shared by every descriptor table that holds it.
struct Sock {
  StraceFd::Kind kind = StraceFd::Kind::Other;
  std::optional<Endpoint> local, remote;
  std::optional<Endpoint> dialed;  ///< the address a connect() named
  /// An accepted socket strace printed only as an inode (the peer's RST destroyed it before
  /// the accept returned): the address accept() reported, and the listener's port.
  std::optional<Endpoint> accepted_from;
  uint16_t listen_port = 0;
  uint64_t inode = 0;
  int64_t first_t = 0;
  bool nonblock = false;  ///< made with SOCK_NONBLOCK (socket, accept4): Go's, and event loops'
};
using SockPtr = std::shared_ptr<Sock>;
using FdTable = std::map<int, SockPtr>;

/// What SIGPIPE does in a process, from its rt_sigaction calls.
enum class Disposition { Default, Ignore, Handler };

struct Process {
  std::string name;
  std::shared_ptr<FdTable> fds = std::make_shared<FdTable>();
  Disposition sigpipe = Disposition::Default;
};

/// A call under study, before it is placed on a connection.
struct Draft {
  size_t record;
  int tgid, tid;
  SockPtr sock;
  CallFacts facts;
  std::string display_args;
  std::string value;
  std::optional<int> signal;
  SignalFate fate = SignalFate::None;
};

std::string basename_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The text of a quoted strace string ("\"abc\"..." -> abc), escapes kept as printed.
std::string unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '"') {
    const size_t end = s.rfind('"');
    return s.substr(1, end == 0 ? std::string::npos : end - 1);
  }
  return s;
}

bool has_word(const std::string& text, const std::string& word) { return text.find(word) != std::string::npos; }

/// The value of `key=` inside an strace struct ("sin_port=htons(8080)" -> "htons(8080)").
std::string field(const std::string& text, const std::string& key) {
  const size_t at = text.find(key + "=");
  if (at == std::string::npos) return "";
  size_t end = at + key.size() + 1;
  int depth = 0;
  for (; end < text.size(); ++end) {
    const char c = text[end];
    if (c == '(' || c == '{' || c == '[') ++depth;
    else if ((c == ')' || c == '}' || c == ']') && depth-- == 0) break;
    else if (c == ',' && depth == 0) break;
  }
  return text.substr(at + key.size() + 1, end - at - key.size() - 1);
}

int64_t number_in(const std::string& text, int64_t fallback = -1) {
  size_t i = 0;
  while (i < text.size() && !(std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '-')) ++i;
  if (i == text.size()) return fallback;
  return std::strtoll(text.c_str() + i, nullptr, 10);
}

/// What a call does, by its name.
CallOp op_of(const std::string& n) {
  if (n == "socket") return CallOp::Socket;
  if (n == "connect") return CallOp::Connect;
  if (n == "listen") return CallOp::Listen;
  if (n == "accept" || n == "accept4") return CallOp::Accept;
  if (n == "read" || n == "recv" || n == "recvfrom" || n == "recvmsg" || n == "readv" || n == "recvmmsg")
    return CallOp::Read;
  if (n == "write" || n == "send" || n == "sendto" || n == "sendmsg" || n == "writev" || n == "sendmmsg" ||
      n == "sendfile" || n == "sendfile64" || n == "splice")
    return CallOp::Write;
  if (n == "shutdown") return CallOp::Shutdown;
  if (n == "close") return CallOp::Close;
  if (n == "setsockopt") return CallOp::SetSockOpt;
  if (n == "getsockopt") return CallOp::GetSockOpt;
  if (n == "poll" || n == "ppoll" || n == "epoll_wait" || n == "epoll_pwait" || n == "epoll_pwait2" ||
      n == "select" || n == "_newselect" || n == "pselect6")
    return CallOp::Poll;
  if (n == "pipe" || n == "pipe2") return CallOp::Pipe;
  return CallOp::Other;
}

/// The argument holding the descriptor under study: splice() and sendfile() write to their first.
size_t fd_arg(const std::string& name) { return name == "splice" ? 2 : 0; }

/// Sizes and flags of reads and writes, as strace prints each call's arguments.
void size_and_flags(const StraceRecord& r, CallFacts& f) {
  const auto& a = r.args;
  std::string flags;
  if ((r.name == "read" || r.name == "write") && a.size() >= 3) f.size = number_in(a[2]);
  else if ((r.name == "recvfrom" || r.name == "sendto" || r.name == "recv" || r.name == "send") && a.size() >= 4) {
    f.size = number_in(a[2]);
    flags = a[3];
  } else if ((r.name == "sendmsg" || r.name == "recvmsg") && a.size() >= 3) {
    flags = a[2];
    // msg_iov=[{iov_base=..., iov_len=5}, ...]: the lengths add up to the size asked for.
    uint64_t total = 0;
    bool any = false;
    for (size_t at = a[1].find("iov_len="); at != std::string::npos; at = a[1].find("iov_len=", at + 1)) {
      total += static_cast<uint64_t>(std::max<int64_t>(0, number_in(a[1].substr(at + 8))));
      any = true;
    }
    if (any) f.size = total;
  } else if ((r.name == "readv" || r.name == "writev") && a.size() >= 2) {
    uint64_t total = 0;
    for (size_t at = a[1].find("iov_len="); at != std::string::npos; at = a[1].find("iov_len=", at + 1))
      total += static_cast<uint64_t>(std::max<int64_t>(0, number_in(a[1].substr(at + 8))));
    f.size = total;
  } else if (r.name == "sendfile" && a.size() >= 4) {
    f.size = number_in(a[3]);
  } else if (r.name == "splice" && a.size() >= 5) {
    f.size = number_in(a[4]);
  }
  f.nosignal = has_word(flags, "MSG_NOSIGNAL");
  f.dontwait = has_word(flags, "MSG_DONTWAIT");
  f.peek = has_word(flags, "MSG_PEEK");
  f.waitall = has_word(flags, "MSG_WAITALL");
}

/// Poll bits by strace's names, EPOLL* as the POLL* of the same value ("EPOLLIN|EPOLLET"
/// -> POLLIN): flags that are no event (EPOLLET, EPOLLONESHOT...) and names the trace has
/// no bit for are left out.
short poll_bits(const std::string& names) {
  short bits = 0;
  size_t at = 0;
  while (at < names.size()) {
    size_t end = names.find('|', at);
    if (end == std::string::npos) end = names.size();
    std::string one = names.substr(at, end - at);
    if (one.rfind("EPOLL", 0) == 0) one.erase(0, 1);
    if (const auto b = poll_events_from_string(one)) bits = static_cast<short>(bits | *b);
    at = end + 1;
  }
  return bits;
}

/// A timeout as strace prints it: milliseconds ("100"), a timespec or timeval
/// ("{tv_sec=0, tv_nsec=1000000}") or NULL (wait for ever: -1).
int timeout_of(const std::string& text) {
  if (text.empty() || text == "NULL") return -1;
  if (text.front() != '{') return static_cast<int>(number_in(text, -1));
  const int64_t sec = number_in(field(text, "tv_sec"), 0);
  const std::string ns = field(text, "tv_nsec"), us = field(text, "tv_usec");
  const int64_t frac_ms = !ns.empty() ? number_in(ns, 0) / 1000000 : number_in(us, 0) / 1000;
  return static_cast<int>(std::min<int64_t>(INT32_MAX, std::max<int64_t>(0, sec * 1000 + frac_ms)));
}

/// The elements of a printed array "[{...}, {...}]" or "[3<TCP:...> 4<TCP:...>]": the
/// top-level items between the brackets (commas and spaces separate them).
std::vector<std::string> array_items(const std::string& text) {
  std::vector<std::string> out;
  const size_t open = text.find('[');
  if (open == std::string::npos) return out;
  int depth = 0;
  std::string item;
  for (size_t i = open + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {  // a quoted string: copied whole
      const size_t start = i;
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      item += text.substr(start, i - start + 1);
      continue;
    }
    if (c == '<' && i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]))) {  // 3<TCP:[a->b]>
      int angle = 1;
      size_t j = i + 1;
      for (; j < text.size() && angle > 0; ++j) {
        if (text[j] == '<') ++angle;
        else if (text[j] == '>' && text[j - 1] != '-') --angle;
      }
      item += text.substr(i, j - i);
      i = j - 1;
      continue;
    }
    if (c == '{' || c == '[' || c == '(') {
      ++depth;
    } else if (c == '}' || c == ']' || c == ')') {
      if (depth == 0) break;  // the array's own ']'
      --depth;
    } else if (depth == 0 && (c == ',' || c == ' ')) {
      if (!item.empty()) out.push_back(item);
      item.clear();
      continue;
    }
    item += c;
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

/// One descriptor a poll-like call watched: what it asked for and what it got.
struct PollEntry {
  StraceFd fd;
  short events = 0, revents = 0;
  SockPtr sock;  ///< epoll: the socket object registered (the call names no descriptor)
};

/// What epoll_ctl registered in one epoll instance, by the data it hands back.
struct EpollReg {
  SockPtr sock;
  StraceFd fd;
  short events = 0;
};
using EpollSet = std::map<uint64_t, EpollReg>;

/// Two endpoints as an unordered pair, the key of a TCP connection.
using Pair = std::pair<Endpoint, Endpoint>;
Pair make_pair_of(const Endpoint& a, const Endpoint& b) { return a < b ? Pair{a, b} : Pair{b, a}; }

struct Conn {
  Endpoint client, server;
  bool from_syn = false;
  int64_t first_t = INT64_MAX;
};

// ---- calls placed after the segment that ended their wait ---------------------------
// The capture stamps a segment when the recorder sees it, which can be after strace's
// end of the call that segment let return (30-100 us here, up to 2 ms under load): a
// read then sits before the byte it read, and the model keeps that byte queued for ever.
// A call cannot return before what it returned reached its socket, so such a call is
// placed just after that segment, from the evidence of the bytes and flags it returned.

/// Further than this after a call's end, a segment is no stamp that came late: the call
/// keeps strace's end, and whatever the model says of it shows.
constexpr int64_t kMaxCaptureLagNs = 20'000'000;

/// A segment toward one end of a connection, as the capture holds it.
struct Toward {
  size_t event;  ///< its packet event
  int64_t t_ns;
  uint64_t frame;
  uint8_t flags;
  uint32_t seq, len;  ///< relative to the sender's ISN
};

/// What a call waited for, and the first segment the capture holds of it.
struct Need {
  const Toward* seg = nullptr;
  std::string what;  ///< "the segment carrying byte 63 it read", "the FIN"...
};

/// The segments toward each end of each connection, and what they let a call wait for.
class Arrivals {
 public:
  Arrivals(const Trace& t, size_t tcp_connections) : toward_(tcp_connections), isn_ok_(tcp_connections) {
    std::vector<std::array<std::set<uint32_t>, 2>> syns(tcp_connections);
    for (size_t i = 0; i < t.events.size(); ++i) {
      const PacketEvent* p = t.events[i].packet();
      // A segment with a bad checksum never reached the socket; one the middle made is no
      // witness of what a sender sent (neither happens to a program's own connections).
      if (!p || p->conn >= tcp_connections || !p->checksum_ok || !p->injected_by.empty()) continue;
      const int to = p->dir == Dir::ClientToServer ? 1 : 0;
      toward_[p->conn][to].push_back({i, t.events[i].t_ns, p->frame, p->flags, p->seq, p->len});
      if (p->flags & tcpflag::SYN) syns[p->conn][to].insert(p->seq_abs);
    }
    // Stream offsets are relative sequence numbers only when the sender's one SYN was
    // captured (two SYNs with different numbers: two connections on one address pair).
    for (size_t c = 0; c < tcp_connections; ++c)
      for (int to : {0, 1}) isn_ok_[c][to] = syns[c][to].size() == 1;
    // Which segment first carried each byte: the stream's ranges, each with the first
    // segment (in capture order) that covered it, so a read's look-up is a map search.
    first_cover_.resize(tcp_connections);
    for (size_t c = 0; c < tcp_connections; ++c)
      for (int to : {0, 1}) {
        const auto& segs = toward_[c][to];
        for (size_t i = 0; i < segs.size(); ++i) {
          const uint64_t from = static_cast<uint32_t>(segs[i].seq + ((segs[i].flags & tcpflag::SYN) ? 1 : 0));
          cover(first_cover_[c][to], from, from + segs[i].len, i);
        }
      }
  }

  /// The first segment toward `side` carrying the stream's byte `offset` (0-based: its
  /// relative sequence number is offset + 1): the first capture of it, a retransmission
  /// being later.
  const Toward* byte(ConnId c, int side, uint64_t offset) const {
    if (!isn_ok_[c][side]) return nullptr;
    const uint64_t rel = static_cast<uint32_t>(offset + 1);
    const Cover& ranges = first_cover_[c][side];
    auto it = ranges.upper_bound(rel);
    if (it == ranges.begin()) return nullptr;
    --it;
    return rel < it->second.first ? &toward_[c][side][it->second.second] : nullptr;
  }
  /// The first segment toward `side` with all of `flags`, after the frame `after`.
  const Toward* flagged(ConnId c, int side, uint8_t flags, uint64_t after = 0) const {
    for (const Toward& s : toward_[c][side])
      if ((s.flags & flags) == flags && s.frame > after) return &s;
    return nullptr;
  }
  /// The handshake's last ACK toward `side` (the listening end): the first segment
  /// without SYN that acknowledges, after the SYN-ACK that end sent.
  const Toward* handshake_ack(ConnId c, int side) const {
    const Toward* synack = flagged(c, 1 - side, tcpflag::SYN | tcpflag::ACK);
    if (!synack) return nullptr;
    for (const Toward& s : toward_[c][side])
      if (s.frame > synack->frame && (s.flags & tcpflag::ACK) && !(s.flags & (tcpflag::SYN | tcpflag::RST)))
        return &s;
    return nullptr;
  }

 private:
  /// Disjoint ranges of relative sequence numbers [start, end), by start: (end, the
  /// index of the first segment toward that end that carried them).
  using Cover = std::map<uint64_t, std::pair<uint64_t, size_t>>;
  /// Adds [from, to) as carried first by segment `seg`, where no earlier segment did.
  static void cover(Cover& ranges, uint64_t from, uint64_t to, size_t seg) {
    while (from < to) {
      const auto next = ranges.upper_bound(from);
      if (next != ranges.begin() && std::prev(next)->second.first > from) {
        from = std::prev(next)->second.first;  // carried before: skip to the end of that range
        continue;
      }
      const uint64_t stop = next == ranges.end() ? to : std::min(to, next->first);
      ranges.emplace(from, std::make_pair(stop, seg));
      from = stop;
    }
  }

  std::vector<std::array<std::vector<Toward>, 2>> toward_;
  std::vector<std::array<bool, 2>> isn_ok_;
  std::vector<std::array<Cover, 2>> first_cover_;
};

/// What the trace's calls on TCP connections waited for: by the call's event index.
/// `side[k]` is the end call k is on. Reads are followed per connection end in strace's
/// order, so each knows the stream offset it read up to.
std::map<size_t, Need> needs_of_calls(const Trace& t, const Arrivals& in, size_t n_calls, size_t tcp_connections,
                                      const std::vector<int>& side) {
  std::map<std::pair<ConnId, int>, std::vector<size_t>> by_end;
  for (size_t k = 0; k < n_calls; ++k) {
    const SyscallEvent* s = t.events[k].syscall();
    if (s && s->conn < tcp_connections && (side[k] == 0 || side[k] == 1)) by_end[{s->conn, side[k]}].push_back(k);
  }
  std::map<size_t, Need> out;
  for (auto& [end, calls] : by_end) {
    const auto [c, sd] = end;
    std::stable_sort(calls.begin(), calls.end(),
                     [&](size_t a, size_t b) { return t.events[a].t_ns < t.events[b].t_ns; });
    uint64_t consumed = 0;      // the stream offset this end's reads took up to
    bool offsets_known = true;  // false after a read whose byte count is unknown
    bool shut_rd = false, shut_wr = false;
    for (const size_t k : calls) {
      const SyscallEvent& s = *t.events[k].syscall();
      const CallFacts& f = s.facts;
      Need n;
      if (f.op == CallOp::Shutdown && s.ret && *s.ret == 0) {
        shut_rd |= f.shut_how == SHUT_RD || f.shut_how == SHUT_RDWR;
        shut_wr |= f.shut_how == SHUT_WR || f.shut_how == SHUT_RDWR;
      } else if (f.op == CallOp::Read && s.ret && *s.ret > 0 && !s.err) {
        // recvmmsg returns a count of messages, not bytes: the offsets are lost from there.
        if (s.call == "recvmmsg") offsets_known = false;
        if (offsets_known) {
          const auto got = static_cast<uint64_t>(*s.ret);
          n.seg = in.byte(c, sd, consumed + got - 1);
          n.what = "the segment carrying the last byte it read";
          if (!f.peek) consumed += got;  // MSG_PEEK leaves the bytes queued
        }
      } else if (s.eof() && f.size.value_or(1) > 0 && !shut_rd) {
        // End of file: the FIN, or an RST (a read after the one that reported it).
        const Toward* fin = in.flagged(c, sd, tcpflag::FIN);
        const Toward* rst = in.flagged(c, sd, tcpflag::RST);
        n.seg = fin && (!rst || fin->frame < rst->frame) ? fin : rst;
        n.what = n.seg == fin ? "the FIN it read" : "the RST before it";
      } else if (f.op == CallOp::Read && !s.ret) {
        offsets_known = false;  // it never returned: what it took is unknown
      }
      const bool reset_err = s.err && (*s.err == ECONNRESET || *s.err == ECONNREFUSED ||
                                       (*s.err == EPIPE && f.op == CallOp::Write && !shut_wr));
      if (!n.seg && reset_err) {
        n.seg = in.flagged(c, sd, tcpflag::RST);
        n.what = "the RST it reports";
      } else if (!n.seg && f.op == CallOp::GetSockOpt && f.option == SockOpt::Error && f.so_error == ECONNRESET) {
        n.seg = in.flagged(c, sd, tcpflag::RST);
        n.what = "the RST it reports";
      } else if (!n.seg && f.op == CallOp::Connect && s.ret && *s.ret == 0 && !s.err) {
        n.seg = in.flagged(c, sd, tcpflag::SYN | tcpflag::ACK);
        n.what = "the SYN-ACK that completed it";
      } else if (!n.seg && f.op == CallOp::Accept && s.ret && *s.ret >= 0 && !s.err) {
        n.seg = in.handshake_ack(c, sd);
        n.what = "the ACK that completed the handshake";
      }
      if (n.seg) out[k] = std::move(n);
    }
  }
  return out;
}

/// "0.015 ms", as trace.txt prints times ("under 0.001 ms": strace's stamps are whole
/// microseconds).
std::string ms_text(int64_t ns) {
  if (ns < 1000) return "under 0.001 ms";
  char b[32];
  std::snprintf(b, sizeof b, "%.3f ms", static_cast<double>(ns) / 1e6);
  return b;
}

}  // namespace

std::optional<Endpoint> parse_strace_sockaddr(const std::string& text) {
  try {
    if (has_word(text, "sa_family=AF_INET6")) {
      const std::string port = field(text, "sin6_port");
      const size_t q = text.find("inet_pton(AF_INET6, \"");
      if (q == std::string::npos || port.empty()) return std::nullopt;
      const size_t start = q + 21, end = text.find('"', start);
      Endpoint e;
      e.addr = Address::parse(text.substr(start, end - start));
      e.port = static_cast<uint16_t>(number_in(port));
      return e;
    }
    if (has_word(text, "sa_family=AF_INET")) {
      const std::string port = field(text, "sin_port");
      const std::string addr = field(text, "sin_addr");
      const size_t q = addr.find('"');
      if (q == std::string::npos || port.empty()) return std::nullopt;
      Endpoint e;
      e.addr = Address::parse(addr.substr(q + 1, addr.find('"', q + 1) - q - 1));
      e.port = static_cast<uint16_t>(number_in(port));
      return e;
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

ProgramTrace build_program_trace(const ProgramObservations& obs) {
  ProgramTrace out;
  Trace& t = out.trace;
  t.kind = TraceKind::Run;
  t.scenario = obs.name;
  t.link = obs.link;
  std::string cmd;
  for (const auto& w : obs.command) cmd += (cmd.empty() ? "" : " ") + w;
  t.title = "rstlab exec: " + cmd;
  t.story = "The program `" + cmd +
            "`, run unmodified in the lab and traced with strace: its calls on TCP sockets and pipes, the lines it "
            "printed and its end, beside every packet on the lab's interfaces.";
  t.failures = obs.failures;
  if (obs.peer) {
    t.title += " (against the crafted peer of " + obs.peer_scenario + ")";
    t.story += " Its far end is the crafted peer at " + obs.peer->str() + ", following the peer's steps of " +
               obs.peer_scenario + ".";
  }

  // ---- pass 1: processes, threads, descriptor tables ----------------------------
  std::map<int, int> tgid_of;  // thread -> process
  std::map<int, Process> procs;
  const std::string first_name = obs.command.empty() ? "program" : basename_of(obs.command[0]);
  auto tgid = [&](int tid) {
    const auto it = tgid_of.find(tid);
    return it == tgid_of.end() ? tid : it->second;
  };
  auto proc = [&](int tid) -> Process& {
    const int p = tgid(tid);
    auto it = procs.find(p);
    if (it == procs.end()) {
      it = procs.emplace(p, Process{}).first;
      it->second.name = first_name;
    }
    return it->second;
  };
  std::vector<Draft> drafts;
  struct End {
    int pid;
    int64_t t;
    std::string what;
  };
  std::vector<End> ends;
  // A write on the output pipes: (stream, end time, bytes, thread), in order.
  struct OutWrite {
    int stream;
    int64_t t_end;
    int64_t bytes;
    int tid;
  };
  std::vector<OutWrite> out_writes;
  std::map<int, size_t> last_epipe;  // thread -> its draft whose EPIPE a SIGPIPE may follow
  // Epoll instances, by descriptor table and descriptor (strace prints no inode for them).
  std::map<std::pair<const FdTable*, int>, EpollSet> epolls;
  // The socket or pipe object behind a descriptor a call names, updated with what the
  // call's decoded descriptor says; a new object when the descriptor was reused.
  auto touch = [&](FdTable& fds, const StraceFd& fd, bool fresh, int64_t t) -> SockPtr {
    SockPtr& slot = fds[fd.fd];
    if (!slot || fresh || slot->kind != fd.kind || (fd.inode && slot->inode && fd.inode != slot->inode)) {
      slot = std::make_shared<Sock>();
      slot->kind = fd.kind;
      slot->first_t = t;
    }
    Sock& s = *slot;
    if (fd.inode && !s.inode) s.inode = fd.inode;
    if (fd.local && !s.local) s.local = fd.local;
    if (fd.remote && !s.remote) s.remote = fd.remote;
    return slot;
  };
  auto output_pipe = [&](const StraceFd& fd) {
    return fd.kind == StraceFd::Kind::Pipe && fd.inode && (fd.inode == obs.stdout_inode || fd.inode == obs.stderr_inode);
  };

  for (size_t i = 0; i < obs.records.size(); ++i) {
    const StraceRecord& r = obs.records[i];
    if (r.kind == StraceRecord::Kind::Signal) {
      if (r.signal == SIGPIPE) {
        const auto it = last_epipe.find(r.pid);
        if (it != last_epipe.end()) {
          Draft& d = drafts[it->second];
          d.signal = SIGPIPE;
          const Disposition disp = proc(r.pid).sigpipe;
          d.fate = disp == Disposition::Ignore ? SignalFate::Ignored
                   : disp == Disposition::Handler ? SignalFate::Handled
                                                  : SignalFate::None;  // default: killed, or decided below
          last_epipe.erase(it);
        }
      }
      continue;
    }
    if (r.kind == StraceRecord::Kind::Exited || r.kind == StraceRecord::Kind::Killed) {
      if (r.kind == StraceRecord::Kind::Killed && r.signal == SIGPIPE)
        for (Draft& d : drafts)
          if (tgid(d.tid) == tgid(r.pid) && d.signal == SIGPIPE && d.fate == SignalFate::None) d.fate = SignalFate::Killed;
      if (r.pid == tgid(r.pid))
        ends.push_back({r.pid, r.t_ns,
                        r.kind == StraceRecord::Kind::Exited
                            ? "exited with " + std::to_string(r.exit_code)
                            : "killed by " + signal_name(r.signal) + (r.core_dumped ? " (core dumped)" : "")});
      continue;
    }
    const std::string& n = r.name;
    if ((n == "clone" || n == "clone3" || n == "fork" || n == "vfork") && r.ret && *r.ret > 0) {
      const int child = static_cast<int>(*r.ret);
      std::string flags;
      for (const auto& a : r.args) flags += a + " ";
      Process& parent = proc(r.pid);
      if (has_word(flags, "CLONE_THREAD")) {
        tgid_of[child] = tgid(r.pid);
        procs.erase(child);  // any record of it seen before this line belongs to its process
      } else {
        Process& c = procs[child];
        c.name = parent.name;
        c.sigpipe = parent.sigpipe;
        if (has_word(flags, "CLONE_FILES")) c.fds = parent.fds;
        else {
          auto copy = std::make_shared<FdTable>(*parent.fds);
          for (const auto& [fd, s] : *c.fds) copy->emplace(fd, s);  // its own, seen before this line
          c.fds = copy;
        }
      }
      continue;
    }
    if (n == "execve" || n == "execveat") {
      if (r.ret && *r.ret == 0 && !r.args.empty()) {
        Process& p = proc(r.pid);
        p.name = basename_of(unquote(r.args[n == "execveat" ? 1 : 0]));
        if (p.sigpipe == Disposition::Handler) p.sigpipe = Disposition::Default;  // handlers do not survive exec
      }
      continue;
    }
    if (n == "rt_sigaction" || n == "sigaction") {
      if (r.ret && *r.ret == 0 && r.args.size() >= 2 && r.args[0] == "SIGPIPE" && r.args[1] != "NULL") {
        const std::string h = field(r.args[1], "sa_handler");
        proc(r.pid).sigpipe = h == "SIG_IGN" ? Disposition::Ignore : h == "SIG_DFL" ? Disposition::Default
                                                                                     : Disposition::Handler;
      }
      continue;
    }
    if (n == "epoll_ctl") {
      // epoll_ctl(4<anon_inode:[eventpoll]>, EPOLL_CTL_ADD, 3<TCP:[...]>, {events=EPOLLIN, data={u32=3, u64=3}})
      const auto ep = r.arg_fd(0), target = r.arg_fd(2);
      if (!r.ret || *r.ret != 0 || !ep || !target || r.args.size() < 3) continue;
      FdTable& fds = *proc(r.pid).fds;
      EpollSet& set = epolls[{&fds, ep->fd}];
      for (auto it = set.begin(); it != set.end();)  // one registration per descriptor
        it = it->second.fd.fd == target->fd ? set.erase(it) : std::next(it);
      if (r.args[1] != "EPOLL_CTL_DEL" && r.args.size() >= 4 &&
          (target->kind == StraceFd::Kind::Tcp || target->kind == StraceFd::Kind::Pipe)) {
        const uint64_t data = std::strtoull(field(r.args[3], "u64").c_str(), nullptr, 10);
        set[data] = {touch(fds, *target, false, r.t_ns), *target, poll_bits(field(r.args[3], "events"))};
      }
      continue;
    }
    const CallOp op = op_of(n);
    if (op == CallOp::Other) continue;
    Process& p = proc(r.pid);
    FdTable& fds = *p.fds;
    if (op == CallOp::Pipe) continue;  // its ends are met where they are used
    if (op == CallOp::Poll) {
      // One call, several descriptors: a call on each socket or pipe it watched (epoll:
      // on each it reported), with what it asked for and what it got for that one.
      std::vector<PollEntry> entries;
      int timeout = -1;
      auto entry_for = [&](const StraceFd& f) -> PollEntry& {
        for (PollEntry& e : entries)
          if (e.fd.fd == f.fd) return e;
        entries.push_back({f, 0, 0, nullptr});
        return entries.back();
      };
      if (n == "poll" || n == "ppoll") {
        // poll([{fd=3<TCP:[...]>, events=POLLIN}], 1, 100) = 1 ([{fd=3, revents=POLLIN|POLLHUP}])
        if (r.args.size() >= 3) timeout = timeout_of(r.args[2]);
        std::map<int64_t, short> got;
        for (const auto& item : array_items(r.ret_extra))
          got[number_in(field(item, "fd"))] |= poll_bits(field(item, "revents"));
        for (const auto& item : array_items(r.args.empty() ? "" : r.args[0]))
          if (const auto f = parse_strace_fd(field(item, "fd"))) {
            PollEntry& e = entry_for(*f);
            e.events = static_cast<short>(e.events | poll_bits(field(item, "events")));
            e.revents = got.count(f->fd) ? got[f->fd] : 0;
          }
      } else if (n.rfind("epoll_", 0) == 0) {
        // epoll_wait(4<anon_inode:[eventpoll]>, [{events=EPOLLIN|EPOLLHUP, data={u32=3, u64=3}}], 8, 100) = 1
        if (r.args.size() >= 4) timeout = timeout_of(r.args[3]);
        const auto ep = r.arg_fd(0);
        const auto set = ep ? epolls.find({&fds, ep->fd}) : epolls.end();
        if (set != epolls.end() && r.args.size() >= 2 && r.ret && *r.ret > 0)
          for (const auto& item : array_items(r.args[1])) {
            const auto reg = set->second.find(std::strtoull(field(item, "u64").c_str(), nullptr, 10));
            if (reg == set->second.end()) continue;
            PollEntry& e = entry_for(reg->second.fd);
            e.sock = reg->second.sock;
            e.events = reg->second.events;
            e.revents = poll_bits(field(item, "events"));
          }
      } else {
        // pselect6(5, [3<TCP:[...]>], [4<TCP:[...]>], NULL, {tv_sec=1, tv_nsec=0}, NULL) = 1 (in [3], left {...})
        if (r.args.size() >= 5) timeout = timeout_of(r.args[4]);
        const short bits[3] = {POLLIN, POLLOUT, POLLPRI};
        const char* said[3] = {"in [", "out [", "except ["};
        for (size_t k = 0; k < 3; ++k) {
          if (r.args.size() > k + 1)
            for (const auto& item : array_items(r.args[k + 1]))
              if (const auto f = parse_strace_fd(item)) {
                PollEntry& e = entry_for(*f);
                e.events = static_cast<short>(e.events | bits[k]);
              }
          if (const size_t at = r.ret_extra.find(said[k]); at != std::string::npos)
            for (const auto& item : array_items(r.ret_extra.substr(at)))
              for (PollEntry& e : entries)
                if (e.fd.fd == number_in(item)) e.revents = static_cast<short>(e.revents | bits[k]);
        }
      }
      for (const PollEntry& e : entries) {
        if (output_pipe(e.fd) || (e.fd.kind != StraceFd::Kind::Tcp && e.fd.kind != StraceFd::Kind::Pipe)) continue;
        Draft d;
        d.record = i;
        d.tgid = tgid(r.pid);
        d.tid = r.pid;
        d.sock = e.sock ? e.sock : touch(fds, e.fd, false, r.t_ns);
        d.facts.op = CallOp::Poll;
        d.facts.fd = e.fd.fd;
        d.facts.on_pipe = e.fd.kind == StraceFd::Kind::Pipe;
        d.facts.nonblock = d.sock->nonblock;
        d.facts.timeout_ms = timeout;
        d.facts.events = e.events;
        d.facts.revents = e.revents;
        d.value = poll_events_string(e.revents);
        d.display_args = poll_events_string(e.events) + ", " + std::to_string(timeout) + " ms";
        if (entries.size() > 1) d.display_args += " (" + std::to_string(entries.size()) + " fds)";
        drafts.push_back(std::move(d));
      }
      continue;
    }
    // The descriptor this call is about: the one it returned (socket, accept) or its argument.
    std::optional<StraceFd> fd = (op == CallOp::Socket || op == CallOp::Accept) ? r.ret_fd : r.arg_fd(fd_arg(n));
    if (!fd) continue;
    if (op == CallOp::Close) epolls.erase({&fds, fd->fd});
    // Output: writes on the pipes rstlab reads the program's stdout and stderr from.
    if (output_pipe(*fd)) {
      if (op == CallOp::Write && r.ret && *r.ret > 0)
        out_writes.push_back({fd->inode == obs.stdout_inode ? 1 : 2, r.t_ns + std::max<int64_t>(0, r.duration_ns),
                              *r.ret, r.pid});
      continue;
    }
    if (fd->kind != StraceFd::Kind::Tcp && fd->kind != StraceFd::Kind::Pipe) continue;
    const bool fresh = op == CallOp::Socket || op == CallOp::Accept;
    const SockPtr slot = touch(fds, *fd, fresh, r.t_ns);
    Sock& s = *slot;
    if (fresh) {
      const std::string& flags = op == CallOp::Socket ? (r.args.size() >= 2 ? r.args[1] : "")
                                                      : (r.args.size() >= 4 ? r.args[3] : "");
      s.nonblock = has_word(flags, "SOCK_NONBLOCK");
    }
    if (op == CallOp::Connect && r.args.size() >= 2)
      if (auto e = parse_strace_sockaddr(r.args[1])) s.dialed = e;
    if (op == CallOp::Accept && !s.remote) {
      if (r.args.size() >= 2) s.accepted_from = parse_strace_sockaddr(r.args[1]);
      if (const auto listener = r.arg_fd(0); listener && listener->local) s.listen_port = listener->local->port;
    }

    Draft d;
    d.record = i;
    d.tgid = tgid(r.pid);
    d.tid = r.pid;
    d.sock = slot;
    d.facts.op = op;
    d.facts.fd = fd->fd;
    d.facts.on_pipe = fd->kind == StraceFd::Kind::Pipe;
    d.facts.nonblock = s.nonblock;  // (fcntl(O_NONBLOCK) later is not traced: such a socket reads as blocking)
    size_and_flags(r, d.facts);
    std::vector<std::string> shown = r.args;
    if (!shown.empty()) shown.erase(shown.begin());  // the descriptor is the column, not an argument
    if (op == CallOp::Shutdown && r.args.size() >= 2) {
      d.facts.shut_how = shut_how_from_name(r.args[1]).value_or(-1);
    } else if ((op == CallOp::SetSockOpt || op == CallOp::GetSockOpt) && r.args.size() >= 3) {
      const std::string& o = r.args[2];
      d.facts.option = o == "SO_LINGER" ? SockOpt::Linger : o == "TCP_USER_TIMEOUT" ? SockOpt::UserTimeout
                       : o == "SO_ERROR" ? SockOpt::Error : SockOpt::Other;
      if (d.facts.option == SockOpt::Linger && r.args.size() >= 4) {
        d.facts.linger_on = number_in(field(r.args[3], "l_onoff"), 0) != 0;
        d.facts.linger_seconds = static_cast<int>(number_in(field(r.args[3], "l_linger"), 0));
      }
      if (d.facts.option == SockOpt::UserTimeout && r.args.size() >= 4)
        d.facts.timeout_ms = static_cast<int>(number_in(r.args[3], -1));
      if (op == CallOp::GetSockOpt && d.facts.option == SockOpt::Error && r.args.size() >= 4) {
        // "[ECONNRESET]" or "[0]" or "[104]"
        const std::string v = r.args[3].size() >= 2 ? r.args[3].substr(1, r.args[3].size() - 2) : "";
        d.facts.so_error = errno_from_name(v).value_or(static_cast<int>(number_in(v, 0)));
        d.value = d.facts.so_error ? errno_name(d.facts.so_error) : "0";
      }
      shown = {o};
    } else if (op == CallOp::Read) {
      // The bytes read (strace quotes them; the trace shows a value as it is), and the size asked.
      if (r.ret && *r.ret > 0 && r.args.size() >= 2) {
        if (r.name == "readv" || r.name == "recvmsg" || r.name == "recvmmsg") {
          // The buffers' texts, in order: [{iov_base="he", iov_len=2}, {iov_base="llo", ...}]
          for (const auto& item : array_items(r.name == "readv" ? r.args[1] : field(r.args[1], "msg_iov")))
            d.value += unquote(field(item, "iov_base"));
        } else {
          d.value = unquote(r.args[1]);
        }
      }
      shown.clear();
      if (d.facts.size) shown.push_back(std::to_string(*d.facts.size));
      if (d.facts.peek) shown.push_back("MSG_PEEK");
      if (d.facts.dontwait) shown.push_back("MSG_DONTWAIT");
    } else if (op == CallOp::Write && r.args.size() >= 2) {
      shown = {r.args[1]};
      if (d.facts.size) shown.push_back(std::to_string(*d.facts.size));
      if (d.facts.nosignal) shown.push_back("MSG_NOSIGNAL");
      if (d.facts.dontwait) shown.push_back("MSG_DONTWAIT");
    } else if (op == CallOp::Connect && s.dialed) {
      shown = {s.dialed->str()};
    } else if (op == CallOp::Accept || op == CallOp::Socket || op == CallOp::Close) {
      shown.clear();
    }
    for (const auto& a : shown) d.display_args += (d.display_args.empty() ? "" : ", ") + a;
    if (r.err && *r.err == EPIPE) last_epipe[r.pid] = drafts.size();
    drafts.push_back(std::move(d));
    if (op == CallOp::Close) fds.erase(fd->fd);
  }

  // ---- pass 2: connections --------------------------------------------------------
  // Every segment of the capture, decoded once; frames numbered as in capture.pcap.
  out.packets = obs.packets;
  for (size_t i = 0; i < out.packets.size(); ++i) out.packets[i].frame = i + 1;
  std::map<Pair, Conn> conns;
  for (const auto& p : out.packets) {
    TcpSegment s;
    if (decode_tcp(obs.link_type, p.data.data(), p.data.size(), s) != DecodeStatus::Ok) continue;
    Conn& c = conns[make_pair_of(s.src, s.dst)];
    if (c.first_t == INT64_MAX) {
      c.client = s.src;
      c.server = s.dst;
    }
    c.first_t = std::min(c.first_t, p.t_ns);
    if (s.has(tcpflag::SYN) && !s.has(tcpflag::ACK) && !c.from_syn) {
      c.client = s.src;
      c.server = s.dst;
      c.from_syn = true;
    }
  }
  // A socket that never showed its own address (a refused connect): the capture's
  // connection to the address it dialed, from a port no other socket holds.
  std::set<Endpoint> held;
  for (const Draft& d : drafts)
    if (d.sock->local) held.insert(*d.sock->local);
  for (Draft& d : drafts) {
    Sock& s = *d.sock;
    if (s.kind != StraceFd::Kind::Tcp || s.local || !s.dialed) continue;
    const Conn* best = nullptr;
    for (const auto& [key, c] : conns)
      if (c.server == *s.dialed && !held.count(c.client) && c.first_t >= s.first_t && (!best || c.first_t < best->first_t))
        best = &c;
    if (best) {
      s.local = best->client;
      s.remote = best->server;
      held.insert(best->client);
    }
  }
  std::set<Pair> placed_pairs;  // the connections of the sockets whose two ends are known
  for (const Draft& d : drafts)
    if (d.sock->local && (d.sock->remote || d.sock->dialed))
      placed_pairs.insert(make_pair_of(*d.sock->local, d.sock->remote ? *d.sock->remote : *d.sock->dialed));
  // An accepted socket known only by its inode: the capture's connection from the address
  // accept() reported (or, without one, to the listener's port) that no other socket holds.
  for (Draft& d : drafts) {
    Sock& s = *d.sock;
    if (s.kind != StraceFd::Kind::Tcp || s.local || (!s.accepted_from && !s.listen_port)) continue;
    const Conn* best = nullptr;
    for (const auto& [key, c] : conns)
      if ((s.accepted_from ? c.client == *s.accepted_from : c.server.port == s.listen_port) && !placed_pairs.count(key) &&
          (!best || c.first_t < best->first_t))
        best = &c;
    if (best) {
      s.local = best->server;
      s.remote = best->client;
      placed_pairs.insert(make_pair_of(best->server, best->client));
    }
  }
  for (const Draft& d : drafts) {
    const Sock& s = *d.sock;
    if (s.kind != StraceFd::Kind::Tcp || !s.local || !(s.remote || s.dialed)) continue;
    const Endpoint remote = s.remote ? *s.remote : *s.dialed;
    Conn& c = conns[make_pair_of(*s.local, remote)];
    if (c.first_t == INT64_MAX) {
      c.client = *s.local;
      c.server = remote;
    }
    const int64_t when = obs.records[d.record].t_ns;
    c.first_t = std::min(c.first_t, when);
    if (!c.from_syn && d.facts.op == CallOp::Connect) {
      c.client = *s.local;
      c.server = remote;
    }
  }
  // Pipes: one pseudo-connection for each pipe a write failed on (EPIPE): the writer and
  // the reader are its two ends. Other pipes (a shell's plumbing) are left out.
  std::map<uint64_t, int64_t> broken_pipes;
  for (const Draft& d : drafts) {
    const StraceRecord& r = obs.records[d.record];
    if (d.sock->kind == StraceFd::Kind::Pipe && d.sock->inode && r.err && *r.err == EPIPE)
      broken_pipes.emplace(d.sock->inode, r.t_ns);
  }
  // Connection ids in the order they began: TCP first (connection 0 is drawn as the pair).
  std::vector<std::pair<int64_t, Pair>> order;
  for (const auto& [key, c] : conns) order.push_back({c.first_t, key});
  std::sort(order.begin(), order.end());
  std::map<Pair, ConnId> conn_id;
  for (const auto& [when, key] : order) {
    conn_id[key] = static_cast<ConnId>(t.connections.size());
    ConnectionInfo info;
    info.id = static_cast<ConnId>(t.connections.size());
    info.client.endpoint = conns[key].client;
    info.server.endpoint = conns[key].server;
    t.connections.push_back(info);
  }
  const size_t tcp_connections = t.connections.size();
  std::map<uint64_t, ConnId> pipe_id;
  for (const auto& [inode, when] : broken_pipes) {
    pipe_id[inode] = static_cast<ConnId>(t.connections.size());
    ConnectionInfo info;
    info.id = static_cast<ConnId>(t.connections.size());
    t.connections.push_back(info);
  }
  if (tcp_connections == 0) t.failures.push_back("no TCP connection was made");

  // ---- the process table and the calls ----------------------------------------------
  // One actor per thread and role: a thread that holds both ends of a connection (a
  // program that dials itself) is two actors, so every call stays on its own side.
  std::map<std::tuple<int, int>, int> roles_of_thread;  // (tid, side) -> calls
  struct Placed {
    size_t draft;
    ConnId conn;
    int side;
  };
  std::vector<Placed> placed;
  std::vector<int> call_side;  // by call event: the end of its connection it is on
  for (size_t k = 0; k < drafts.size(); ++k) {
    const Draft& d = drafts[k];
    const Sock& s = *d.sock;
    if (s.kind == StraceFd::Kind::Pipe) {
      const auto it = pipe_id.find(s.inode);
      if (it == pipe_id.end()) continue;
      // The writer's end is side 0, the reader's side 1; a poll is on the end it waited on.
      const int side = d.facts.op == CallOp::Read ? 1 : d.facts.op == CallOp::Write ? 0
                       : d.facts.op == CallOp::Poll ? ((d.facts.events & POLLOUT) ? 0 : 1) : -1;
      placed.push_back({k, it->second, side});
      continue;
    }
    const std::optional<Endpoint> remote = s.remote ? s.remote : s.dialed;
    if (!s.local || !remote) {
      ++out.calls_left_out;
      continue;
    }
    const auto it = conn_id.find(make_pair_of(*s.local, *remote));
    if (it == conn_id.end()) {
      ++out.calls_left_out;
      continue;
    }
    const ConnectionInfo& c = t.connections[it->second];
    placed.push_back({k, it->second, *s.local == c.client.endpoint ? 0 : 1});
  }
  // A pipe's close: the reader's when that process never wrote on it.
  for (Placed& p : placed) {
    if (p.side != -1) continue;
    const Draft& d = drafts[p.draft];
    p.side = 1;
    for (const Placed& q : placed)
      if (q.conn == p.conn && q.side == 0 && drafts[q.draft].tgid == d.tgid) p.side = 0;
  }
  std::map<int, std::set<int>> sides_of_thread;
  for (const Placed& p : placed) sides_of_thread[drafts[p.draft].tid].insert(p.side);
  std::map<std::pair<int, int>, ActorId> actor_of;  // (tid, side or -1) -> actor
  std::vector<int> actor_side;                      // by actor: the one side its calls are on
  auto actor_for = [&](int tid, int side) -> ActorId {
    const auto& sides = sides_of_thread[tid];
    const int key_side = sides.size() > 1 ? side : -1;
    const auto it = actor_of.find({tid, key_side});
    if (it != actor_of.end()) return it->second;
    const int pid = tgid(tid);
    Process& p = proc(tid);
    std::string name = p.name + "[" + std::to_string(tid) + "]";
    if (key_side >= 0) name += key_side == 0 ? " client" : " server";
    TraceActor a;
    a.name = name;
    a.kind = ProcessKind::Program;
    a.pid = pid;
    a.tid = tid;
    a.sigpipe = p.sigpipe == Disposition::Ignore ? "ignore" : p.sigpipe == Disposition::Handler ? "handler" : "default";
    const auto id = static_cast<ActorId>(t.actors.size());
    t.actors.push_back(a);
    actor_side.push_back(side);
    actor_of[{tid, key_side}] = id;
    return id;
  };
  // Every call, the peer's actions, the ends and the packets (the output lines are a few).
  t.events.reserve(placed.size() + obs.peer_events.size() + ends.size() + out.packets.size() + obs.output.size());
  for (const Placed& p : placed) {
    const Draft& d = drafts[p.draft];
    const StraceRecord& r = obs.records[d.record];
    SyscallEvent call;
    call.actor_id = actor_for(d.tid, p.side);
    call.actor = t.actors[*call.actor_id].name;
    call.conn = p.conn;
    call.facts = d.facts;
    call.call = r.name;
    call.args = d.display_args;
    call.ret = r.ret;
    call.err = r.err;
    call.signal = d.signal;
    call.fate = d.fate;
    call.value = d.value;
    call.t_start_ns = r.t_ns;
    Event e;
    e.t_ns = r.t_ns + std::max<int64_t>(0, r.duration_ns);
    e.body = std::move(call);
    ConnectionEnd& end = p.side == 0 ? t.connections[p.conn].client : t.connections[p.conn].server;
    if (!end.actor) end.actor = std::get<SyscallEvent>(e.body).actor_id;
    t.events.push_back(std::move(e));
    call_side.push_back(p.side);
  }
  const size_t n_calls = t.events.size();
  // Events strace stamped (calls, lines matched to a traced write, ends): their order is
  // one clock's, kept when a call is placed after the segment that ended its wait.
  std::vector<bool> strace_stamped(n_calls, true);

  // ---- the crafted peer (--peer): an actor of its own, at its end of its connections ---
  if (obs.peer) {
    const auto id = static_cast<ActorId>(t.actors.size());
    t.actors.push_back({"peer", ProcessKind::Peer, 0, 0, ""});
    for (ConnectionInfo& c : t.connections)
      for (ConnectionEnd* end : {&c.client, &c.server})
        if (end->endpoint == *obs.peer && !end->actor) end->actor = id;
    for (const Event& e : obs.peer_events) t.events.push_back(e);
  }

  // ---- output lines and ends --------------------------------------------------------
  // The actor of a thread: its only one, or its first of two (a thread on both ends).
  auto actor_id_of = [&](int tid) -> std::optional<ActorId> {
    for (int side : {-1, 0, 1})
      if (const auto it = actor_of.find({tid, side}); it != actor_of.end()) return it->second;
    return std::nullopt;
  };
  auto actor_name_of = [&](int tid) {
    if (const auto id = actor_id_of(tid)) return t.actors[*id].name;
    return proc(tid).name + "[" + std::to_string(tid) + "]";
  };
  for (int stream : {1, 2}) {
    std::string text;
    int64_t read_t = 0;
    std::vector<std::pair<int64_t, int64_t>> read_marks;  // (end offset, read time)
    for (const auto& c : obs.output)
      if (c.stream == stream) {
        text += c.bytes;
        read_marks.push_back({static_cast<int64_t>(text.size()), c.t_ns});
      }
    std::vector<const OutWrite*> writes;
    for (const auto& w : out_writes)
      if (w.stream == stream) writes.push_back(&w);
    size_t start = 0, wi = 0, ri = 0;
    int64_t written = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      const size_t end = nl == std::string::npos ? text.size() : nl + 1;
      const auto end_off = static_cast<int64_t>(end);
      while (wi < writes.size() && written + writes[wi]->bytes < end_off) written += writes[wi++]->bytes;
      while (ri < read_marks.size() && read_marks[ri].first < end_off) ++ri;
      read_t = ri < read_marks.size() ? read_marks[ri].second : read_t;
      Event e;
      OutputEvent o;
      o.stream = stream;
      o.actor = first_name;
      if (wi < writes.size()) {
        e.t_ns = writes[wi]->t_end;
        o.tid = writes[wi]->tid;
        o.pid = tgid(o.tid);
        o.actor = actor_name_of(o.tid);
        o.actor_id = actor_id_of(o.tid);
      } else {
        e.t_ns = read_t;
      }
      o.text = text.substr(start, end - start);
      while (!o.text.empty() && (o.text.back() == '\n' || o.text.back() == '\r')) o.text.pop_back();
      e.body = std::move(o);
      strace_stamped.resize(t.events.size(), false);
      strace_stamped.push_back(wi < writes.size());
      t.events.push_back(std::move(e));
      start = end;
    }
  }
  for (const End& end : ends) {
    Event e;
    e.t_ns = end.t;
    e.body = ActionEvent{actor_name_of(end.pid), "exit", end.what};
    strace_stamped.resize(t.events.size(), false);
    strace_stamped.push_back(true);
    t.events.push_back(std::move(e));
  }

  // ---- packets ----------------------------------------------------------------------
  for (const auto& [key, id] : conn_id) {
    Trace one;
    one.client.endpoint = t.connections[id].client.endpoint;
    one.server.endpoint = t.connections[id].server.endpoint;
    add_packet_events(one, obs.link_type, out.packets);
    for (Event& e : one.events) {
      std::get<PacketEvent>(e.body).conn = id;
      t.events.push_back(std::move(e));
    }
  }
  t.capture.file = "capture.pcap";
  t.capture.packets = out.packets.size();
  strace_stamped.resize(t.events.size(), false);

  // ---- calls placed after the segment that ended their wait --------------------------
  // Each traced event, in strace's order, is placed at the latest of: its own end, just
  // after the segment its result needed (when the capture stamped that segment after it,
  // by less than kMaxCaptureLagNs), and just after the traced event before it once that
  // one moved. strace's order is one clock's: moving a call later moves what followed it
  // in the program, and every packet it passes was seen before the segment it waited for.
  struct Moved {
    Toward seg;  // a copy: the arrivals are gone when the notes are written
    std::string what;
  };
  std::map<size_t, Moved> moved_for;  // by event index before sorting: calls moved for their own segment
  {
    const Arrivals arrivals(t, tcp_connections);
    const std::map<size_t, Need> needs = needs_of_calls(t, arrivals, n_calls, tcp_connections, call_side);
    std::vector<size_t> traced;
    for (size_t k = 0; k < t.events.size(); ++k)
      if (strace_stamped[k]) traced.push_back(k);
    std::stable_sort(traced.begin(), traced.end(),
                     [&](size_t a, size_t b) { return t.events[a].t_ns < t.events[b].t_ns; });
    int64_t floor = INT64_MIN;
    for (const size_t k : traced) {
      Event& e = t.events[k];
      const int64_t end = e.t_ns;
      int64_t when = end;
      const auto need = needs.find(k);
      if (need != needs.end() && need->second.seg->t_ns >= end && need->second.seg->t_ns - end <= kMaxCaptureLagNs) {
        when = need->second.seg->t_ns + 1;
        moved_for[k] = {*need->second.seg, need->second.what};
      }
      when = std::max(when, floor);
      if (when == end) {
        floor = std::max(floor, end);
        continue;
      }
      e.t_ns = when;
      if (auto* s = std::get_if<SyscallEvent>(&e.body)) s->t_strace_end_ns = end;
      floor = when + 1;
    }
  }
  // Sorted by time, ties in insertion order (as Trace::sort_events), remembering where each went.
  std::vector<size_t> sorted_at(t.events.size());
  {
    std::vector<size_t> order(t.events.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return t.events[a].t_ns < t.events[b].t_ns; });
    std::vector<Event> sorted;
    sorted.reserve(order.size());
    for (const size_t k : order) {
      sorted_at[k] = sorted.size();
      sorted.push_back(std::move(t.events[k]));
    }
    t.events = std::move(sorted);
  }

  // connection 0 is the pair the renderers draw.
  if (!t.connections.empty()) {
    const ConnectionInfo& c0 = t.connections[0];
    ActorInfo* pair[2] = {&t.client, &t.server};
    const ConnectionEnd* ends0[2] = {&c0.client, &c0.server};
    for (int i = 0; i < 2; ++i) {
      pair[i]->endpoint = ends0[i]->endpoint;
      pair[i]->kind = ends0[i]->actor ? process_kind_name(t.actors[*ends0[i]->actor].kind) : "none";
      if (ends0[i]->actor) pair[i]->sigpipe = t.actors[*ends0[i]->actor].sigpipe;
    }
  } else {
    // No connection was made: nothing plays either end ("no TCP connection", not a peer).
    t.client.kind = t.server.kind = "none";
  }

  // ---- the annotator, per connection ------------------------------------------------
  // Each connection is annotated on its own view. A program's socket is a kernel socket,
  // and the annotator names the two ends of the connection it follows by their roles.
  for (const ConnectionInfo& c : t.connections) {
    ConnectionView view = connection_view(t, c.id);
    for (ActorInfo* a : {&view.trace.client, &view.trace.server})
      if (a->kind == "program") a->kind = "kernel";
    for (size_t k = 0; k < view.trace.events.size(); ++k)
      if (auto* s = std::get_if<SyscallEvent>(&view.trace.events[k].body)) {
        s->actor = role_name(role_at(s->actor_id && actor_side[*s->actor_id] == 1 ? 1 : 0));
        s->actor_id.reset();
      }
    annotate(view.trace);
    for (Annotation a : view.trace.annotations) {
      a.event = view.original[a.event];
      t.annotations.push_back(std::move(a));
    }
    if (auto f = view.trace.first_observer) {
      f->event = view.original[f->event];
      if (f->cause) f->cause = view.original[*f->cause];
      f->actor = t.events[f->event].syscall()->actor;
      t.connections[c.id].first_observer = f;
      if (!t.first_observer || f->event < t.first_observer->event) t.first_observer = f;
    }
  }
  // A note on each call placed after its segment: why its time is not strace's.
  for (const auto& [k, m] : moved_for) {
    const SyscallEvent& s = *t.events[sorted_at[k]].syscall();
    t.annotations.push_back({sorted_at[k], "clock",
                             "placed after #" + std::to_string(m.seg.frame) + ", " + m.what + ": strace ended this " +
                                 s.call + " " + ms_text(m.seg.t_ns - s.t_strace_end_ns) +
                                 " before the capture stamped that segment",
                             ""});
  }
  std::stable_sort(t.annotations.begin(), t.annotations.end(),
                   [](const Annotation& a, const Annotation& b) { return a.event < b.event; });
  return out;
}

}  // namespace rstlab
