// SPDX-License-Identifier: MIT
#include "rstlab/address.h"

#include <arpa/inet.h>

#include <cstring>
#include <tuple>

#include "rstlab/error.h"

namespace rstlab {

const char* family_name(Family f) { return f == Family::V4 ? "ipv4" : "ipv6"; }

Address Address::v4(const uint8_t* b) {
  Address a;
  a.family = Family::V4;
  std::memcpy(a.bytes.data(), b, 4);
  return a;
}

Address Address::v6(const uint8_t* b) {
  Address a;
  a.family = Family::V6;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

Address Address::parse(const std::string& text) {
  Address a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = Family::V4;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = Family::V6;
    return a;
  }
  throw InputError("'" + text + "' is not an IPv4 or IPv6 address");
}

std::string Address::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::V4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

bool Address::operator<(const Address& o) const {
  return std::tie(family, bytes) < std::tie(o.family, o.bytes);
}

namespace {

char* put_decimal(char* p, unsigned v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *p++ = digits[--n];
  return p;
}

}  // namespace

size_t Endpoint::format(char* out) const {
  char* p = out;
  if (addr.family == Family::V4) {  // dotted quad by hand: the summary of a big capture prints many
    for (int i = 0; i < 4; ++i) {
      if (i) *p++ = '.';
      p = put_decimal(p, addr.bytes[static_cast<size_t>(i)]);
    }
  } else {
    *p++ = '[';
    inet_ntop(AF_INET6, addr.bytes.data(), p, INET6_ADDRSTRLEN);
    p += std::strlen(p);
    *p++ = ']';
  }
  *p++ = ':';
  p = put_decimal(p, port);
  *p = '\0';
  return static_cast<size_t>(p - out);
}

std::string Endpoint::str() const {
  char buf[kTextSize];
  return std::string(buf, format(buf));
}

Endpoint Endpoint::parse(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    throw InputError("'" + text + "' is not an endpoint (expected address:port)");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = text.substr(colon + 1);
  unsigned long port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) throw InputError("'" + text + "' has a bad port");
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535) throw InputError("'" + text + "' has a bad port");
  Endpoint e;
  e.addr = Address::parse(host);
  e.port = static_cast<uint16_t>(port);
  return e;
}

bool Endpoint::operator<(const Endpoint& o) const {
  return std::tie(addr, port) < std::tie(o.addr, o.port);
}

}  // namespace rstlab
