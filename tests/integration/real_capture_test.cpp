// SPDX-License-Identifier: MIT
// `rstlab analyze` on captures taken the way users take them. Kernel sockets at both
// ends (tests/programs/tcp_pair.c plays the classic reset stories and records every
// call's result), in private network namespaces, on `lo` and on a veth pair with the
// offloads left at their defaults (checksum offload, TSO, GSO as the kernel sets them
// up), captured with libpcap exactly as tcpdump does: pcap_create/pcap_activate on the
// device, a snap length, a direction, a link type, pcap_dump to a file (and, in two
// conditions, by Wireshark's dumpcap writing pcapng itself). Then for each
// connection, analyze --json's predictions are compared with what the kernel did:
// who reset whom, the errno stored at the receiver, and the receiver's next read and
// next write (one probe per connection: the first call after a reset consumes the
// stored error).
//
// RSTLAB_KEEP_CAPTURES=1 keeps each test's capture and the program's log (the path is
// printed); RSTLAB_ANALYZE_BINARY=PATH checks another rstlab's analyzer.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "host_state.h"
#include "lab/netdev.h"
#include "rstlab/address.h"
#include "rstlab/capture.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace rstlab;

namespace {

/// The rstlab whose analyzer is checked: this build's, or RSTLAB_ANALYZE_BINARY (to check
/// another branch's analyzer against the same captures without rebuilding the tests).
std::string analyzer_binary() {
  const char* other = std::getenv("RSTLAB_ANALYZE_BINARY");
  return other && *other ? other : RSTLAB_BINARY;
}
const std::string kTcpPair = RSTLAB_TCP_PAIR;
constexpr auto kRunLimit = std::chrono::seconds(20);

// ---------------------------------------------------------------------------------
// Namespaces: `lo` alone in one, or a veth pair between two. Nothing is set on the
// devices beyond addresses, neighbours and "up": offloads stay as the kernel made them.

class Topology {
 public:
  Topology(bool veth, Family family) : veth_(veth), v6_(family == Family::V6) {
    original_ = detail::current_netns();
    try {
      if (!veth) {
        client_ = detail::new_anonymous_netns();
        detail::prepare_netns(v6_);
      } else {
        server_ = detail::new_anonymous_netns();
        detail::prepare_netns(v6_);
        client_ = detail::new_anonymous_netns();
        detail::prepare_netns(v6_);
        const detail::Mac cmac = {0x02, 0, 0, 0, 0, 0x01}, smac = {0x02, 0, 0, 0, 0, 0x02};
        detail::create_veth("rst0", cmac, "rst1", smac, server_.get());
        detail::add_address("rst0", address(1), v6_ ? 64 : 24);
        detail::add_neighbour("rst0", address(2), smac);
        detail::set_link_up("rst0");
        detail::enter_netns(server_.get());
        detail::add_address("rst1", address(2), v6_ ? 64 : 24);
        detail::add_neighbour("rst1", address(1), cmac);
        detail::set_link_up("rst1");
      }
    } catch (...) {
      detail::enter_netns(original_.get());
      throw;
    }
    detail::enter_netns(original_.get());
  }
  ~Topology() {
    // The namespaces are anonymous: they go away with their last descriptor.
    try {
      detail::enter_netns(original_.get());
    } catch (...) {
    }
  }

  int client_ns() const { return client_.get(); }
  int server_ns() const { return veth_ ? server_.get() : client_.get(); }
  std::string client_addr() const { return veth_ ? address(1).str() : v6_ ? "::1" : "127.0.0.1"; }
  std::string server_addr() const { return veth_ ? address(2).str() : v6_ ? "::1" : "127.0.0.1"; }
  std::string client_dev() const { return veth_ ? "rst0" : "lo"; }
  std::string server_dev() const { return veth_ ? "rst1" : "lo"; }
  /// The namespaces' inodes (to check afterwards that nothing holds them any more).
  std::vector<ino_t> inodes() const {
    std::vector<ino_t> v;
    for (const detail::Fd* f : {&client_, &server_}) {
      struct stat st {};
      if (*f && ::fstat(f->get(), &st) == 0) v.push_back(st.st_ino);
    }
    return v;
  }

