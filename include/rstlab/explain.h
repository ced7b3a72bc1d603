// SPDX-License-Identifier: MIT
#pragma once
/// @file From a log line to the packets (`rstlab explain`): the wording an ecosystem uses
/// for EPIPE, ECONNRESET, ECONNREFUSED, ETIMEDOUT or an orderly close, found in a line as
/// people paste it; the errno (or EOF) behind it, the side and the call that saw it, the
/// TCP events that produce it, the catalogue scenarios that reproduce it and what a
/// capture shows. Where a wording has two readings, both are given.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstlab/vocabulary.h"

namespace rstlab {

/// Which end of the connection the program that wrote the line is.
enum class LineSide : uint8_t {
  Unknown,  ///< the wording does not say whether it opened or accepted the connection
  Client,   ///< it opened the connection (connect)
  Server,   ///< it accepted the connection
};
const char* line_side_name(LineSide s);  ///< "unknown", "client", "server"

/// One way a wording comes about.
struct LineReading {
  /// An errno name ("ECONNRESET"...) or "EOF"; "timer" (the program's own deadline: no
  /// errno), "local-close" (the program closed the socket itself: no errno), or "" (the
  /// line does not say which error).
  std::string result;
  CallOp call = CallOp::Other;  ///< Read, Write, Connect, Accept; Pipe: a write to a pipe; Other: not told
  std::string call_from;        ///< how the call is known: "" the wording, else what told it
  std::string what;             ///< this reading in one sentence
  std::vector<std::string> events;     ///< the TCP events that produce it (the kernel's rules)
  /// The names of the model's rules that yield this result on this call (docs/rules.md),
  /// the names `analyze --json` and trace.json carry in their `rule` fields.
  std::vector<std::string> rules;
  std::vector<std::string> scenarios;  ///< catalogue names that reproduce it (`rstlab run NAME`)
  std::string capture;                 ///< what to look for in a capture (`rstlab analyze` columns)

  /// The errno for JSON: the name or "EOF", nullopt for the others.
  std::optional<std::string> errno_name() const;
};

struct LineExplanation {
  std::string line;        ///< the line as given
  std::string ecosystem;   ///< "Go", "Java", "curl", "nginx"...
  std::string wording;     ///< the words recognised, as they appear in the line
  std::string meaning;     ///< what the wording is, in one sentence
  LineSide side = LineSide::Unknown;
  std::string who;         ///< the side in words ("nginx, toward its upstream: the client there")
  std::vector<LineReading> readings;  ///< most likely first; two or more: the wording has several readings
  std::vector<std::string> notes;     ///< more to know about this wording
};

/// The explanation of one log line, or nullopt when it holds no known wording. Never throws
/// for any bytes.
std::optional<LineExplanation> explain_line(std::string_view line);

/// For a line with no known wording: the known wordings closest to something in it, best
/// first, at most `max` ("Connection reset by peer" for "...Connection reset by pear").
std::vector<std::string> closest_wordings(std::string_view line, size_t max = 3);

/// The known wordings, one example each, in the order they are tried (`--list`).
struct KnownWording {
  std::string ecosystem, example, result, call;
};
std::vector<KnownWording> known_wordings();

/// The text `rstlab explain` prints for one line (several lines, each ending in '\n').
/// `number`: the line's number in a file, shown first when given.
std::string render_explanation(const LineExplanation& e, std::optional<uint64_t> number = std::nullopt);

/// One JSON object on one line (no newline): line, ecosystem, errno, call, side, events,
/// scenarios, explanation; and line_number when `number` is given.
std::string explanation_json(const LineExplanation& e, std::optional<uint64_t> number = std::nullopt);

}  // namespace rstlab
