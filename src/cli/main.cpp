// SPDX-License-Identifier: MIT
// rstlab's command line. Every error ends here as one line on stderr and an exit code:
// 0 all expectations met, 1 an expectation failed, 2 bad input, 3 the lab could not be built.
#include <sys/prctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/analyze_command.h"
#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/trace_json.h"
#include "rstlab/outputs.h"
#include "rstlab/render.h"
#include "rstlab/runner.h"
#include "rstlab/scenario.h"
#include "util/files.h"

namespace {

using namespace rstlab;

constexpr int kExitFailed = 1, kExitInput = 2, kExitSetup = 3;

const char* kDescription =
    "rstlab - which write() or read() first feels a TCP reset, and why.\n"
    "\n"
    "Runs scripted TCP situations against real Linux kernel sockets inside private\n"
    "network namespaces (nothing on the host changes), with a crafted libtins peer or a\n"
    "second kernel socket as the far end, records every packet with libpcap and writes an\n"
    "annotated timeline of packets and system calls: which call first saw the reset, and\n"
    "the kernel rule that decided it.\n"
    "\n"
    "Examples:\n"
    "  rstlab list                                   the built-in scenarios\n"
    "  rstlab show broken-pipe                       a scenario's file and story\n"
    "  sudo rstlab run broken-pipe                   crafted peer, veth link, into out/\n"
    "  sudo rstlab run reset-by-peer-kernel --link tun --out /tmp/rst\n"
    "  sudo rstlab run my-case.scn                   your own scenario file\n"
    "  sudo rstlab run --all --link both --json      everything, JSON Lines on stdout\n"
    "  rstlab diagram out/broken-pipe/veth/trace.json -f svg -o bp.svg\n"
    "  rstlab analyze incident.pcapng                who reset whom in a capture, and why\n";

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
  std::string link;  // empty: each scenario's own `link` line (veth unless it says otherwise)
  std::string out = "out";
  bool json = false;
  bool hold = false;
};

bool looks_like_file(const std::string& arg) {
  return arg.find('/') != std::string::npos ||
         (arg.size() > 4 && arg.compare(arg.size() - 4, 4, ".scn") == 0) || std::filesystem::exists(arg);
}

/// Every scenario named on the command line, parsed before anything runs.
std::vector<Scenario> gather(const RunArgs& a) {
  std::vector<Scenario> out;
  if (a.all) out = catalogue();
  for (const auto& n : a.names) out.push_back(looks_like_file(n) ? load_scenario_file(n) : find_scenario(n));
  if (out.empty()) throw InputError("name a scenario or a .scn file to run, or give --all (see 'rstlab list')");
  return out;
}

std::vector<LinkKind> links_from(const std::string& s) {
  if (s == "both") return {LinkKind::Veth, LinkKind::Tun};
  return {parse_link(s)};
}

std::string actor_kinds(const Scenario& s) {
  auto k = [](const ActorSpec& a) {
    return a.kind == ActorKind::Kernel ? "kernel" : a.kind == ActorKind::Peer ? "peer" : "none";
  };
  return std::string(k(s.client)) + "/" + k(s.server);
}

int cmd_list(bool json) {
  if (json) {
    for (const auto& s : catalogue())
      std::cout << nlohmann::ordered_json{{"name", s.name}, {"title", s.title}, {"actors", actor_kinds(s)},
                                  {"family", family_name(s.family)}}
                       .dump()
                << "\n";
    return 0;
  }
  std::printf("%-26s %-14s %-5s %s\n", "NAME", "CLIENT/SERVER", "IP", "TITLE");
  for (const auto& s : catalogue())
    std::printf("%-26s %-14s %-5s %s\n", s.name.c_str(), actor_kinds(s).c_str(),
                s.family == Family::V4 ? "v4" : "v6", s.title.c_str());
  std::printf("\n%zu scenarios. 'rstlab show NAME' prints one with its story.\n", catalogue().size());
  return 0;
}

int cmd_show(const std::string& name) {
  if (looks_like_file(name)) {
    load_scenario_file(name);  // says where it is wrong, if it is
    std::printf("# %s\n%s", name.c_str(), detail::read_file(name).c_str());
    return 0;
  }
  const CatalogueEntry& e = find_scenario_source(name);
  std::printf("# scenarios/%s\n%s", e.file.c_str(), e.text.c_str());
  return 0;
}

struct Row {
  std::string name, link, dir, observer;
  bool passed;
  size_t met = 0, failed = 0;
};

Row summarise(const RunResult& r, const std::string& dir) {
  Row row{r.trace.scenario, r.trace.link, dir, "-", r.trace.passed()};
  for (const auto& e : r.trace.events)
    if (e.met) (*e.met ? row.met : row.failed)++;
  if (const auto& f = r.trace.first_observer) row.observer = f->actor + " " + f->call + " -> " + f->result;
  return row;
}

