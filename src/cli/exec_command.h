// SPDX-License-Identifier: MIT
#pragma once
// Internal: the `exec` subcommand (a program under test).

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace rstlab {

struct ExecArgs {
  std::vector<std::string> command;  ///< everything after --
  std::string out = "out";
  std::string name;
  double timeout = 30;
  std::string user;
  bool json = false;
  std::string link;  ///< veth or tun; empty: veth, the run's folder named exec
  std::string peer;  ///< a scenario (name or .scn file) whose crafted peer is the far end
};

/// Adds `rstlab exec` to `app`, its options bound to `args`.
CLI::App* add_exec_command(CLI::App& app, ExecArgs& args);

int run_exec(const ExecArgs& args);

}  // namespace rstlab
