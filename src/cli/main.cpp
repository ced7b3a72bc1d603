// SPDX-License-Identifier: MIT
// rstlab's command line. Every error ends here as one line on stderr and an exit code:
// 0 all expectations met, 1 an expectation failed, 2 bad input, 3 the lab could not be built.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "rstlab/error.h"
#include "rstlab/outputs.h"
#include "rstlab/render.h"
#include "rstlab/runner.h"
#include "rstlab/scenario.h"

namespace {

using namespace rstlab;

constexpr int kExitFailed = 1, kExitInput = 2, kExitSetup = 3;

const char* kDescription =
    "rstlab - which write() or read() first feels a TCP reset, and why.\n"
    "\n"
    "Runs scripted TCP situations against real Linux kernel sockets inside private\n"
    "network namespaces (nothing on the host changes), with a crafted libtins peer or a\n"
    "second kernel socket as the far end, records every packet with libpcap and writes an\n"
    "annotated timeline of packets and system calls.\n"
    "\n"
    "Examples:\n"
    "  rstlab list\n"
    "  sudo rstlab run broken-pipe                 # crafted peer, veth link, into out/\n"
    "  sudo rstlab run reset-by-peer-kernel --link tun --out /tmp/rst\n"
    "  sudo rstlab run --all --link both\n";

/// Ends the process without paying for the lab's teardown. Closing packet sockets and
/// network devices waits for RCU grace periods (~20 ms each, 60 ms for a veth lab); a
/// child that inherits the last references and is killed when this process has fully
/// exited pays it instead, after the user has the prompt back. The namespaces are
/// anonymous: they vanish with that child, and nothing is ever left on the host.
[[noreturn]] void exit_leaving_teardown_to_child(int rc) {
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(0);
    ::close(1);
    ::close(2);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // delivered once the parent's files are closed
    if (::getppid() != parent) _exit(0);
    for (;;) ::pause();
  }
  _exit(rc);
}

struct RunArgs {
  std::vector<std::string> names;
  bool all = false;
  std::string link = "veth";
  std::string out = "out";
  bool hold = false;
};

std::vector<LinkKind> links_from(const std::string& s) {
  if (s == "both") return {LinkKind::Veth, LinkKind::Tun};
  return {parse_link(s)};
}

int cmd_list() {
  for (const auto& s : catalogue()) std::printf("%-24s %s\n", s.name.c_str(), s.title.c_str());
  return 0;
}

int cmd_run(const RunArgs& a, LabCache& labs) {
  std::vector<const Scenario*> todo;
  if (a.all)
    for (const auto& s : catalogue()) todo.push_back(&s);
  for (const auto& n : a.names) todo.push_back(&find_scenario(n));
  if (todo.empty()) throw InputError("name a scenario to run, or give --all (see 'rstlab list')");
  const auto links = links_from(a.link);
  const bool single = todo.size() * links.size() == 1;
  const bool tty = ::isatty(STDOUT_FILENO);

  struct Row {
    std::string name, link, dir;
    bool passed;
    size_t packets;
  };
  std::vector<Row> rows;
  for (const Scenario* s : todo) {
    for (LinkKind link : links) {
      RunOptions opt;
      opt.link = link;
      if (a.hold)
        opt.on_lab_ready = [] {
          std::fprintf(stderr, "rstlab: lab ready (pid %d); press Enter to continue\n", ::getpid());
          std::fflush(stderr);
          std::getchar();
        };
      if (!single && tty)
        std::fprintf(stderr, "\r[%zu/%zu] %s (%s)...\033[K", rows.size() + 1,
                     todo.size() * links.size(), s->name.c_str(), link_name(link));
      RunResult r = run_scenario(*s, opt, labs);
      const std::string dir = write_run_folder(a.out, r);
      if (single) std::fputs(render_text(r.trace, tty).c_str(), stdout);
      rows.push_back({s->name, link_name(link), dir, r.trace.passed(), r.packets.size()});
    }
  }
  if (!single && tty) std::fprintf(stderr, "\r\033[K");
  if (!single) std::printf("%-24s %-5s %-7s %8s  %s\n", "SCENARIO", "LINK", "RESULT", "PACKETS", "OUTPUT");
  bool all_ok = true;
  for (const auto& r : rows) {
    all_ok &= r.passed;
    if (single) std::printf("\nwrote %s/{capture.pcap,trace.json,trace.txt}\n", r.dir.c_str());
    else
      std::printf("%-24s %-5s %-7s %8zu  %s\n", r.name.c_str(), r.link.c_str(),
                  r.passed ? "passed" : "FAILED", r.packets, r.dir.c_str());
  }
  return all_ok ? 0 : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(kDescription, "rstlab");
  app.require_subcommand(1);
  app.footer("Exit status: 0 every expectation met, 1 an expectation failed, 2 bad input,\n"
             "3 the lab could not be built (rstlab needs root: it creates network namespaces).");

  app.add_subcommand("list", "List the built-in scenarios");

  RunArgs ra;
  auto* run = app.add_subcommand("run", "Run scenarios live and write their traces and captures");
  run->add_option("scenario", ra.names, "Built-in scenario names (see 'rstlab list')");
  run->add_flag("--all", ra.all, "Run every built-in scenario");
  run->add_option("--link", ra.link, "veth (raw-socket peer on a veth pair), tun, or both")
      ->check(CLI::IsMember({"veth", "tun", "both"}))
      ->capture_default_str();
  run->add_option("--out", ra.out, "Parent folder: each run writes OUT/<scenario>/<link>/")
      ->capture_default_str();
  run->add_flag("--hold", ra.hold, "Pause once the lab is built (for tests)")->group("");
  run->footer("Each run folder holds capture.pcap (open it in Wireshark), trace.json (jq) and trace.txt.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitInput;
  }
  try {
    if (app.got_subcommand("list")) return cmd_list();
    LabCache labs;
    const int rc = cmd_run(ra, labs);
    exit_leaving_teardown_to_child(rc);
  } catch (const InputError& e) {
    std::fprintf(stderr, "rstlab: %s\n", e.what());
    return kExitInput;
  } catch (const SetupError& e) {
    std::fprintf(stderr, "rstlab: %s\n", e.what());
    return kExitSetup;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rstlab: %s\n", e.what());
    return kExitSetup;
  }
}
