// SPDX-License-Identifier: MIT
#pragma once
/// @file Running a scenario live: lab, recorder, actors and peer, step by step,
/// waiting on file descriptors with deadlines (never sleeping), into one Trace.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rstlab/capture.h"
#include "rstlab/lab.h"
#include "rstlab/packet_events.h"
#include "rstlab/scenario.h"
#include "rstlab/trace.h"

namespace rstlab {

struct RunOptions {
  LinkKind link = LinkKind::Veth;
  /// How long one step may take (a call that blocks longer is killed and reported).
  std::chrono::milliseconds step_timeout{2000};
  /// Called once the lab, recorder and actors exist, before the first step (tests use
  /// it to inspect or kill a run in progress).
  std::function<void()> on_lab_ready;
  /// A scenario whose actor is a program (`client exec "..."`): run it as this user
  /// (empty: root), and kill it (with all it started) after `program_timeout`.
  std::string user;
  std::chrono::milliseconds program_timeout{30000};
  /// Each chunk the program writes on stdout (1) or stderr (2), as it comes.
  std::function<void(int stream, const std::string& bytes)> on_program_output;
};

/// Labs kept for reuse across runs in one process: building a lab and opening its
/// captures costs tens of milliseconds, a scenario on a ready lab well under one.
/// Successive runs on one lab use successive ports, so a late segment of an earlier
/// connection can never be mistaken for the current one.
class LabCache {
 public:
  /// A lab serves `max_runs` runs (each on ports shifted by one), then is rebuilt.
  explicit LabCache(uint32_t max_runs = 20000);
  ~LabCache();
  LabCache(const LabCache&) = delete;
  LabCache& operator=(const LabCache&) = delete;
  struct Entry;
  Entry& get(const LabConfig& config);
  bool empty() const { return entries_.empty(); }
  uint32_t max_runs() const { return max_runs_; }

 private:
  uint32_t max_runs_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

struct RunResult {
  Trace trace;
  int link_type = 0;                     ///< pcap data-link type of the capture
  std::vector<CapturedPacket> packets;   ///< the capture, as written to capture.pcap
};

/// Runs one scenario in a fresh lab. Throws SetupError when the lab cannot be built;
/// everything that happens once it runs (including unmet expectations) is in the trace.
/// A scenario with a program (`exec` header) runs it traced in a lab of its own, the
/// crafted peer following the peer's steps (see rstlab/program.h).
RunResult run_scenario(const Scenario& scenario, const RunOptions& options, LabCache& labs);
/// The same in a lab of its own, torn down before returning.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options);

// connection_packets and add_packet_events: see rstlab/packet_events.h.

}  // namespace rstlab
