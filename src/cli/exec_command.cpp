// SPDX-License-Identifier: MIT
// `rstlab exec -- CMD ARGS...`: an unmodified program in the lab, traced; its run folder
// is a run folder like any other (trace.txt, trace.json, capture, diagrams, index.html).
#include "cli/exec_command.h"
#include "cli/run_json.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "rstlab/error.h"
#include "rstlab/exit_status.h"
#include "rstlab/outputs.h"
#include "rstlab/program.h"
#include "rstlab/render.h"
#include "rstlab/scenario.h"

namespace rstlab {
namespace {

/// A run name fit for a folder: the program's file name, or --name.
std::string run_name(const ExecArgs& a) {
  std::string n = a.name;
  if (n.empty() && !a.command.empty()) {
    n = a.command[0];
    if (const size_t slash = n.rfind('/'); slash != std::string::npos) n = n.substr(slash + 1);
    n = "exec-" + n;
  }
  if (n.empty() || n == "." || n == ".." || n.find('/') != std::string::npos)
    throw InputError("exec: --name " + a.name + ": a run name may not be empty, '.', '..' or hold '/'");
  return n;
}

}  // namespace

CLI::App* add_exec_command(CLI::App& app, ExecArgs& a) {
  auto* exec = app.add_subcommand("exec", "Run your own program in the lab, traced: its calls beside the packets");
  exec->add_option("command", a.command, "The program and its arguments, after --")->required();
  exec->add_option("--out", a.out, "Parent folder: the run writes OUT/NAME/exec/")->capture_default_str();
  exec->add_option("--name", a.name, "The run's name (default: exec-PROGRAM)");
  exec->add_option("--timeout", a.timeout, "Seconds before the program (and all it started) is killed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  exec->add_option("--user", a.user, "Run the program as this user (rstlab and strace stay root)");
  exec->add_flag("--json", a.json, "Machine output: one JSON object for the run on stdout");
  exec->add_option("--link", a.link, "The lab's link: veth or tun (the run's folder is then OUT/NAME/LINK/)")
      ->check(CLI::IsMember({"veth", "tun"}));
  exec->add_option("--peer", a.peer,
                   "A scenario (built-in name or .scn file) whose crafted peer is the program's far end: "
                   "the peer follows its steps, the program plays the other end");
  exec->footer(
      "The program runs unmodified in a private network namespace (lo up, and 192.0.2.1 and\n"
      "2001:db8::1 on the lab's interface) and a private PID namespace, under strace. Its calls\n"
      "on TCP sockets and pipes become the trace's calls (poll, select and epoll_wait: one per\n"
      "socket they watched, with its events), each line it prints an 'output' event, its end an\n"
      "'exit' action; every connection is annotated and has its first observer.\n"
      "It shares the host's filesystem and sees only the lab's network. Standard input is\n"
      "/dev/null; its output is shown as it runs (on stderr with --json) and kept in the trace.\n"
      "With --peer SCENARIO the crafted peer (at 192.0.2.2) plays the scenario's peer and follows\n"
      "its steps; the program plays the other end and makes its own calls. It finds the peer\n"
      "through {server} and {client} in its arguments (ADDR:PORT) or RSTLAB_SERVER and\n"
      "RSTLAB_CLIENT in its environment; as the server it listens on RSTLAB_SERVER's port.\n"
      "Examples:\n"
      "  sudo rstlab exec -- python3 tests/programs/classic.py broken-pipe\n"
      "  sudo rstlab exec --timeout 5 -- ./my-server --port 8080\n"
      "  sudo rstlab exec -- sh -c './prog | head -n 1'\n"
      "  sudo rstlab exec --peer broken-pipe -- ./my-client {server}\n"
      "  sudo rstlab exec --peer reset-by-peer-server.scn --link tun -- ./my-server\n"
      "See docs/programs.md.\n"
      "Exit status: 0 the run is complete, 1 it is not (no TCP connection was made, the program\n"
      "was killed at --timeout, the capture dropped packets, a step of the --peer failed), 2 bad\n"
      "input (command not found or not executable, a --peer scenario that is unknown, malformed\n"
      "or has no crafted peer, an --out that cannot be written, no such --user, a bad option),\n"
      "3 the lab could not be built or strace is missing (rstlab needs root), 4 an internal error\n"
      "(a bug: please report it).");
  return exec;
}

int run_exec(const ExecArgs& a) {
  ExecOptions o;
  o.command = a.command;
  o.name = run_name(a);
  o.user = a.user;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::llround(a.timeout * 1000)));
  if (!a.link.empty()) o.link = parse_link(a.link);
  if (!a.peer.empty()) {
    const bool file = a.peer.find('/') != std::string::npos ||
                      (a.peer.size() > 4 && a.peer.compare(a.peer.size() - 4, 4, ".scn") == 0);
    o.peer = file ? load_scenario_file(a.peer) : find_scenario(a.peer);
  }
  // The program's own output, as it comes: on stderr with --json (stdout is the JSON line).
  o.on_output = [json = a.json](int stream, const std::string& bytes) {
    std::FILE* to = json || stream == 2 ? stderr : stdout;
    std::fwrite(bytes.data(), 1, bytes.size(), to);
    std::fflush(to);
  };
  resolve_command(a.command.at(0), a.user);  // says so before any lab is built
  {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(a.out, ec);
    if (ec || ::access(a.out.c_str(), W_OK | X_OK) != 0)
      throw InputError("--out " + a.out + ": cannot write there" + (ec ? ": " + ec.message() : ""));
  }
  const RunResult r = run_program(o);
  const std::string dir = write_run_folder(a.out, r);
  write_index(a.out, {{dir, &r.trace}});
  const Trace& t = r.trace;
  if (a.json) {
    // run --json's keys, then the program's: its command line and how many connections it made.
    nlohmann::ordered_json j = run_json(t, dir);
    j["command"] = a.command;
    j["connections"] = t.connections.size();
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    std::fputs(render_text(t, ::isatty(STDOUT_FILENO)).c_str(), stdout);
    std::printf("\nwrote %s/: trace.txt, trace.json, capture.pcap(ng), diagram.{svg,mmd,puml}, index.html\n",
                dir.c_str());
  }
  return t.passed() ? kExitOk : kExitFailed;
}

}  // namespace rstlab
