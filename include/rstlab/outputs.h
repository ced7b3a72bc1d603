// SPDX-License-Identifier: MIT
#pragma once
/// @file The files a live run writes: DIR/<scenario>/<link>/{capture.pcap, trace.json, trace.txt}.

#include <string>

#include "rstlab/runner.h"

namespace rstlab {

/// Writes the run folder under `out_parent` and returns its path. Each file is
/// written under a temporary name and renamed into place.
std::string write_run_folder(const std::string& out_parent, const RunResult& run);

}  // namespace rstlab
