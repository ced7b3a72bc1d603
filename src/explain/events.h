// SPDX-License-Identifier: MIT
#pragma once
// Internal: the TCP events behind a call's result, as the kernel's rules say. One function,
// so that the rules table (rules_yielding() in rstlab/rules.h, once it lands) can serve it
// in one place.

#include <string>
#include <string_view>
#include <vector>

#include "rstlab/vocabulary.h"

namespace rstlab::detail {

/// The events that end a `call` with `result`, one sentence each, the deciding one first.
/// `result`: an errno name ("ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT",
/// "ECONNABORTED"), "EOF"; or, for what no kernel rule yields, "timer" (the program's own
/// deadline expired) and "local-close" (the program closed the socket itself). `call`:
/// Read, Write, Connect, Accept, Other (the wording does not tell), or Pipe for a write to a
/// pipe. Empty for a pair it has nothing to say about.
std::vector<std::string> events_for(std::string_view result, CallOp call);

/// The catalogue scenarios that reproduce `result` in `call`, the most telling first
/// (explain.cpp; a unit test checks each name against the catalogue).
std::vector<std::string> scenarios_for(const std::string& result, CallOp call);

}  // namespace rstlab::detail