nlohmann::ordered_json row_json(const Row& row, const Trace& t) {
  nlohmann::ordered_json j = {{"scenario", row.name},
                      {"link", row.link},
                      {"passed", row.passed},
                      {"expectations", {{"met", row.met}, {"failed", row.failed}}},
                      {"failures", t.failures},
                      {"dir", row.dir}};
  if (const auto& f = t.first_observer)
    j["first_observer"] = {{"actor", f->actor}, {"call", f->call}, {"result", f->result}, {"reason", f->reason}};
  else
    j["first_observer"] = nullptr;
  return j;
}

struct DiagramArgs {
  std::string trace;
  std::string format = "svg";
  std::string time = "order";
  std::string output;
};

int cmd_diagram(const DiagramArgs& a) {
  const Trace t = trace_from_json(detail::read_file(a.trace), a.trace);
  const TimeMode mode = a.time == "proportional" ? TimeMode::Proportional : TimeMode::EventOrder;
  std::string text;
  if (a.format == "svg") text = render_svg(t, mode);
  else if (a.format == "mermaid") text = render_mermaid(t);
  else if (a.format == "plantuml") text = render_plantuml(t);
  else if (a.format == "html") text = render_html_report(t, mode);
  else text = render_text(t, false);
  if (a.output.empty() || a.output == "-") {
    std::fputs(text.c_str(), stdout);
  } else {
    detail::write_file_atomic(a.output, text);
    std::fprintf(stderr, "rstlab: wrote %s\n", a.output.c_str());
  }
  return 0;
}

