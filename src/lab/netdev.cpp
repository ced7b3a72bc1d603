// SPDX-License-Identifier: MIT
#include "lab/netdev.h"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "rstlab/error.h"

namespace rstlab::detail {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

const char* kNeedRoot =
    "building the lab needs root (or CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_NET_RAW): "
    "rstlab works inside private network namespaces it creates; run it with sudo";

Fd control_socket() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw_errno("socket(AF_INET) for interface control");
  return Fd(s);
}

void fill_ifreq(ifreq& ifr, const std::string& ifname) {
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
}

/// A netlink request under construction: header, fixed part and nested attributes.
class NetlinkRequest {
 public:
  NetlinkRequest(uint16_t type, uint16_t flags) : buf_(NLMSG_HDRLEN, 0) {
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    hdr()->nlmsg_seq = 1;
  }
  void put(const void* data, size_t len) {
    const size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(len), 0);
    std::memcpy(buf_.data() + at, data, len);
    sync();
  }
  void attr(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    a.rta_type = type;
    const size_t at = buf_.size();
    buf_.resize(at + RTA_ALIGN(a.rta_len), 0);
    std::memcpy(buf_.data() + at, &a, sizeof a);
    if (len > 0) std::memcpy(buf_.data() + at + RTA_LENGTH(0), data, len);  // a nest's head has no data (nullptr)
    sync();
  }
  void attr_str(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  size_t begin_nest(uint16_t type) {
    const size_t at = buf_.size();
    attr(type, nullptr, 0);
    return at;
  }
  void end_nest(size_t at) {
    rtattr a;
    std::memcpy(&a, buf_.data() + at, sizeof a);
    a.rta_len = static_cast<unsigned short>(buf_.size() - at);
    std::memcpy(buf_.data() + at, &a, sizeof a);
  }

  /// Sends the request and waits for the kernel's acknowledgement; returns 0 or an errno.
  int execute() {
    int s = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0) throw_errno("socket(AF_NETLINK)");
    Fd sock(s);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(s, buf_.data(), buf_.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0)
      throw_errno("netlink sendto");
    char reply[4096];
    for (;;) {
      ssize_t n = ::recv(s, reply, sizeof reply, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("netlink recv");
      }
      for (auto* h = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(h, static_cast<unsigned>(n));
           h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_ERROR) {
          const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
          return -e->error;
        }
      }
    }
  }

 private:
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  void sync() { hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size()); }
  std::vector<char> buf_;
};

}  // namespace

Fd current_netns() {
  int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open /proc/thread-self/ns/net");
  return Fd(fd);
}

void enter_netns(int ns_fd) {
  if (::setns(ns_fd, CLONE_NEWNET) < 0) throw_errno("setns(CLONE_NEWNET)");
}

Fd new_anonymous_netns() {
  if (::unshare(CLONE_NEWNET) < 0) {
    if (errno == EPERM) throw SetupError(kNeedRoot);
    throw_errno("unshare(CLONE_NEWNET)");
  }
  return current_netns();
}

bool write_sysctl(const std::string& path, const std::string& value) {
  const std::string full = "/proc/sys/" + path;
  int fd = ::open(full.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    throw_errno("open " + full);
  }
  Fd guard(fd);
  if (::write(fd, value.data(), value.size()) < 0) throw_errno("write " + full);
  return true;
}

std::optional<std::string> read_sysctl(const std::string& path) {
  const std::string full = "/proc/sys/" + path;
  int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open " + full);
  }
  Fd guard(fd);
  char buf[256];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0) throw_errno("read " + full);
  std::string v(buf, static_cast<size_t>(n));
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

void prepare_netns(bool ipv6) {
  for (const char* scope : {"all", "default"}) {
    const std::string base = std::string("net/ipv6/conf/") + scope + "/";
    if (!ipv6) {
      write_sysctl(base + "disable_ipv6", "1");
      continue;
    }
    write_sysctl(base + "disable_ipv6", "0");
    write_sysctl(base + "accept_dad", "0");
    write_sysctl(base + "dad_transmits", "0");
    write_sysctl(base + "router_solicitations", "0");
    write_sysctl(base + "addr_gen_mode", "1");  // no link-local address: no ND, no MLD noise
  }
  set_link_up("lo");
}

void set_link_up(const std::string& ifname) {
  Fd s = control_socket();
  ifreq ifr;
  fill_ifreq(ifr, ifname);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0) throw_errno("SIOCGIFFLAGS " + ifname);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) < 0) throw_errno("SIOCSIFFLAGS " + ifname);
}

void set_tx_queue_len(const std::string& ifname, int packets) {
  Fd s = control_socket();
  ifreq ifr;
  fill_ifreq(ifr, ifname);
  ifr.ifr_qlen = packets;
  if (::ioctl(s.get(), SIOCSIFTXQLEN, &ifr) < 0) throw_errno("SIOCSIFTXQLEN " + ifname);
}