  /// Runs `f` with the calling thread inside namespace `ns`, then returns.
  template <typename F>
  auto in(int ns, F f) {
    detail::enter_netns(ns);
    struct Back {
      int fd;
      ~Back() {
        try {
          detail::enter_netns(fd);
        } catch (...) {
        }
      }
    } back{original_.get()};
    return f();
  }

 private:
  Address address(uint8_t host) const {
    // TEST-NET-1 and the documentation prefix only.
    if (!v6_) {
      const uint8_t b[4] = {192, 0, 2, host};
      return Address::v4(b);
    }
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
    b[15] = host;
    return Address::v6(b);
  }
  bool veth_, v6_;
  detail::Fd original_, client_, server_;
};

// ---------------------------------------------------------------------------------
// How the capture is taken.

enum class At { RstSender, RstReceiver };  // whose namespace (on lo: the only one)

struct CaptureSpec {
  std::string name;
  bool veth = false;
  At at = At::RstReceiver;
  bool any = false;      ///< the "any" device instead of the interface
  int dlt = -1;          ///< pcap_set_datalink after activation (-1: the device's default)
  int snaplen = 262144;  ///< tcpdump's default
  pcap_direction_t direction = PCAP_D_INOUT;  ///< tcpdump -Q
  bool after_handshake = false;
  bool pcapng = false;
  /// Wireshark's dumpcap writes the file (pcapng) instead of the test's own libpcap reader.
  bool dumpcap = false;
  /// Only the RST sender's segments are in the capture (the receiver's are not).
  bool one_sided() const { return direction != PCAP_D_INOUT; }
};

/// A libpcap capture opened the way tcpdump opens one, read while the program runs.
class LiveCapture {
 public:
  LiveCapture(const CaptureSpec& spec, const std::string& device) : spec_(spec) {
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_ = pcap_create(device.c_str(), err);
    if (!pcap_) throw std::runtime_error("pcap_create " + device + ": " + err);
    pcap_set_snaplen(pcap_, spec.snaplen);
    pcap_set_promisc(pcap_, 1);
    // Not immediate mode: like tcpdump -w, libpcap then uses TPACKET_V3, whose blocks
    // hold packets back to back (a few MB of 64 KB super-segments and hundreds of small
    // segments fit while the reader waits for its turn on a busy machine). A block is
    // handed over when full or after this timeout (tcpdump's is 1000 ms).
    pcap_set_timeout(pcap_, 10);
    pcap_set_buffer_size(pcap_, 32 << 20);  // tcpdump -B 32768
    if (pcap_activate(pcap_) < 0) fail("pcap_activate " + device);
    if (spec.dlt >= 0 && pcap_set_datalink(pcap_, spec.dlt) < 0) fail("pcap_set_datalink");
    if (spec.direction != PCAP_D_INOUT && pcap_setdirection(pcap_, spec.direction) < 0)
      fail("pcap_setdirection");
    if (pcap_setnonblock(pcap_, 1, err) < 0) fail("pcap_setnonblock");
  }
  ~LiveCapture() {
    if (pcap_) pcap_close(pcap_);
  }
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  int fd() const { return pcap_get_selectable_fd(pcap_); }
  int link_type() const { return pcap_datalink(pcap_); }

  /// Takes every packet waiting in the ring, up to the end marker (not kept).
  void drain() {
    while (!marker_seen_) {
      pcap_pkthdr* h = nullptr;
      const u_char* d = nullptr;
      const int rc = pcap_next_ex(pcap_, &h, &d);
      if (rc == 0) return;
      if (rc < 0) fail("pcap_next_ex");
      if (std::search(d, d + h->caplen, kMarker, kMarker + sizeof kMarker - 1) != d + h->caplen) {
        marker_seen_ = true;
        return;
      }
      CapturedPacket p;
      p.t_ns = int64_t(h->ts.tv_sec) * 1'000'000'000 + int64_t(h->ts.tv_usec) * 1000;
      p.wire_len = h->len;
      p.data.assign(d, d + h->caplen);
      packets_.push_back(std::move(p));
    }
  }

