// SPDX-License-Identifier: MIT
#pragma once
// Internal: the `explain` subcommand.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace rstlab {

struct ExplainArgs {
  std::vector<std::string> line;  ///< the line (its words, if the shell split it), or "-" for standard input
  std::string file;               ///< --file: a whole log
  bool json = false;
  bool list = false;
};

/// Adds `rstlab explain` to `app`, its options bound to `args`.
CLI::App* add_explain_command(CLI::App& app, ExplainArgs& args);

int run_explain(const ExplainArgs& args);

}  // namespace rstlab
