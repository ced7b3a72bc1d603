// SPDX-License-Identifier: MIT
#pragma once
/// @file The lab: private network namespaces and the link between the kernel socket
/// and its far end. Everything is anonymous (unshare, no /run/netns entry), so it
/// disappears with the process however it ends, even on kill -9.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/link.h"

namespace rstlab {

/// What plays the far end of the connection.
enum class FarEndKind {
  Peer,    ///< The crafted libtins peer.
  Kernel,  ///< A second real kernel socket, in its own namespace.
};

struct LabConfig {
  LinkKind link = LinkKind::Veth;
  FarEndKind far_end = FarEndKind::Peer;
  Family family = Family::V4;
};

/// Interface names inside the lab namespaces (never on the host).
inline constexpr const char* kNearIface = "rst0";
inline constexpr const char* kFarIface = "rst1";

/// The lab's addresses, by host number: 1 near (192.0.2.1 / 2001:db8::1), 2 far
/// (192.0.2.2 / 2001:db8::2). TEST-NET-1 (RFC 5737) and the documentation prefix
/// (RFC 3849) only.
Address lab_address(Family f, uint8_t host);

class Lab {
 public:
  /// Builds the namespaces and link. The calling thread is left in the near
  /// namespace (where the kernel socket lives) until the Lab is destroyed.
  /// Throws SetupError with a clear reason when privileges or devices are missing.
  explicit Lab(const LabConfig& config);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  const LabConfig& config() const { return config_; }
  /// The kernel socket's address (192.0.2.1 / 2001:db8::1).
  Address near_addr() const;
  /// The far end's address (192.0.2.2 / 2001:db8::2).
  Address far_addr() const;
  /// Namespace handle of the near side, and of the far side for kernel far ends.
  int near_netns() const;
  int far_netns() const;

  /// Writes a /proc/sys value inside the lab's namespaces (near, and far when there is
  /// one) — never the host's. Returns false when this kernel has no such setting.
  bool set_sysctl(const std::string& path, const std::string& value);
  /// Reads a /proc/sys value in the near namespace (the far one, when there is one, was
  /// set alike); nullopt when this kernel has no such setting.
  std::optional<std::string> get_sysctl(const std::string& path) const;

  /// The peer's packet I/O (far end Peer only).
  PeerLink& peer_link();
  /// File descriptors the lab itself must service (the tun relay for a kernel far
  /// end over tun); call pump() when one is readable.
  std::vector<int> pump_fds() const;
  void pump(int fd);

  /// Sends one IP packet out of the near (`from_near`) or far end's lab interface, as
  /// if that end's kernel had sent it: the middle actor's injection points (kernel far
  /// end only). The packet crosses the link like that end's own segments.
  void inject(bool from_near, const std::vector<uint8_t>& ip_packet);

 private:
  struct Impl;
  LabConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rstlab
