// SPDX-License-Identifier: MIT
#pragma once
/// @file Live replay (`rstlab replay`): one connection of a capture translated into a
/// scenario - the kernel side's calls inferred from its segments, the other side played
/// by the crafted peer segment by segment - and the replay's capture compared with the
/// original, segment by segment. The translation and the comparison are core (no
/// privileges); the run itself is an ordinary scenario run (rstlab/runner.h).
/// See docs/replay.md.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/analyze.h"
#include "rstlab/capture.h"
#include "rstlab/scenario.h"
#include "rstlab/trace.h"
#include "rstlab/vocabulary.h"

namespace rstlab {

/// One connection cut out of a capture, with what `analyze` says about it.
struct CapturedFlow {
  std::string file;     ///< the capture file
  ConnectionReport report;
  int link_type = 0;
  std::vector<CapturedPacket> packets;  ///< its packets, frames numbered as in the file
};

/// Reads `file` and keeps connection `flow` (numbered as `rstlab analyze` prints them);
/// without `flow`, the one connection that ended with a reset (refused ones included). Throws InputError (one
/// line) for a file that cannot be read, one without TCP, no such flow, no reset
/// connection, or several of them (the message lists the candidates and their ids).
CapturedFlow choose_flow(const std::string& file, std::optional<uint64_t> flow);

/// Every connection of `file` that `choose_flow` would offer without --flow (one that
/// holds an RST after its handshake, or a SYN refused with RST|ACK), in order, from one pass of the analyzer and one
/// read of the file (`--all-resets`). Throws InputError like choose_flow, and when there
/// is none.
std::vector<CapturedFlow> reset_flows(const std::string& file);

/// How a replay is made.
struct ReplayOptions {
  Role kernel = Role::Client;  ///< the side played by a real kernel socket
  /// The kernel side's calls once the exchange is over ("read", "write", "send",
  /// "so_error", "poll"), in order: the first consumes a pending error.
  std::vector<std::string> then = {"read", "write"};
  bool capture_timing = false;  ///< `after N ms` before each step: the captured gaps; a retransmission story's rto_min
  std::string name;             ///< the scenario's name (default: from the file and flow)
};

/// Checks a --then list ("read,write"); throws InputError naming a word it does not know.
std::vector<std::string> parse_probe_list(const std::string& list);

/// The replay as a scenario: `text` in the scenario language, commented with the
/// capture's frames each step came from (what --emit-scenario writes), and `scenario`,
/// that text parsed (what runs). A refused connect becomes the connect that gets the RST
/// (kernel client) or a peer SYN the lab's kernel refuses (kernel server); with
/// `capture_timing`, a kernel side that retransmitted sets the lab's rto_min to its
/// captured timeout and the peer ACKs only as captured. Throws InputError when the flow
/// cannot be replayed (no handshake and no data).
struct ReplayPlan {
  std::string text;
  Scenario scenario;
  /// The first probe step's index in scenario.steps (steps.size(): no probe).
  size_t probe_step = 0;
  std::vector<std::string> notes;  ///< what was inferred or synthesised, in words
};
ReplayPlan plan_replay(const CapturedFlow& flow, const ReplayOptions& options);

/// When the replay's first probe call began (its trace's SyscallEvent::t_start_ns): the
/// segments from then on are the probes', which the capture cannot hold, and are left
/// out of the comparison. INT64_MAX when no probe ran.
int64_t probe_start_ns(const Trace& replay, const ReplayPlan& plan);

/// One unit of comparison: a segment as the comparison sees it (relative numbers, the
/// flags that matter), from the original or the replay.
struct WireUnit {
  Dir dir = Dir::ClientToServer;
  uint8_t flags = 0;  ///< without PSH, URG, ECE, CWR
  uint32_t seq = 0, ack = 0, len = 0;
  uint64_t frame = 0;  ///< the frame it came from (the first, when merged)
  std::string str() const;  ///< "client>server F. seq=5 ack=3 len=0"
};

/// The units of one connection's packets: relative seq/ack (from each side's SYN, or
/// its first segment less one mid-stream), retransmissions and pure ACKs left out (but
/// an ACK right after an RST from the other side: a challenge ACK), data carrying a FIN
/// split in two, consecutive data of one side merged (segmentation is the sender's
/// choice). `client` is the end that sent the SYN.
std::vector<WireUnit> wire_units(int link_type, const std::vector<CapturedPacket>& packets, const Endpoint& client,
                                 bool skip_handshake = false);

/// Faithful, or the first divergence and its likely reason.
struct ReplayVerdict {
  bool faithful = true;
  size_t compared = 0;     ///< units compared
  std::string divergence;  ///< "" when faithful: "at segment 4 (frame 7): ...; likely: ..."
};
ReplayVerdict compare_units(const std::vector<WireUnit>& original, const std::vector<WireUnit>& replay,
                            Role kernel);

}  // namespace rstlab
