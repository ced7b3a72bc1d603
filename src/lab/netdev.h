// SPDX-License-Identifier: MIT
#pragma once
// Internal: the few network-configuration primitives the lab needs, done with
// ioctls and one netlink socket in the *current* network namespace. No `ip`
// command is run and nothing outside the lab's own namespaces is touched.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "rstlab/address.h"

namespace rstlab::detail {

using Mac = std::array<uint8_t, 6>;

/// An open file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Opens the calling thread's current network namespace.
Fd current_netns();
/// Moves the calling thread into the namespace `ns_fd` refers to.
void enter_netns(int ns_fd);
/// Creates a new anonymous network namespace, enters it and returns a handle to it.
Fd new_anonymous_netns();

/// Writes a /proc/sys value of the current namespace; false if the file does not exist.
bool write_sysctl(const std::string& path, const std::string& value);
/// Reads /proc/sys/PATH in the current namespace (trailing newline dropped); nullopt when
/// this kernel has no such setting. Throws on other errors.
std::optional<std::string> read_sysctl(const std::string& path);
/// Prepares a fresh namespace: loopback up; IPv6 off, or on without DAD and router
/// solicitations (which would otherwise add packets mid-scenario).
void prepare_netns(bool ipv6);

void set_link_up(const std::string& ifname);
/// Sets how many packets the device queues for transmission (SIOCSIFTXQLEN). For a tun
/// device this is the ring its reader takes packets from: once full, the kernel drops.
void set_tx_queue_len(const std::string& ifname, int packets);
Mac link_mac(const std::string& ifname);
int link_index(const std::string& ifname);
/// Turns off tx checksum offload, TSO, GSO and GRO: captured checksums are then real
/// and segments are never merged or split behind the scenario's back.
void disable_offloads(const std::string& ifname);

/// Creates a veth pair `name` (here) <-> `peer_name` (moved into `peer_ns_fd`).
void create_veth(const std::string& name, const Mac& mac, const std::string& peer_name,
                 const Mac& peer_mac, int peer_ns_fd);
/// Adds `addr`/`prefix` to `ifname` (IPv6 without duplicate address detection).
void add_address(const std::string& ifname, const Address& addr, int prefix);
/// A permanent neighbour entry, so no ARP/ND packet ever appears in a scenario.
void add_neighbour(const std::string& ifname, const Address& addr, const Mac& mac);
/// Creates a tun device (IFF_TUN | IFF_NO_PI) and returns its non-blocking fd.
Fd create_tun(const std::string& name);

}  // namespace rstlab::detail
