// SPDX-License-Identifier: MIT
#include "link/injector.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "rstlab/error.h"

namespace rstlab::detail {

Injector::Injector(const std::string& ifname, const Mac* dest_mac) : ifname_(ifname) {
  // SOCK_DGRAM: the kernel builds the link-layer header (Ethernet on veth, none on tun)
  // from the address given to sendto. Protocol 0: this socket never receives anything.
  const int s = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    if (errno == EPERM || errno == EACCES)
      throw SetupError("the middle actor needs CAP_NET_RAW for its packet sockets: run rstlab as root");
    throw_errno("socket(AF_PACKET) for the middle actor on " + ifname);
  }
  sock_ = Fd(s);
  ifindex_ = link_index(ifname);
  if (dest_mac) {
    ethernet_ = true;
    dest_ = *dest_mac;
  }
}

void Injector::send(const std::vector<uint8_t>& ip_packet) {
  if (ip_packet.empty()) throw Error("the middle actor was given an empty packet to inject");
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex_;
  to.sll_protocol = htons((ip_packet[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP);
  if (ethernet_) {
    to.sll_halen = ETH_ALEN;
    std::memcpy(to.sll_addr, dest_.data(), ETH_ALEN);
  }
  for (;;) {
    const ssize_t n = ::sendto(sock_.get(), ip_packet.data(), ip_packet.size(), 0,
                               reinterpret_cast<const sockaddr*>(&to), sizeof to);
    if (n >= 0) return;
    if (errno == EINTR) continue;
    throw_errno("the middle actor could not inject a packet on " + ifname_);
  }
}

}  // namespace rstlab::detail