  /// Writes the file: pcap through pcap_dump (what tcpdump -w writes), or pcapng.
  void write(const std::string& path) {
    pcap_stat st{};
    if (pcap_stats(pcap_, &st) == 0 && st.ps_drop != 0)
      throw std::runtime_error("the capture dropped " + std::to_string(st.ps_drop) + " packets");
    if (spec_.pcapng) {
      write_pcapng(path, link_type(), packets_, {});
      return;
    }
    pcap_dumper_t* dumper = pcap_dump_open(pcap_, path.c_str());
    if (!dumper) fail("pcap_dump_open");
    for (const auto& p : packets_) {
      pcap_pkthdr h{};
      h.ts.tv_sec = p.t_ns / 1'000'000'000;
      h.ts.tv_usec = (p.t_ns % 1'000'000'000) / 1000;
      h.caplen = static_cast<uint32_t>(p.data.size());
      h.len = p.wire_len;
      pcap_dump(reinterpret_cast<u_char*>(dumper), &h, p.data.data());
    }
    pcap_dump_close(dumper);
  }
  size_t count() const { return packets_.size(); }
  bool marker_seen() const { return marker_seen_; }

  /// The payload of the UDP datagram sent once the program has ended: when it comes out
  /// of the capture, every packet tapped before it has too (a TPACKET_V3 block is handed
  /// over when its timer expires, so there is no other way to know).
  static constexpr char kMarker[] = "rstlab-real-capture-end";

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + (pcap_ ? pcap_geterr(pcap_) : ""));
  }
  CaptureSpec spec_;
  pcap_t* pcap_ = nullptr;
  std::vector<CapturedPacket> packets_;
  bool marker_seen_ = false;
};

/// Sends the end marker from the current namespace to `to`:9 (nothing listens there).
void send_marker(const std::string& to) {
  const Address a = Address::parse(to);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (a.family == Family::V4) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(9);
    std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
    len = sizeof *s4;
  } else {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(9);
    std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
    len = sizeof *s6;
  }
  detail::Fd s(::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw std::runtime_error("socket for the end marker");
  if (::sendto(s.get(), LiveCapture::kMarker, sizeof LiveCapture::kMarker - 1, 0,
               reinterpret_cast<sockaddr*>(&ss), len) < 0)
    throw std::runtime_error(std::string("sending the end marker: ") + std::strerror(errno));
}

// ---------------------------------------------------------------------------------
// The stories (tcp_pair's cases).

struct CaseSpec {
  std::string name;               ///< in the test name: ResetByPeer
  std::vector<std::string> plan;  ///< tcp_pair --plan items
  bool rst_from_server = true;    ///< who sends the RST (for the capture point)
};

std::vector<std::string> probes(const std::string& c) {
  return {c + "/read", c + "/write", c + "/so_error"};
}

const std::vector<CaseSpec>& classic_cases() {
  static const std::vector<CaseSpec> cases = {
      {"BrokenPipe", probes("broken-pipe"), true},
      {"ResetByPeer", probes("reset-by-peer"), true},
      {"LingerAbort", probes("linger-abort"), false},
      {"Refused", probes("refused"), true},
      {"RstAfterFin", probes("rst-after-fin"), true},
      {"AbortInFlight", probes("abort-in-flight"), false},
  };
  return cases;
}

/// A few MB in one connection: the sender's TSO/GSO super-segments (IP length far above
/// the MTU) on veth and lo, then a reset by peer; 1 MB before the other probes, and a
/// clean connection of 4 MB.
CaseSpec tso_case() {
  return {"Tso4MB",
          {"reset-by-peer/read@4194304", "reset-by-peer/write@1048576",
           "reset-by-peer/so_error@1048576", "clean@4194304"},
          true};
}

/// 50 clean connections with 5 resets among them.
CaseSpec many_case() {
  CaseSpec c{"Many50Clean5Reset", {}, true};
  const char* p[] = {"read", "write", "so_error", "read", "write"};
  for (int i = 0; i < 55; ++i)
    c.plan.push_back(i % 11 == 5 ? std::string("reset-by-peer/") + p[i / 11] : "clean");
  return c;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// ---------------------------------------------------------------------------------
// Running the program and the analyzer.

/// The program as a child process; killed and reaped however the test ends.
struct Child {
  pid_t pid = -1;
  int out = -1, in = -1;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
    if (in >= 0) ::close(in);
  }
};

