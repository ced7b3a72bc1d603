// SPDX-License-Identifier: MIT
// The JSON object `rstlab run --json` prints for one run, which `replay --json` and
// `exec --json` extend with their own keys: one shape for every command that runs a lab.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "rstlab/trace.h"

namespace rstlab {

/// scenario, link, passed, expectations {met, failed}, failures, model_mismatches, dir
/// (the run folder written), first_observer {actor, call, result, reason} or null.
nlohmann::ordered_json run_json(const Trace& t, const std::string& dir);

}  // namespace rstlab
