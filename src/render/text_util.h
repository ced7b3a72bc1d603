// SPDX-License-Identifier: MIT
#pragma once
// Internal: small text helpers shared by the renderers.

#include <cstdint>
#include <string>
#include <vector>

#include "rstlab/trace.h"

namespace rstlab::detail {

/// An action as the renderers label it: "peer close: ..." for the crafted peer's,
/// "output: stderr: ..." for a traced program's own (its output lines, its end).
std::string action_label(const Trace& t, const ActionEvent& a);
/// Whether an action belongs on the client's side of a ladder: the actor "client", or the
/// actor that holds connection 0's client end.
bool action_on_client(const Trace& t, const ActionEvent& a);
/// A traced program's output line as the renderers label it: "stderr: TEXT", the text
/// made visible().
std::string output_label(const OutputEvent& o);
/// Whether an output line belongs on the client's side of a ladder: its actor holds
/// connection 0's client end.
bool output_on_client(const Trace& t, const OutputEvent& o);

/// packet_verdict() of every event at once (empty for events that are no packet), in one
/// pass over the annotations: the renderers ask it of every packet of a long trace.
std::vector<std::string> packet_verdicts(const Trace& t);

/// `t - t0` in nanoseconds, exact in int64 (wall-clock times are ~1.7e18 ns: their
/// difference taken in double would lose the microseconds); a trace.json may hold any
/// times, so a difference beyond int64 (trace_fuzz found one) is taken in double instead.
inline double elapsed_ns(int64_t t0, int64_t t) {
  int64_t d = 0;
  if (__builtin_sub_overflow(t, t0, &d)) return static_cast<double>(t) - static_cast<double>(t0);
  return static_cast<double>(d);
}

/// Text made safe to print: control bytes (CR, LF, ESC...) become \r, \n, \t or \xNN and
/// bytes that are not valid UTF-8 become \xNN, so no output breaks a line, moves a
/// terminal's cursor or stops being valid text. Everything else, backslashes included,
/// is left as it is (the text may already be escaped, as the scenario's strings are).
std::string visible(const std::string& s);
/// Escapes & < > " for XML and HTML text and attributes.
std::string xml_escape(const std::string& s);
/// Breaks text into lines of at most about `width` characters, at spaces.
std::vector<std::string> wrap_words(const std::string& text, size_t width);

}  // namespace rstlab::detail