void start_program(Child& c, const std::vector<std::string>& argv, int keep_a, int keep_b) {
  int o[2], i[2];
  if (pipe2(o, O_CLOEXEC) < 0 || pipe2(i, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
  c.pid = fork();
  if (c.pid < 0) throw std::runtime_error("fork");
  if (c.pid == 0) {
    dup2(i[0], 0);
    dup2(o[1], 1);
    // The namespace handles (opened O_CLOEXEC by the lab code) at fixed numbers, inherited
    // (moved out of the way first: either may already sit at 3 or 4).
    const int ns_a = fcntl(keep_a, F_DUPFD_CLOEXEC, 100);
    const int ns_b = fcntl(keep_b, F_DUPFD_CLOEXEC, 100);
    dup2(ns_a, 3);
    dup2(ns_b, 4);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  ::close(o[1]);
  ::close(i[0]);
  c.out = o[0];
  c.in = i[1];
}

struct Observed {
  json conn;    ///< the "conn" event
  json result;  ///< the "result" event
};

struct RunResult {
  std::vector<Observed> conns;
  std::string log;  ///< everything the program printed
  size_t packets = 0;
  int link_type = 0;
  std::vector<ino_t> namespaces;
};

/// True when `file` exists and `pred` holds for its contents.
bool file_matches(const std::string& file, const std::function<bool(const std::string&)>& pred) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  return pred(ss.str());
}

/// Waits, on inotify events of its folder, until `file` satisfies `pred`; gives up at
/// the deadline or when `alive` says the writer is gone.
void wait_for_file(const std::string& file, const std::function<bool(const std::string&)>& pred,
                   const std::function<bool()>& alive, const std::string& what) {
  detail::Fd ino(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!ino) throw std::runtime_error("inotify_init1");
  const std::string folder = fs::path(file).parent_path().string();
  if (::inotify_add_watch(ino.get(), folder.c_str(), IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE) < 0)
    throw std::runtime_error("inotify_add_watch " + folder);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!file_matches(file, pred)) {
    if (!alive()) throw std::runtime_error("dumpcap ended while waiting for " + what);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("timed out waiting for " + what);
    pollfd p{ino.get(), POLLIN, 0};
    // dumpcap's exit is not an inotify event: look at it at least every 100 ms.
    ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100)));
    char buf[4096];
    while (::read(ino.get(), buf, sizeof buf) > 0) {
    }
  }
}

/// `dumpcap -i DEV -w FILE` run inside the capture's namespace, as a user runs it.
class Dumpcap {
 public:
  Dumpcap(int ns, const std::string& dev, const std::string& file, const std::string& log)
      : file_(file) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      if (::setns(ns, CLONE_NEWNET) < 0) _exit(126);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execlp("dumpcap", "dumpcap", "-q", "-i", dev.c_str(), "-w", file.c_str(), nullptr);
      _exit(127);
    }
    // dumpcap opens the interface before it writes the file's header: a header on disk
    // means the capture is running.
    wait_for_file(
        file_, [](const std::string& c) { return !c.empty(); }, [this] { return running(); },
        "dumpcap to start capturing");
  }
  ~Dumpcap() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Dumpcap(const Dumpcap&) = delete;
  Dumpcap& operator=(const Dumpcap&) = delete;

  /// Waits until the end marker is in the file, then stops dumpcap as Ctrl-C would.
  void finish() {
    wait_for_file(
        file_,
        [](const std::string& c) { return c.find(LiveCapture::kMarker) != std::string::npos; },
        [this] { return running(); }, "the end marker in dumpcap's file");
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("dumpcap ended with status " + std::to_string(status));
  }

 private:
  bool running() {
    int status = 0;
    if (pid_ <= 0) return false;
    if (::waitpid(pid_, &status, WNOHANG) == 0) return true;
    pid_ = -1;
    return false;
  }
  std::string file_;
  pid_t pid_ = -1;
};

