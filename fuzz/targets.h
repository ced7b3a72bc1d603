// SPDX-License-Identifier: MIT
#pragma once
// The two fuzz entry points, shared by the libFuzzer harnesses (fuzz/*.cpp) and by the
// regression test that replays every input they once crashed on
// (tests/unit/fuzz_regression_test.cpp).

#include <cstddef>
#include <cstdint>

#include "rstlab/analyze.h"
#include "rstlab/error.h"
#include "rstlab/wire.h"

namespace rstlab::fuzz {

/// Bytes -> decoded packet -> connection model and annotation. The first byte picks
/// the link type, the rest is one captured packet (fed twice, both directions' state).
inline void decode_and_annotate(const uint8_t* data, size_t size) {
  static const int kLinks[] = {linktype::ETHERNET, linktype::RAW, linktype::LINUX_SLL, linktype::LINUX_SLL2,
                               linktype::NULL_BSD, linktype::LOOP, linktype::IPV4, linktype::IPV6};
  if (size < 1) return;
  const int dlt = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
  TcpSegment s;
  decode_tcp(dlt, data + 1, size - 1, s, true);
  Analyzer a(dlt, [](const ConnectionReport& r) { (void)r.ending.size(); });
  a.on_packet(1, 1, data + 1, size - 1, static_cast<uint32_t>(size - 1));
  a.on_packet(2, 2, data + 1, size - 1, static_cast<uint32_t>(size + 100));
  a.finish();
}

/// Bytes as a whole pcap/pcapng file through the reader and the analyzer.
inline void read_capture_bytes(const uint8_t* data, size_t size) {
  try {
    analyze_memory(data, size, "fuzz", [](const ConnectionReport& r) { (void)r.resets.size(); });
  } catch (const InputError&) {
    // A clear refusal is a correct answer for bad bytes.
  }
}

}  // namespace rstlab::fuzz
