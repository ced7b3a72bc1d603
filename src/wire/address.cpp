// SPDX-License-Identifier: MIT
#include "rstlab/address.h"

#include <arpa/inet.h>

#include <charconv>
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
  char buf[INET6_ADDRSTRLEN];
  return std::string(buf, format(buf));
}

bool Address::operator<(const Address& o) const {
  return std::tie(family, bytes) < std::tie(o.family, o.bytes);
}

namespace {

/// "0" to "255", each in 4 bytes: the digits, then their count.
struct ByteTexts {
  char text[256][4] = {};
  constexpr ByteTexts() {
    for (int v = 0; v < 256; ++v) {
      int n = 0;
      if (v >= 100) text[v][n++] = static_cast<char>('0' + v / 100);
      if (v >= 10) text[v][n++] = static_cast<char>('0' + v / 10 % 10);
      text[v][n++] = static_cast<char>('0' + v % 10);
      text[v][3] = static_cast<char>(n);
    }
  }
};
constexpr ByteTexts kByteTexts;

/// Writes a.b.c.d; stores 4 bytes per number, so up to 3 bytes past the text may be
/// written over (every caller's buffer has room for an IPv6 address, far longer).
char* put_dotted_quad(char* p, const uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    const char* t = kByteTexts.text[b[i]];
    std::memcpy(p, t, 4);
    p += t[3];
    *p = '.';
    p += i < 3;
  }
  return p;
}

/// The text inet_ntop gives (RFC 5952): lowercase hex groups without leading zeros, the
/// longest run of two or more zero groups (the first of equals) as "::", and the last
/// 32 bits as a dotted quad for ::a.b.c.d and ::ffff:a.b.c.d. By hand: printf-based
/// inet_ntop cost more than the rest of a summary row.
char* put_ipv6(char* p, const uint8_t* b) {
  unsigned w[8];
  for (int i = 0; i < 8; ++i) w[i] = unsigned(b[2 * i]) << 8 | b[2 * i + 1];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (w[i]) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best = -1;
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) *p++ = ':';
      continue;
    }
    if (i) *p++ = ':';
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
      return put_dotted_quad(p, b + 12);
    bool digits = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (w[i] >> shift) & 0xf;
      if (d || digits || shift == 0) {
        *p++ = kHex[d];
        digits = true;
      }
    }
  }
  if (best >= 0 && best + best_len == 8) *p++ = ':';
  return p;
}

}  // namespace

size_t Address::format(char* out) const {
  char* p = family == Family::V4 ? put_dotted_quad(out, bytes.data()) : put_ipv6(out, bytes.data());
  *p = '\0';
  return static_cast<size_t>(p - out);
}

size_t Endpoint::format(char* out) const {
  char* p = out;
  // By hand, not inet_ntop: the summary of a big capture prints many.
  if (addr.family == Family::V4) {
    p = put_dotted_quad(p, addr.bytes.data());
  } else {
    *p++ = '[';
    p = put_ipv6(p, addr.bytes.data());
    *p++ = ']';
  }
  *p++ = ':';
  p = std::to_chars(p, p + 5, port).ptr;
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
