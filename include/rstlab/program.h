// SPDX-License-Identifier: MIT
#pragma once
/// @file Running an unmodified program in the lab (`rstlab exec`): a private network
/// namespace (lo up, plus the lab's TEST-NET addresses 192.0.2.1 and 2001:db8::1), a
/// private PID namespace (everything it starts dies with it: nothing survives the run),
/// strace inside those namespaces, the recorder on every interface of the namespace.
/// The result is a RunResult like a scenario's, written by write_run_folder().

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/runner.h"
#include "rstlab/scenario.h"

namespace rstlab {

struct ExecOptions {
  std::vector<std::string> command;  ///< the program and its arguments
  std::string name;                  ///< the run's name (folder); default: the program's file name
  std::chrono::milliseconds timeout{30000};  ///< then the program and its children are killed
  std::string user;                  ///< run the program as this user (strace -u); empty: root
  /// Called with each chunk the program writes on stdout (1) or stderr (2), as it comes.
  std::function<void(int stream, const std::string& bytes)> on_output;
  std::string strace = "strace";     ///< the tracer, by name (searched in PATH) or path
  /// The lab's link. Unset: veth, and the run's link (its folder) is named "exec".
  std::optional<LinkKind> link;
  /// `--peer SCENARIO`: the crafted peer is the program's far end and follows this
  /// scenario's peer steps; the program plays the scenario's other actor (client or
  /// server). `{server}`/`{client}` in the command and RSTLAB_SERVER/RSTLAB_CLIENT in
  /// its environment give it the addresses. Unset: the program plays both ends itself.
  std::optional<Scenario> peer;
};


/// Finds `word` as the shell would (PATH unless it holds a '/'), executable by `user`
/// (`--user`; empty: root). Throws InputError: "CMD: command not found", "CMD: not
/// executable", "user NAME may not execute it", "--user NAME: no such user".
std::string resolve_command(const std::string& word, const std::string& user = "");

/// Runs the program to its end (or its timeout) and returns the annotated trace.
/// Throws InputError for a command that cannot run, SetupError when strace is missing
/// or the lab cannot be built.
RunResult run_program(const ExecOptions& options);

}  // namespace rstlab