int cmd_run(const RunArgs& a, LabCache& labs) {
  const std::vector<Scenario> todo = gather(a);
  size_t total = 0;
  for (const Scenario& s : todo) total += a.link.empty() ? s.links.size() : links_from(a.link).size();
  const bool single = total == 1 && !a.json;
  const bool tty_out = ::isatty(STDOUT_FILENO), tty_err = ::isatty(STDERR_FILENO);

  std::vector<Row> rows;
  for (const Scenario& s : todo) {
    for (LinkKind link : a.link.empty() ? s.links : links_from(a.link)) {
      RunOptions opt;
      opt.link = link;
      if (a.hold)
        opt.on_lab_ready = [] {
          std::fprintf(stderr, "rstlab: lab ready (pid %d); press Enter to continue\n", ::getpid());
          std::fflush(stderr);
          std::getchar();
        };
      if (total > 1 && tty_err)
        std::fprintf(stderr, "\r\033[K[%zu/%zu] %s (%s)", rows.size() + 1, total, s.name.c_str(), link_name(link));
      RunResult r = run_scenario(s, opt, labs);
      const std::string dir = write_run_folder(a.out, r);
      rows.push_back(summarise(r, dir));
      if (single) std::fputs(render_text(r.trace, tty_out).c_str(), stdout);
      if (a.json) std::cout << row_json(rows.back(), r.trace).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    }
  }
  if (total > 1 && tty_err) std::fprintf(stderr, "\r\033[K");
  const std::string index = write_index(a.out);
  size_t failed = 0;
  for (const auto& r : rows) failed += r.passed ? 0 : 1;
  if (a.json) return failed ? kExitFailed : 0;
  if (single) {
    std::printf("\nwrote %s/: trace.txt, trace.json, capture.pcap(ng), diagram.{svg,mmd,puml}, index.html\n",
                rows[0].dir.c_str());
    return failed ? kExitFailed : 0;
  }
  std::printf("%-26s %-5s %-46s %-7s %-7s %s\n", "SCENARIO", "LINK", "FIRST OBSERVER", "RESULT", "EXPECT",
              "OUTPUT");
  for (const auto& r : rows)
    std::printf("%-26s %-5s %-46s %-7s %3zu/%-3zu %s\n", r.name.c_str(), r.link.c_str(), r.observer.c_str(),
                r.passed ? "passed" : "FAILED", r.met, r.met + r.failed, r.dir.c_str());
  std::printf("\n%zu run%s, %zu failed. Report: %s\n", rows.size(), rows.size() == 1 ? "" : "s", failed,
              index.c_str());
  return failed ? kExitFailed : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(kDescription, "rstlab");
  app.require_subcommand(1);
  app.footer("Exit status: 0 every expectation met, 1 an expectation failed, 2 bad input,\n"
             "3 the lab could not be built (rstlab needs root: it creates network namespaces).\n"
             "Scenario language: docs/scenario-language.md. Outputs: docs/output-formats.md.");

  bool list_json = false;
  auto* list = app.add_subcommand("list", "List the built-in scenarios");
  list->add_flag("--json", list_json, "One JSON object per scenario (JSON Lines)");

  std::string show_name;
  auto* show = app.add_subcommand("show", "Print a scenario's file: its story and steps");
  show->add_option("scenario", show_name, "A built-in name or a .scn file")->required();

  DiagramArgs da;
  auto* diagram = app.add_subcommand("diagram", "Re-render a saved trace.json as a diagram or report");
  diagram->add_option("trace", da.trace, "A trace.json written by 'rstlab run'")->required();
  diagram->add_option("--format,-f", da.format, "svg, mermaid, plantuml, html or text")
      ->check(CLI::IsMember({"svg", "mermaid", "plantuml", "html", "text"}))
      ->capture_default_str();
  diagram->add_option("--time", da.time, "Vertical axis: order (one row per event) or proportional (time)")
      ->check(CLI::IsMember({"order", "proportional"}))
      ->capture_default_str();
  diagram->add_option("-o,--output", da.output, "Output file (default: standard output)");
  diagram->footer("Example: rstlab diagram out/broken-pipe/veth/trace.json -f svg --time proportional -o bp.svg");

  AnalyzeArgs aa;
  auto* analyze = app.add_subcommand("analyze", "Explain every reset in a pcap/pcapng capture");
  analyze->add_option("files", aa.files,
                      "pcap or pcapng files (Ethernet, VLAN, Linux SLL/SLL2, raw IP, loopback), or folders of them; "
                      "several are read as one capture in time order; - reads standard input")
      ->required();
  analyze->add_flag("--all", aa.all, "List every connection, not only those that ended with a reset or an anomaly");
  analyze->add_flag("--explain,-e", aa.explain,
                    "Under each row, its reasons: each RST's cause and effect, why a call fails");
  analyze->add_flag("--json", aa.json, "JSON Lines: one object per connection (every connection), reasons included")
      ->excludes("--explain");
  analyze->add_option("--flow", aa.flow, "One connection (by ID): its annotated trace")->excludes("--explain");
  analyze->add_option("--svg", aa.svg, "With --flow: write its ladder diagram here")->needs("--flow");
  analyze->add_option("--mermaid", aa.mermaid, "With --flow: write a Mermaid diagram here")->needs("--flow");
  analyze->add_option("--plantuml", aa.plantuml, "With --flow: write a PlantUML diagram here")->needs("--flow");
  analyze->add_option("--html", aa.html, "With --flow: write an HTML report here")->needs("--flow");
  analyze->footer(
      "For every RST and FIN: who sent it, the most likely cause from the wire, what the receiver's\n"
      "kernel did with it (accepted -> errno stored, challenge ACK, ignored) and what each endpoint's\n"
      "next read and write return. Both endpoints are taken to be Linux. See docs/analyze.md.\n"
      "The table has one row per connection and ends with the causes it lists, each with its\n"
      "meaning; --explain adds each row's reasons under it, --flow ID one connection's timeline.\n"
      "Several files (the rotations of tcpdump -C/-G/-W), or a folder of them, are read as one\n"
      "capture in the order of their first packets: connections go on across files, frame\n"
      "numbers too. A file that overlaps the one before it in time, or has another link type,\n"
      "is analysed as a capture of its own, and the output says so.\n"
      "--flow ID: one connection's timeline with the same causes and predictions as the table\n"
      "('prediction from the capture'); with --json, JSON Lines: the connection's object (as\n"
      "--json prints it), then one object per packet; --svg/--mermaid/--plantuml/--html write files.\n"
      "Exit codes: 0 analysed (whatever the capture shows); 2 bad input (a file that cannot be\n"
      "read, a folder without captures, an unsupported link type, no such connection, bad\n"
      "options); 3 any other error.\n"
      "Examples:\n"
      "  rstlab analyze captures/broken-pipe-veth.pcap --explain\n"
      "  rstlab analyze big.pcapng --json | jq 'select(.ending==\"rst\")'\n"
      "  rstlab analyze ring/trace.pcap0 ring/trace.pcap1 ring/trace.pcap2\n"
      "  rstlab analyze rotated-captures/ --explain\n"
      "  rstlab analyze captures/broken-pipe-veth.pcap --flow 1 --svg flow1.svg --html flow1.html\n"
      "  rstlab analyze captures/broken-pipe-veth.pcap --flow 1 --json | jq -c 'select(.type==\"packet\")'");

  RunArgs ra;
  auto* run = app.add_subcommand("run", "Run scenarios live and write their traces and captures");
  run->add_option("scenario", ra.names, "Built-in names (see 'rstlab list') or .scn files");
  run->add_flag("--all", ra.all, "Run every built-in scenario");
  run->add_option("--link", ra.link,
                  "veth (raw-socket peer on a veth pair), tun, or both; default: the scenario's own "
                  "'link' line, veth if it has none")
      ->check(CLI::IsMember({"veth", "tun", "both"}));
  run->add_option("--out", ra.out, "Parent folder: each run writes OUT/<scenario>/<link>/")->capture_default_str();
  run->add_flag("--json", ra.json, "Machine output: one JSON object per run (JSON Lines) on stdout");
  run->add_flag("--hold", ra.hold, "Pause once the lab is built (for tests)")->group("");
  run->footer(
      "One run prints its annotated timeline; several print a summary table. Each run folder\n"
      "holds trace.txt, trace.json (jq), capture.pcap and capture.pcapng (Wireshark; the pcapng\n"
      "carries the annotations as packet comments), diagram.svg, diagram.mmd (Mermaid),\n"
      "diagram.puml (PlantUML) and index.html; OUT/index.html lists every run under OUT.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitInput;
  }
  try {
    if (app.got_subcommand("list")) return cmd_list(list_json);
    if (app.got_subcommand("show")) return cmd_show(show_name);
    if (app.got_subcommand("diagram")) return cmd_diagram(da);
    if (app.got_subcommand("analyze")) return run_analyze(aa);
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
