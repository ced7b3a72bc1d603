// SPDX-License-Identifier: MIT
#pragma once
/// @file TCP sequence-number arithmetic modulo 2^32 (RFC 793 / RFC 1982 style).

#include <cstdint>

namespace rstlab::seq {

/// a < b in sequence space (handles wrap-around).
constexpr bool lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
constexpr bool le(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
constexpr bool gt(uint32_t a, uint32_t b) { return lt(b, a); }
constexpr bool ge(uint32_t a, uint32_t b) { return le(b, a); }
/// Signed distance from `from` to `to` (positive when `to` is after `from`).
constexpr int64_t diff(uint32_t to, uint32_t from) { return static_cast<int32_t>(to - from); }
/// Offset of `value` from `base`, as the unsigned relative number tcpdump prints.
constexpr uint32_t relative(uint32_t value, uint32_t base) { return value - base; }
/// True when `s` lies in [left, left + size) in sequence space.
constexpr bool in_window(uint32_t s, uint32_t left, uint32_t size) {
  return static_cast<uint32_t>(s - left) < size;
}

}  // namespace rstlab::seq
