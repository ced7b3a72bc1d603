// SPDX-License-Identifier: MIT
#include "rstlab/wire.h"

#include "wire/decode_tcp.h"

namespace rstlab {

using detail::rd16;

std::string tcp_flags_string(uint8_t f) {
  static const struct {
    uint8_t bit;
    char c;
  } order[] = {{tcpflag::FIN, 'F'}, {tcpflag::SYN, 'S'}, {tcpflag::RST, 'R'}, {tcpflag::PSH, 'P'},
               {tcpflag::URG, 'U'}, {tcpflag::ECE, 'E'}, {tcpflag::CWR, 'W'}, {tcpflag::ACK, '.'}};
  std::string s;
  for (const auto& o : order)
    if (f & o.bit) s += o.c;
  return s.empty() ? "none" : s;
}

const char* decode_status_name(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::Ok: return "ok";
    case DecodeStatus::NotTcp: return "not-tcp";
    case DecodeStatus::Truncated: return "truncated";
    case DecodeStatus::BadIpHeader: return "bad-ip-header";
    case DecodeStatus::BadTcpHeader: return "bad-tcp-header";
    case DecodeStatus::UnknownLinkType: return "unknown-link-type";
  }
  return "?";
}

uint32_t checksum_add(uint32_t sum, const uint8_t* data, size_t len) {
  // Sums 16-bit big-endian words; 64-bit accumulator folded at the end avoids overflow.
  uint64_t acc = sum;
  size_t i = 0;
  for (; i + 1 < len; i += 2) acc += rd16(data + i);
  if (i < len) acc += uint32_t(data[i]) << 8;
  while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

DecodeStatus decode_tcp(int dlt, const uint8_t* data, size_t caplen, TcpSegment& out, bool verify_checksum) {
  return detail::decode_tcp_inline(dlt, data, caplen, out, verify_checksum);
}

}  // namespace rstlab
