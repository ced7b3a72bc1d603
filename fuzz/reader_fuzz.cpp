// SPDX-License-Identifier: MIT
// libFuzzer: a whole pcap/pcapng file -> libpcap reader -> analyzer. See docs/analyze.md.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rstlab::fuzz::read_capture_bytes(data, size);
  return 0;
}
