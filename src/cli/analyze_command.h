// SPDX-License-Identifier: MIT
#pragma once
// Internal: the `analyze` subcommand.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rstlab {

struct AnalyzeArgs {
  std::vector<std::string> files;  ///< files and folders, read as one capture where they are one
  bool all = false;
  bool json = false;
  bool explain = false;  ///< the table: each row's reasons under it
  std::optional<uint64_t> flow;
  std::string svg, mermaid, plantuml, html;
};

int run_analyze(const AnalyzeArgs& args);

}  // namespace rstlab
