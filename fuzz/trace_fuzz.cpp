// SPDX-License-Identifier: MIT
// libFuzzer: a trace.json's bytes -> the reader -> every renderer (`rstlab diagram`).
// See docs/output-formats.md.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rstlab::fuzz::read_trace_bytes(data, size);
  return 0;
}