/// Plays `cs` under capture `cap` and writes the capture to `file`.
RunResult play_and_capture(const CaptureSpec& cap, const CaseSpec& cs, Family family,
                           const std::string& file) {
  Topology topo(cap.veth, family);
  const bool sender_is_server = cs.rst_from_server;
  const bool at_server = (cap.at == At::RstSender) == sender_is_server;
  const int cap_ns = at_server ? topo.server_ns() : topo.client_ns();
  const std::string dev = cap.any ? "any" : at_server ? topo.server_dev() : topo.client_dev();

  std::unique_ptr<LiveCapture> capture;
  std::unique_ptr<Dumpcap> dumpcap;
  auto open_capture = [&] {
    capture = topo.in(cap_ns, [&] { return std::make_unique<LiveCapture>(cap, dev); });
  };
  if (cap.dumpcap)
    dumpcap = std::make_unique<Dumpcap>(cap_ns, dev, file, file + ".dumpcap.log");
  else if (!cap.after_handshake)
    open_capture();

  std::vector<std::string> argv = {
      kTcpPair, "--server",         topo.server_addr(), "--client", topo.client_addr(),
      "--plan", join(cs.plan, ","), "--server-netns",   "4",        "--client-netns",
      "3"};
  if (cap.after_handshake) argv.push_back("--after-handshake");
  Child child;
  start_program(child, argv, topo.client_ns(), topo.server_ns());

  RunResult rr;
  rr.namespaces = topo.inodes();
  std::map<int, Observed> by_n;
  std::string pending;
  const auto deadline = std::chrono::steady_clock::now() + kRunLimit;
  bool eof = false;
  while (!eof) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("the program did not finish in time; its output:\n" + rr.log);
    pollfd p[2] = {{child.out, POLLIN, 0}, {capture ? capture->fd() : -1, POLLIN, 0}};
    if (::poll(p, 2, static_cast<int>(left.count())) < 0 && errno != EINTR)
      throw std::runtime_error("poll");
    if (capture && (p[1].revents & POLLIN)) capture->drain();
    if (p[0].revents & (POLLIN | POLLHUP)) {
      char buf[8192];
      const ssize_t n = ::read(child.out, buf, sizeof buf);
      if (n <= 0) {
        eof = true;
        continue;
      }
      rr.log.append(buf, static_cast<size_t>(n));
      pending.append(buf, static_cast<size_t>(n));
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
        const json ev = json::parse(pending.substr(0, nl));
        const std::string kind = ev.at("event");
        if (kind == "error") throw std::runtime_error("tcp_pair failed: " + ev.dump());
        if (kind == "conn") by_n[ev.at("n").get<int>()].conn = ev;
        if (kind == "result") by_n[ev.at("n").get<int>()].result = ev;
        if (kind == "established") {
          // The capture starts only now, as when tcpdump is started on a live connection.
          open_capture();
          if (::write(child.in, "g", 1) != 1) throw std::runtime_error("cannot start the program");
        }
      }
    }
  }
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  child.pid = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("tcp_pair ended with status " + std::to_string(status) +
                             "; output:\n" + rr.log);
  if (!capture && !dumpcap)
    throw std::runtime_error("the program never reported its connections set up:\n" + rr.log);
  // Every segment the program waited for has passed the tap already (the RST reaches the
  // capture before the receiver's socket). The marker, sent now so that it passes the same
  // tap in the captured direction, comes out of the ring after all of them.
  if (!cap.veth)
    topo.in(cap_ns, [&] { send_marker(topo.client_addr()); });
  else if (cap.direction == PCAP_D_OUT)  // out of the capture's namespace
    topo.in(cap_ns, [&] { send_marker(at_server ? topo.client_addr() : topo.server_addr()); });
  else  // into it, from the other end
    topo.in(at_server ? topo.client_ns() : topo.server_ns(),
            [&] { send_marker(at_server ? topo.server_addr() : topo.client_addr()); });
  for (auto& [n, o] : by_n) rr.conns.push_back(o);
  if (dumpcap) {
    // The marker stays in dumpcap's file (with the ICMP port-unreachable answering it):
    // analyze counts them as "other" packets.
    dumpcap->finish();
    rr.packets = read_capture(file, rr.link_type).size();
    return rr;
  }
  const auto marker_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (capture->drain(); !capture->marker_seen(); capture->drain()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        marker_deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("the end marker never came out of the capture");
    pollfd p{capture->fd(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
  capture->write(file);
  rr.packets = capture->count();
  rr.link_type = capture->link_type();
  return rr;
}

/// True while a descriptor of this process still refers to the namespace.
bool netns_fd_open(ino_t inode) {
  const std::string want = "net:[" + std::to_string(inode) + "]";
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (fs::read_symlink(e.path(), ec).string() == want) return true;
  }
  return false;
}

/// analyze --json's connections, one JSON object each.
std::vector<json> analyze(const std::string& file, std::string& raw) {
  const std::string cmd =
      "'" + analyzer_binary() + "' analyze --json '" + file + "' 2>'" + file + ".stderr'";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) throw std::runtime_error("cannot run " + cmd);
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) raw.append(buf, n);
  const int status = ::pclose(f);
  if (status != 0) {
    std::ifstream e(file + ".stderr");
    std::stringstream ss;
    ss << e.rdbuf();
    throw std::runtime_error("rstlab analyze failed (" + std::to_string(status) + "): " + ss.str());
  }
  std::vector<json> out;
  std::istringstream in(raw);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

