// SPDX-License-Identifier: MIT
#pragma once
// Internal: the middle actor's injection point on one end of the lab link.

#include <cstdint>
#include <string>
#include <vector>

#include "lab/netdev.h"

namespace rstlab::detail {

/// An AF_PACKET socket on one lab interface that sends whole IP packets out of it, as if
/// that namespace's kernel had sent them: they cross the link (veth, or the tun relay)
/// to the other end and the recorder sees them like any segment of that end. Opened in
/// the namespace current at construction (a packet socket belongs to the namespace it
/// is opened in); sending works from any namespace afterwards.
class Injector {
 public:
  /// `dest_mac` is the Ethernet destination (veth); nullptr for a tun device, which
  /// carries bare IP packets.
  Injector(const std::string& ifname, const Mac* dest_mac);
  void send(const std::vector<uint8_t>& ip_packet);

 private:
  Fd sock_;
  int ifindex_ = 0;
  bool ethernet_ = false;
  Mac dest_{};
  std::string ifname_;
};

}  // namespace rstlab::detail