Mac link_mac(const std::string& ifname) {
  Fd s = control_socket();
  ifreq ifr;
  fill_ifreq(ifr, ifname);
  if (::ioctl(s.get(), SIOCGIFHWADDR, &ifr) < 0) throw_errno("SIOCGIFHWADDR " + ifname);
  Mac m;
  std::memcpy(m.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

int link_index(const std::string& ifname) {
  Fd s = control_socket();
  ifreq ifr;
  fill_ifreq(ifr, ifname);
  if (::ioctl(s.get(), SIOCGIFINDEX, &ifr) < 0) throw_errno("SIOCGIFINDEX " + ifname);
  return ifr.ifr_ifindex;
}

void disable_offloads(const std::string& ifname) {
  Fd s = control_socket();
  for (uint32_t cmd : {ETHTOOL_STXCSUM, ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO}) {
    ethtool_value v{};
    v.cmd = cmd;
    v.data = 0;
    ifreq ifr;
    fill_ifreq(ifr, ifname);
    ifr.ifr_data = reinterpret_cast<char*>(&v);
    if (::ioctl(s.get(), SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP)
      throw_errno("ethtool offload setting on " + ifname);
  }
}

void create_veth(const std::string& name, const Mac& mac, const std::string& peer_name,
                 const Mac& peer_mac, int peer_ns_fd) {
  NetlinkRequest req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  req.put(&ifi, sizeof ifi);
  req.attr_str(IFLA_IFNAME, name);
  req.attr(IFLA_ADDRESS, mac.data(), mac.size());
  const size_t linkinfo = req.begin_nest(IFLA_LINKINFO);
  req.attr_str(IFLA_INFO_KIND, "veth");
  const size_t data = req.begin_nest(IFLA_INFO_DATA);
  const size_t peer = req.begin_nest(VETH_INFO_PEER);
  req.put(&ifi, sizeof ifi);
  req.attr_str(IFLA_IFNAME, peer_name);
  req.attr(IFLA_ADDRESS, peer_mac.data(), peer_mac.size());
  const uint32_t nsfd = static_cast<uint32_t>(peer_ns_fd);
  req.attr(IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
  req.end_nest(peer);
  req.end_nest(data);
  req.end_nest(linkinfo);
  const int err = req.execute();
  if (err == EOPNOTSUPP || err == ENOENT)
    throw SetupError("this kernel cannot create veth pairs (CONFIG_VETH missing?); use --link tun");
  if (err == EPERM) throw SetupError(kNeedRoot);
  if (err != 0) throw SystemError("creating veth pair " + name + "/" + peer_name, err);
}

void add_address(const std::string& ifname, const Address& addr, int prefix) {
  NetlinkRequest req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  ifaddrmsg ifa{};
  ifa.ifa_family = addr.family == Family::V4 ? AF_INET : AF_INET6;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
  ifa.ifa_index = static_cast<unsigned>(link_index(ifname));
  ifa.ifa_flags = addr.family == Family::V6 ? IFA_F_NODAD : 0;
  req.put(&ifa, sizeof ifa);
  req.attr(IFA_LOCAL, addr.bytes.data(), addr.size());
  req.attr(IFA_ADDRESS, addr.bytes.data(), addr.size());
  const int err = req.execute();
  if (err != 0) throw SystemError("adding address " + addr.str() + " to " + ifname, err);
}

void add_neighbour(const std::string& ifname, const Address& addr, const Mac& mac) {
  NetlinkRequest req(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
  ndmsg nd{};
  nd.ndm_family = addr.family == Family::V4 ? AF_INET : AF_INET6;
  nd.ndm_ifindex = link_index(ifname);
  nd.ndm_state = NUD_PERMANENT;
  req.put(&nd, sizeof nd);
  req.attr(NDA_DST, addr.bytes.data(), addr.size());
  req.attr(NDA_LLADDR, mac.data(), mac.size());
  const int err = req.execute();
  if (err != 0) throw SystemError("adding neighbour " + addr.str() + " on " + ifname, err);
}

Fd create_tun(const std::string& name) {
  int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
      throw SetupError("/dev/net/tun is missing: load the tun module (modprobe tun) or use --link veth");
    if (errno == EACCES || errno == EPERM) throw SetupError(kNeedRoot);
    throw_errno("open /dev/net/tun");
  }
  Fd tun(fd);
  ifreq ifr;
  fill_ifreq(ifr, name);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    if (errno == EPERM) throw SetupError(kNeedRoot);
    throw_errno("TUNSETIFF " + name);
  }
  // Persistent: closing the fd then leaves the device to die with its namespace, which
  // the kernel dismantles asynchronously, instead of unregistering it synchronously
  // (~20 ms of RCU grace periods) in close(). The namespace is anonymous, so the
  // device cannot outlive the lab.
  if (::ioctl(fd, TUNSETPERSIST, 1) < 0) throw_errno("TUNSETPERSIST " + name);
  return tun;
}

}  // namespace rstlab::detail