std::string endpoint(const json& conn, const std::string& side) {
  return Endpoint::parse(conn.at(side).get<std::string>() + ":" +
                         std::to_string(conn.at(side + "_port").get<int>()))
      .str();
}

/// The analyzer's first connection between these two endpoints (either may be "a") not
/// yet taken: the kernel may reuse a client port at once after a reset (no TIME_WAIT),
/// so the same pair can appear several times, in the program's order.
const json* find_connection(const std::vector<json>& conns, std::set<const json*>& taken,
                            const std::string& x, const std::string& y) {
  for (const auto& c : conns) {
    const std::string a = Endpoint::parse(c.at("a")).str(), b = Endpoint::parse(c.at("b")).str();
    if (((a == x && b == y) || (a == y && b == x)) && taken.insert(&c).second) return &c;
  }
  return nullptr;
}

std::string str_or(const json& j, const char* key, const std::string& fallback = "(missing)") {
  if (!j.is_object() || !j.contains(key) || j.at(key).is_null()) return fallback;
  return j.at(key).is_string() ? j.at(key).get<std::string>() : j.at(key).dump();
}

/// Compares one connection's prediction with what the kernel did; returns the
/// disagreements in words (empty: the analyzer was right).
std::vector<std::string> compare(const CaptureSpec& cap, const Observed& o,
                                 const std::vector<json>& conns, std::set<const json*>& taken) {
  std::vector<std::string> bad;
  const std::string client = endpoint(o.conn, "client"), server = endpoint(o.conn, "server");
  const std::string kase = o.conn.at("case");
  const json* c = find_connection(conns, taken, client, server);
  const std::string who = "#" + std::to_string(o.conn.at("n").get<int>()) + " " + kase +
                          " (probe " + str_or(o.conn, "probe") + ", " + client + " -> " + server +
                          ")";
  if (!c) {
    bad.push_back(who + ": analyze reports no connection between these endpoints");
    return bad;
  }
  const json& resets = c->at("resets");
  if (kase == "clean") {
    if (!resets.empty())
      bad.push_back(who + ": clean connection, but analyze lists RSTs: " + resets.dump());
    if (!cap.one_sided() && str_or(*c, "ending") != "fin")
      bad.push_back(who + ": clean connection (FIN both ways), analyze says ending " +
                    str_or(*c, "ending"));
    if (str_or(*c, "anomaly") == "true")
      bad.push_back(who + ": clean connection marked as an anomaly: " + c->dump());
    return bad;
  }
  const bool from_server = o.conn.at("rst_from") == "server";
  const std::string sender = from_server ? server : client,
                    receiver = from_server ? client : server;
  if (cap.after_handshake && str_or(*c, "mid_stream") != "true")
    bad.push_back(who + ": the capture started after the handshake but mid_stream is not true");

  // Who reset whom, and did the receiver take it? (The program saw the receiver's
  // socket report the error: the RST was accepted.)
  const json* rst = nullptr;
  for (const auto& r : resets)
    if (Endpoint::parse(r.at("from")).str() == sender &&
        Endpoint::parse(r.at("to")).str() == receiver)
      rst = &r;
  if (!rst) {
    bad.push_back(who + ": no RST from " + sender + " to " + receiver +
                  " in analyze's report (resets: " + resets.dump() + ")");
  } else {
    if (str_or(*rst, "reaction") != "accepted")
      bad.push_back(who + ": RST judged '" + str_or(*rst, "reaction") + "' (cause " +
                    str_or(*rst, "cause") + "); the receiver's kernel accepted it");
    if (o.result.at("probe") == "so_error" && str_or(*rst, "errno", "0") != o.result.at("value"))
      bad.push_back(who + ": RST stores errno " + str_or(*rst, "errno", "null") +
                    " says analyze; SO_ERROR was " + o.result.at("value").get<std::string>());
  }

  // The receiver's next call, as measured.
  const json& pred = c->at("predicted");
  const json* rp = nullptr;
  for (auto it = pred.begin(); it != pred.end(); ++it)
    if (Endpoint::parse(it.key()).str() == receiver) rp = &it.value();
  if (!rp) {
    bad.push_back(who + ": no prediction for the receiver " + receiver);
    return bad;
  }
  const std::string probe = o.result.at("probe"), value = o.result.at("value");
  const std::string field = probe == "read"    ? "next_read"
                            : probe == "write" ? "next_write"
                                               : "so_error";
  if (str_or(*rp, field.c_str()) != value)
    bad.push_back(who + ": predicted " + field + " = " + str_or(*rp, field.c_str()) +
                  ", observed " + value + " (why: " + str_or(*rp, "why", "") + ")");
  if (probe == "write" && str_or(*rp, "write_raises_sigpipe") != o.result.at("sigpipe").dump())
    bad.push_back(who +
                  ": predicted write_raises_sigpipe = " + str_or(*rp, "write_raises_sigpipe") +
                  ", observed " + o.result.at("sigpipe").dump());
  if (cap.one_sided() && str_or(*rp, "inferred", "false") != "true")
    bad.push_back(
        who +
        ": none of the receiver's own segments are in the capture, but its prediction is not "
        "marked \"inferred\": true");

  // The RST's sender had closed its socket (a refused SYN finds none at all).
  for (auto it = pred.begin(); it != pred.end(); ++it) {
    if (Endpoint::parse(it.key()).str() != sender) continue;
    if (str_or(it.value(), "next_read") != "closed" || str_or(it.value(), "next_write") != "closed")
      bad.push_back(
          who + ": the RST's sender " + sender + " had closed its socket; analyze predicts read " +
          str_or(it.value(), "next_read") + " / write " + str_or(it.value(), "next_write"));
  }
  return bad;
}

