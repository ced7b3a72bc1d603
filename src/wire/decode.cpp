// SPDX-License-Identifier: MIT
#include "rstlab/wire.h"

#include "wire/decode_tcp.h"

#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
  // Every segment's checksum is checked, so this runs over every payload byte: 32-bit
  // words in host order into 64-bit accumulators, four independent sums of 32 bytes a
  // step so that the adds do not wait on each other (each stays far below 2^64 for any
  // packet: no carry is lost). The one's complement sum does not depend on byte order
  // (RFC 1071 2(B)): the folded host-order sum, byte-swapped on a little-endian host, is
  // the big-endian one.
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
#ifdef __SSE2__
  // The same sums with SSE2 (every x86-64 CPU): each 32-bit word widened to a 64-bit
  // lane, 32 bytes a step in two accumulators - half the instructions of the plain loop.
  {
    const __m128i zero = _mm_setzero_si128();
    __m128i a0 = zero, a1 = zero;
    for (; i + 32 <= len; i += 32) {
      const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + 16));
      a0 = _mm_add_epi64(a0, _mm_add_epi64(_mm_unpacklo_epi32(v0, zero), _mm_unpackhi_epi32(v0, zero)));
      a1 = _mm_add_epi64(a1, _mm_add_epi64(_mm_unpacklo_epi32(v1, zero), _mm_unpackhi_epi32(v1, zero)));
    }
    uint64_t lanes[4];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), a0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes + 2), a1);
    s0 = lanes[0];
    s1 = lanes[1];
    s2 = lanes[2];
    s3 = lanes[3];
  }
#endif
  for (; i + 32 <= len; i += 32) {
    uint64_t w[4];
    std::memcpy(w, data + i, 32);
    s0 += (w[0] & 0xffffffffu) + (w[0] >> 32);
    s1 += (w[1] & 0xffffffffu) + (w[1] >> 32);
    s2 += (w[2] & 0xffffffffu) + (w[2] >> 32);
    s3 += (w[3] & 0xffffffffu) + (w[3] >> 32);
  }
  uint64_t acc = (s0 + s1) + (s2 + s3);
  for (; i + 8 <= len; i += 8) {
    uint32_t w[2];
    std::memcpy(w, data + i, 8);
    acc += uint64_t(w[0]) + w[1];
  }
  for (; i + 2 <= len; i += 2) {
    uint16_t w;
    std::memcpy(&w, data + i, 2);
    acc += w;
  }
  if (i < len) {  // an odd last byte is the high byte of a big-endian word
    const uint8_t pad[2] = {data[i], 0};
    uint16_t w;
    std::memcpy(&w, pad, 2);
    acc += w;
  }
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  uint16_t folded = static_cast<uint16_t>(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  folded = static_cast<uint16_t>(folded << 8 | folded >> 8);
#endif
  uint64_t total = uint64_t(sum) + folded;
  total = (total & 0xffffffffu) + (total >> 32);
  return static_cast<uint32_t>(total);
}

uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

DecodeStatus decode_tcp(int dlt, const uint8_t* data, size_t caplen, TcpSegment& out, bool verify_checksum) {
  return detail::decode_tcp_inline(dlt, data, caplen, out, verify_checksum);
}

}  // namespace rstlab
