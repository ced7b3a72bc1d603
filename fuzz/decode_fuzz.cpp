// SPDX-License-Identifier: MIT
// libFuzzer: one captured packet -> decoder -> connection model. See docs/analyze.md.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rstlab::fuzz::decode_and_annotate(data, size);
  return 0;
}