// ---------------------------------------------------------------------------------
// The matrix.

std::vector<CaptureSpec> capture_points() {
  std::vector<CaptureSpec> v;
  auto add = [&](std::string name, bool veth, At at, std::function<void(CaptureSpec&)> f = {}) {
    CaptureSpec s;
    s.name = std::move(name);
    s.veth = veth;
    s.at = at;
    if (f) f(s);
    v.push_back(s);
  };
  add("Lo", false, At::RstReceiver);
  add("Lo_AnySll", false, At::RstReceiver, [](CaptureSpec& s) {
    s.any = true;
    s.dlt = DLT_LINUX_SLL;
  });
  add("Lo_AnySll2", false, At::RstReceiver, [](CaptureSpec& s) {
    s.any = true;
    s.dlt = DLT_LINUX_SLL2;
  });
  add("Lo_Snap96", false, At::RstReceiver, [](CaptureSpec& s) { s.snaplen = 96; });
  add("Lo_AfterHandshake", false, At::RstReceiver,
      [](CaptureSpec& s) { s.after_handshake = true; });
  add("Lo_Pcapng", false, At::RstReceiver, [](CaptureSpec& s) { s.pcapng = true; });
  add("Lo_Dumpcap", false, At::RstReceiver, [](CaptureSpec& s) {
    s.pcapng = true;
    s.dumpcap = true;
  });
  add("Veth_Sender", true, At::RstSender);
  add("Veth_Receiver", true, At::RstReceiver);
  add("Veth_Sender_AnySll2", true, At::RstSender, [](CaptureSpec& s) {
    s.any = true;
    s.dlt = DLT_LINUX_SLL2;
  });
  add("Veth_Receiver_AnySll", true, At::RstReceiver, [](CaptureSpec& s) {
    s.any = true;
    s.dlt = DLT_LINUX_SLL;
  });
  add("Veth_Receiver_Snap96", true, At::RstReceiver, [](CaptureSpec& s) { s.snaplen = 96; });
  add("Veth_Receiver_InOnly", true, At::RstReceiver,
      [](CaptureSpec& s) { s.direction = PCAP_D_IN; });
  add("Veth_Sender_OutOnly", true, At::RstSender, [](CaptureSpec& s) { s.direction = PCAP_D_OUT; });
  add("Veth_Receiver_Dumpcap", true, At::RstReceiver, [](CaptureSpec& s) {
    s.pcapng = true;
    s.dumpcap = true;
  });
  add("Veth_Receiver_AfterHandshake", true, At::RstReceiver,
      [](CaptureSpec& s) { s.after_handshake = true; });
  return v;
}

