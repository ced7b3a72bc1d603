// SPDX-License-Identifier: MIT
#include "rstlab/lab.h"

#include <optional>

#include "lab/netdev.h"
#include "link/injector.h"
#include "link/links.h"
#include "rstlab/error.h"

namespace rstlab {

using detail::Fd;
using detail::Mac;

namespace {

// Fixed, locally administered MACs: captures are identical from run to run.
const Mac kNearMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
const Mac kFarMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

// A tun device drops what its reader has not taken once its ring (txqueuelen packets,
// 500 by default) is full. The runner reads it from one thread that also relays,
// records and drives the actors, so a bulk transfer can outpace it for a moment: with
// 500, a 4 MB write lost ~50 segments at the near device. Everything a socket has in
// flight fits in 8192 packets (tcp_wmem's 4 MB limit is < 3000 full segments), so the
// ring absorbs the burst and TCP's own windows do the pacing.
constexpr int kTunQueue = 8192;

int prefix_len(Family f) { return f == Family::V4 ? 24 : 64; }

}  // namespace

Address lab_address(Family f, uint8_t host) {
  if (f == Family::V4) {
    const uint8_t b[4] = {192, 0, 2, host};
    return Address::v4(b);
  }
  uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
  b[15] = host;
  return Address::v6(b);
}

struct Lab::Impl {
  Fd original;  // where the thread was before; restored on destruction
  Fd near, far;
  std::unique_ptr<PeerLink> peer_link;
  std::optional<detail::TunRelay> relay;
  std::unique_ptr<detail::Injector> injector[2];  // the middle actor's: near, far
};

Lab::Lab(const LabConfig& config) : config_(config), impl_(std::make_unique<Impl>()) {
  impl_->original = detail::current_netns();
  const bool v6 = config.family == Family::V6;
  const bool kernel_far = config.far_end == FarEndKind::Kernel;
  try {
    // The far namespace first: the veth end is moved into it when the pair is created.
    const bool need_far = config.link == LinkKind::Veth || kernel_far;
    Fd far_tun;
    if (need_far) {
      impl_->far = detail::new_anonymous_netns();
      // A crafted peer's namespace never speaks IPv6 itself; a kernel far end does if asked.
      detail::prepare_netns(v6 && kernel_far);
      if (config.link == LinkKind::Tun) {
        far_tun = detail::create_tun(kFarIface);
        detail::set_tx_queue_len(kFarIface, kTunQueue);
        detail::add_address(kFarIface, far_addr(), prefix_len(config.family));
        detail::set_link_up(kFarIface);
      }
    }
    impl_->near = detail::new_anonymous_netns();
    detail::prepare_netns(v6);

    if (config.link == LinkKind::Tun) {
      Fd tun = detail::create_tun(kNearIface);
      detail::set_tx_queue_len(kNearIface, kTunQueue);
      detail::add_address(kNearIface, near_addr(), prefix_len(config.family));
      detail::set_link_up(kNearIface);
      if (kernel_far) impl_->relay.emplace(std::move(tun), std::move(far_tun));
      else impl_->peer_link = detail::make_tun_link(std::move(tun));
    } else {
      detail::create_veth(kNearIface, kNearMac, kFarIface, kFarMac, impl_->far.get());
      detail::disable_offloads(kNearIface);
      detail::add_address(kNearIface, near_addr(), prefix_len(config.family));
      detail::add_neighbour(kNearIface, far_addr(), kFarMac);
      detail::set_link_up(kNearIface);

      detail::enter_netns(impl_->far.get());
      detail::disable_offloads(kFarIface);
      if (kernel_far) {
        detail::add_address(kFarIface, far_addr(), prefix_len(config.family));
        detail::add_neighbour(kFarIface, near_addr(), kNearMac);
      }
      detail::set_link_up(kFarIface);
      // The crafted peer's packet sockets are opened by peer_link(), when a peer is made:
      // opening and closing a packet socket waits for RCU grace periods, and a lab
      // without a peer (`rstlab exec` alone) needs none.
      detail::enter_netns(impl_->near.get());
    }
  } catch (...) {
    // Leave the caller where it was; the half-built namespaces die with their fds.
    // (If we never left, setns may itself be refused: keep the original error.)
    try {
      detail::enter_netns(impl_->original.get());
    } catch (const Error&) {
    }
    throw;
  }
}

Lab::~Lab() {
  impl_->injector[0].reset();
  impl_->injector[1].reset();
  impl_->peer_link.reset();
  impl_->relay.reset();
  try {
    detail::enter_netns(impl_->original.get());
  } catch (...) {
    // Nothing sensible to do in a destructor; the process keeps its lab namespace.
  }
}

Address Lab::near_addr() const { return lab_address(config_.family, 1); }
Address Lab::far_addr() const { return lab_address(config_.family, 2); }
int Lab::near_netns() const { return impl_->near.get(); }
int Lab::far_netns() const { return impl_->far.get(); }

bool Lab::set_sysctl(const std::string& path, const std::string& value) {
  detail::Fd here = detail::current_netns();
  bool ok = true;
  try {
    for (const detail::Fd* ns : {&impl_->near, &impl_->far}) {
      if (!*ns) continue;
      detail::enter_netns(ns->get());
      ok &= detail::write_sysctl(path, value);
    }
  } catch (...) {
    detail::enter_netns(here.get());
    throw;
  }
  detail::enter_netns(here.get());
  return ok;
}

std::optional<std::string> Lab::get_sysctl(const std::string& path) const {
  detail::Fd here = detail::current_netns();
  detail::enter_netns(impl_->near.get());
  std::optional<std::string> v;
  try {
    v = detail::read_sysctl(path);
  } catch (...) {
    detail::enter_netns(here.get());
    throw;
  }
  detail::enter_netns(here.get());
  return v;
}

PeerLink& Lab::peer_link() {
  if (!impl_->peer_link && config_.link == LinkKind::Veth && config_.far_end == FarEndKind::Peer) {
    // Opened in the far namespace, where its interface is; the caller stays where it was.
    detail::Fd here = detail::current_netns();
    try {
      detail::enter_netns(impl_->far.get());
      impl_->peer_link = detail::make_veth_link(kFarIface, kFarMac, kNearMac);
    } catch (...) {
      detail::enter_netns(here.get());
      throw;
    }
    detail::enter_netns(here.get());
  }
  if (!impl_->peer_link) throw Error("this lab has no crafted peer (far end is a kernel socket)");
  return *impl_->peer_link;
}

std::vector<int> Lab::pump_fds() const {
  if (!impl_->relay) return {};
  return {impl_->relay->fd_a(), impl_->relay->fd_b()};
}

void Lab::pump(int fd) {
  if (impl_->relay) impl_->relay->pump(fd);
}

void Lab::inject(bool from_near, const std::vector<uint8_t>& ip_packet) {
  if (config_.far_end != FarEndKind::Kernel) throw Error("the middle actor needs a kernel socket at both ends");
  auto& slot = impl_->injector[from_near ? 0 : 1];
  if (!slot) {
    // Opened on first use, in its end's namespace; the thread then returns where it was.
    const bool veth = config_.link == LinkKind::Veth;
    const Mac& dest = from_near ? kFarMac : kNearMac;
    detail::Fd here = detail::current_netns();
    detail::enter_netns(from_near ? impl_->near.get() : impl_->far.get());
    try {
      slot = std::make_unique<detail::Injector>(from_near ? kNearIface : kFarIface, veth ? &dest : nullptr);
    } catch (...) {
      detail::enter_netns(here.get());
      throw;
    }
    detail::enter_netns(here.get());
  }
  slot->send(ip_packet);
}

}  // namespace rstlab
