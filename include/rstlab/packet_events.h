// SPDX-License-Identifier: MIT
#pragma once
/// @file From captured frames to a trace's packet events: shared by live runs (the
/// recorder's capture) and `rstlab analyze --flow` (a capture file). Core code: no lab.

#include <cstdint>
#include <vector>

#include "rstlab/capture.h"
#include "rstlab/trace.h"

namespace rstlab {

/// The packets of one run's connection: on a lab shared by several runs, late segments
/// of earlier connections (other ports) are left out and counted in `foreign`.
std::vector<CapturedPacket> connection_packets(const Trace& trace, int link_type,
                                               const std::vector<CapturedPacket>& packets,
                                               uint64_t& foreign);

/// Builds the packet events of a trace from a capture: decodes every frame, keeps the
/// segments between `client` and `server`, numbers sequence space relative to each
/// side's ISN. Counts the frames it could not place in trace.capture.undecoded.
void add_packet_events(Trace& trace, int link_type, const std::vector<CapturedPacket>& packets);

}  // namespace rstlab
