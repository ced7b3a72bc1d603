// SPDX-License-Identifier: MIT
#pragma once
// Internal: the clock every event of a trace is stamped with. CLOCK_REALTIME, because
// libpcap stamps captured packets with it: calls and packets then share one timeline.

#include <time.h>

#include <cstdint>

namespace rstlab::detail {

inline int64_t wall_clock_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace rstlab::detail
