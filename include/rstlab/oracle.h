// SPDX-License-Identifier: MIT
#pragma once
/// @file The free oracle: every live call records the TCP state its socket is in just
/// after it returns (TCP_INFO's tcpi_state), and the model follows the same endpoint
/// from the wire. Where the two differ, the model (or the trace) is wrong. The comparison
/// is a pass of its own, after annotate(): it replays the trace's packets through a fresh
/// ConnectionModel and reads each side's state when the kernel's was read.

#include <cstddef>
#include <vector>

#include "rstlab/trace.h"

namespace rstlab {

/// One annotation of kind "mismatch" per call whose recorded TCP state differs from the
/// model's state for that endpoint at the moment the state was read ("MODEL MISMATCH:
/// TCP_INFO says CLOSE_WAIT, the model says ESTABLISHED"), in event order. Calls without
/// a recorded state (no socket, a pipe, close()) are not compared. The model's TIME_WAIT
/// is compared as CLOSE: the descriptor's full socket is closed when the connection
/// enters TIME_WAIT, and only the kernel's timewait socket holds that state. Every connection of
/// the trace is replayed on its own. See docs/user-guide.md (The model against TCP_INFO)
/// for the timing rules and the one transient tolerated.
std::vector<Annotation> compare_with_tcp_info(const Trace& trace);

/// Adds compare_with_tcp_info()'s annotations to trace.annotations, keeping them in
/// event order; returns how many it added.
size_t check_states(Trace& trace);

/// Judges a finished lab run (one connection, live calls with their TCP_INFO states), the
/// same way wherever the trace comes from - the runner just after the run, or a trace.json
/// saved by an earlier run: annotate(), the run's first observer as connection 0's, then
/// check_states(). Returns check_states()'s count.
size_t judge_lab_run(Trace& trace);

}  // namespace rstlab
