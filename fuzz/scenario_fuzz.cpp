// SPDX-License-Identifier: MIT
// libFuzzer: a scenario file's text -> the scenario parser. See docs/scenario-language.md.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rstlab::fuzz::parse_scenario_bytes(data, size);
  return 0;
}
