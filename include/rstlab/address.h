// SPDX-License-Identifier: MIT
#pragma once
/// @file IPv4/IPv6 addresses and TCP endpoints, independent of any socket API.

#include <array>
#include <cstdint>
#include <string>

namespace rstlab {

enum class Family { V4, V6 };

/// Name used in files and on the command line: "ipv4" / "ipv6".
const char* family_name(Family f);

/// An IPv4 or IPv6 address held as raw network-order bytes.
struct Address {
  Family family = Family::V4;
  std::array<uint8_t, 16> bytes{};  ///< IPv4 uses the first 4 bytes.

  static Address v4(const uint8_t* b);
  static Address v6(const uint8_t* b);
  /// Parses dotted-quad or IPv6 text; throws InputError on bad text.
  static Address parse(const std::string& text);

  size_t size() const { return family == Family::V4 ? 4 : 16; }
  /// As inet_ntop writes it ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1").
  std::string str() const;
  /// Writes str() into `out` (INET6_ADDRSTRLEN, 46 bytes) without allocating; returns its length.
  size_t format(char* out) const;
  bool operator==(const Address& o) const { return family == o.family && bytes == o.bytes; }
  bool operator!=(const Address& o) const { return !(*this == o); }
  bool operator<(const Address& o) const;
};

/// An address and a port, printed "192.0.2.1:40000" or "[2001:db8::1]:40000".
struct Endpoint {
  Address addr;
  uint16_t port = 0;

  /// Parses "192.0.2.1:80" or "[2001:db8::1]:80"; throws InputError.
  static Endpoint parse(const std::string& text);
  std::string str() const;
  /// Room for the longest str() ("[" IPv6 "]:" port) and a NUL.
  static constexpr size_t kTextSize = 56;
  /// Writes str() into `out` (kTextSize bytes) without allocating; returns its length.
  size_t format(char* out) const;
  bool operator==(const Endpoint& o) const { return port == o.port && addr == o.addr; }
  bool operator!=(const Endpoint& o) const { return !(*this == o); }
  bool operator<(const Endpoint& o) const;
};

}  // namespace rstlab