class RealCapture : public ::testing::Test {
 public:
  RealCapture(CaptureSpec cap, CaseSpec cs, Family family)
      : cap_(std::move(cap)), cs_(std::move(cs)), family_(family) {}

 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    links_ = test::host_links();
    named_ = test::named_netns();
    dir_ = fs::temp_directory_path() /
           ("rstlab-real-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (geteuid() != 0) return;
    EXPECT_EQ(test::host_links(), links_) << "the host's interfaces changed";
    EXPECT_EQ(test::named_netns(), named_) << "a named namespace appeared";
    const char* keep = std::getenv("RSTLAB_KEEP_CAPTURES");
    if (keep && *keep && std::string(keep) != "0")
      std::cout << "capture kept in " << dir_ << "\n";
    else
      fs::remove_all(dir_);
  }

  void TestBody() override {
    if (cap_.dumpcap && std::system("command -v dumpcap >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "dumpcap is not installed (Debian: wireshark-common)";
    const std::string file = (dir_ / (cap_.pcapng ? "capture.pcapng" : "capture.pcap")).string();
    const RunResult rr = play_and_capture(cap_, cs_, family_, file);
    // The namespaces, the program and the capture are gone with the run.
    for (ino_t ns : rr.namespaces) {
      EXPECT_FALSE(netns_fd_open(ns)) << "a descriptor still holds a test namespace";
      EXPECT_TRUE(test::netns_released(ns)) << "a process is still inside a test namespace";
    }
    std::ofstream(dir_ / "program.jsonl") << rr.log;
    ASSERT_EQ(rr.conns.size(), cs_.plan.size()) << rr.log;
    ASSERT_GT(rr.packets, 0u) << "the capture is empty";
    std::string raw;
    const std::vector<json> conns = analyze(file, raw);
    std::ofstream(dir_ / "analyze.jsonl") << raw;
    std::vector<std::string> wrong;
    std::set<const json*> taken;
    for (const auto& o : rr.conns)
      for (auto& w : compare(cap_, o, conns, taken)) wrong.push_back(std::move(w));
    EXPECT_TRUE(wrong.empty()) << wrong.size()
                               << " disagreement(s) between analyze and the kernel (" << rr.packets
                               << " packets, link type " << rr.link_type << "):\n  "
                               << join(wrong, "\n  ");
  }

 private:
  CaptureSpec cap_;
  CaseSpec cs_;
  Family family_;
  fs::path dir_;
  std::set<std::string> links_, named_;
};

void register_one(const CaptureSpec& cap, const CaseSpec& cs, Family family) {
  const std::string name = cap.name + "_" + cs.name + (family == Family::V4 ? "_IPv4" : "_IPv6");
  ::testing::RegisterTest("RealCapture", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                          [=]() -> ::testing::Test* { return new RealCapture(cap, cs, family); });
}

/// Registers the matrix before main() runs (gtest_discover_tests lists them).
const bool kRegistered = [] {
  for (const auto& cap : capture_points())
    for (const auto& cs : classic_cases())
      for (Family f : {Family::V4, Family::V6}) {
        if (cap.after_handshake && cs.name == "Refused") continue;  // no handshake to start after
        // dumpcap takes about a second per run to start and to hand its last packets over:
        // on veth, one story with a stateless RST and one with a socket's.
        if (cap.dumpcap && cap.veth && cs.name != "BrokenPipe" && cs.name != "ResetByPeer")
          continue;
        register_one(cap, cs, f);
      }
  for (const char* point : {"Lo", "Veth_Sender", "Veth_Receiver"})
    for (const auto& cap : capture_points())
      if (cap.name == point)
        for (Family f : {Family::V4, Family::V6}) register_one(cap, tso_case(), f);
  for (const char* point : {"Lo", "Veth_Receiver_AnySll2"})
    for (Family f : {Family::V4, Family::V6}) {
      CaptureSpec cap;
      cap.name = point;
      cap.veth = std::string(point) != "Lo";
      if (cap.veth) {
        cap.any = true;
        cap.dlt = DLT_LINUX_SLL2;
      }
      register_one(cap, many_case(), f);
    }
  return true;
}();

}  // namespace
