// SPDX-License-Identifier: MIT
#pragma once
/// @file trace.json: writing a Trace and reading one back (for re-rendering).

#include <string>

#include "rstlab/trace.h"

namespace rstlab {

/// The trace as a pretty-printed JSON document (format documented in docs/output-formats.md).
std::string trace_to_json(const Trace& trace);

/// Parses a trace.json document. `source` names the file in error messages.
/// Throws InputError naming the source and the first problem found.
Trace trace_from_json(const std::string& text, const std::string& source);

}  // namespace rstlab
