// SPDX-License-Identifier: MIT
#pragma once
/// @file The files a live run writes: DIR/<scenario>/<link>/{capture.pcap, capture.pcapng,
/// trace.json, trace.txt, diagram.svg, diagram.mmd, diagram.puml, index.html}, and
/// DIR/index.html listing every run found under DIR.

#include <string>
#include <vector>

#include "rstlab/runner.h"

namespace rstlab {

/// Writes the run folder under `out_parent` and returns its path. Each file is
/// written under a temporary name and renamed into place.
std::string write_run_folder(const std::string& out_parent, const RunResult& run);

/// A run folder this process has just written (write_run_folder's path) and its trace.
struct WrittenRun {
  std::string dir;
  const Trace* trace = nullptr;
};

/// Rewrites OUT/index.html from every OUT/<scenario>/<link>/trace.json; returns its path.
/// The runs in `written` are taken from memory rather than read back (the same row).
std::string write_index(const std::string& out_parent, const std::vector<WrittenRun>& written = {});

/// Per packet of the run's capture, the annotations that concern it (for pcapng).
std::vector<std::string> packet_comments(const Trace& trace, size_t packets);

}  // namespace rstlab
