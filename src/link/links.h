// SPDX-License-Identifier: MIT
#pragma once
// Internal: constructors of the PeerLink implementations, used by the Lab.

#include <memory>
#include <string>

#include "lab/netdev.h"
#include "rstlab/link.h"

namespace rstlab::detail {

/// The peer reads and writes raw IP packets on the tun device's fd.
std::unique_ptr<PeerLink> make_tun_link(Fd tun_fd);

/// The peer receives with a libtins Sniffer (pcap, immediate mode, inbound only) and
/// sends Ethernet frames through libtins' PacketSender (AF_PACKET raw socket) on
/// `ifname`. Must be called with the thread inside the namespace that holds `ifname`:
/// both sockets belong to the namespace they are opened in.
std::unique_ptr<PeerLink> make_veth_link(const std::string& ifname, const Mac& own_mac,
                                         const Mac& kernel_mac);

/// Copies packets between two tun devices in two namespaces: a wire made of
/// userspace, for kernel-against-kernel runs over tun.
class TunRelay {
 public:
  TunRelay(Fd a, Fd b) : a_(std::move(a)), b_(std::move(b)) {}
  int fd_a() const { return a_.get(); }
  int fd_b() const { return b_.get(); }
  /// Forwards up to a batch of the packets waiting on `from` to the other device (call
  /// again while `from` stays readable); returns how many it forwarded.
  size_t pump(int from);

 private:
  Fd a_, b_;
};

}  // namespace rstlab::detail
