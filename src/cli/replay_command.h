// SPDX-License-Identifier: MIT
#pragma once
// Internal: the `replay` subcommand.

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace rstlab {

struct ReplayArgs {
  std::string file;
  std::optional<uint64_t> flow;
  std::string kernel = "client";
  std::string then = "read,write";
  std::string timing = "fast";
  std::string link = "veth";
  std::string out = "out";
  bool out_given = false;  ///< --out was on the command line (--json without it writes no folder)
  bool json = false;
  std::string emit;  ///< --emit-scenario FILE ("-": standard output)
  bool all_resets = false;
  unsigned jobs = 4;  ///< --jobs: replays run side by side, each worker with labs of its own
};

/// Adds `rstlab replay` to `app`, its options bound to `args`.
CLI::App* add_replay_command(CLI::App& app, ReplayArgs& args);

/// Runs it: 0 faithful, 1 diverged, (exceptions: 2 bad input, 3 lab).
int run_replay(const ReplayArgs& args);

}  // namespace rstlab
