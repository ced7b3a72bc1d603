// SPDX-License-Identifier: MIT
#pragma once
/// @file Column-aligned text tables for the terminal: `rstlab list` and the summary of
/// several runs. Every column is as wide as its widest cell, so long scenario names and
/// long first-observer cells keep the columns straight.

#include <cstddef>
#include <string>
#include <vector>

namespace rstlab {

/// The rows under the header, each column padded to its widest cell (in characters, UTF-8
/// aware), two spaces between columns, no trailing blanks. A row may have fewer cells.
std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// One row of `rstlab run`'s summary of several runs.
struct RunSummaryRow {
  std::string scenario, link;
  std::string first_observer = "-";  ///< "client write -> EPIPE +SIGPIPE (killed)", or "-"
  bool passed = false;
  size_t met = 0, total = 0;  ///< expectations met, of those checked
  std::string dir;            ///< the run folder
  size_t mismatches = 0;      ///< model mismatches (annotations of kind "mismatch")
};

/// SCENARIO, LINK, FIRST OBSERVER, RESULT, EXPECT (met/total), OUTPUT.
std::string render_run_summary(const std::vector<RunSummaryRow>& rows);

}  // namespace rstlab
