// SPDX-License-Identifier: MIT
// rstlab's command line. Every error ends here as one line on stderr and an exit code:
// 0 all expectations met, 1 an expectation failed, 2 bad input, 3 the lab could not be built
// or run, 4 an internal error (see ExitStatus in rstlab/error.h).
#include <pcap/pcap.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli/analyze_command.h"
#include "cli/course_command.h"
#include "cli/exec_command.h"
#include "cli/explain_command.h"
#include "cli/replay_command.h"
#include "cli/run_json.h"
#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/exit_status.h"
#include "rstlab/trace_json.h"
#include "rstlab/outputs.h"
#include "rstlab/render.h"
#include "rstlab/runner.h"
#include "rstlab/scenario.h"
#include "rstlab/table.h"
#include "util/files.h"
#include "util/suggest.h"

namespace {

using namespace rstlab;

const std::vector<std::string> kCommands = {"list", "show", "run", "diagram", "analyze", "course", "explain", "replay", "exec"};

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
    "  rstlab analyze incident.pcapng                who reset whom in a capture, and why\n"
    "  sudo rstlab course --out course               interactive lessons for a class\n"
    "  sudo rstlab replay incident.pcap --flow 3     re-enact a captured connection on a real socket\n"
    "  sudo rstlab exec -- python3 client.py         your own program, traced in the lab\n";

/// `rstlab --version`: what a bug report needs, one short line each. libpcap says which
/// library is loaded at run time; libtins has no such call, so its version is the one
/// pkg-config reported when rstlab was built (CMake passes both versions in).
std::string version_text() {
  std::string text = std::string("rstlab ") + RSTLAB_VERSION + "\n";
  text += std::string("libtins ") + RSTLAB_TINS_VERSION + " (built against)\n";
  text += std::string(pcap_lib_version()) + "\n";
  struct utsname host {};
  if (::uname(&host) == 0)
    text += std::string("kernel ") + host.sysname + " " + host.release + " " + host.machine;
  else
    text += std::string("kernel unknown (uname: ") + std::strerror(errno) + ")";
  return text;
}

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
  bool allow_exec = false;  ///< a .scn file may run the program its `exec` header names
  std::string user;         ///< the user programs (`exec` headers) run as
};

bool looks_like_file(const std::string& arg) {
  return arg.find('/') != std::string::npos ||
         (arg.size() > 4 && arg.compare(arg.size() - 4, 4, ".scn") == 0) || std::filesystem::exists(arg);
}

/// Every scenario named on the command line, parsed before anything runs.
std::vector<Scenario> gather(const RunArgs& a) {
  std::vector<Scenario> out;
  if (a.all) out = catalogue();
  for (const auto& n : a.names) {
    if (!looks_like_file(n)) {
      out.push_back(find_scenario(n));  // the built-in catalogue is trusted
      continue;
    }
    out.push_back(load_scenario_file(n));
    // A file from elsewhere that runs a program runs it as root: only when asked.
    if (const ActorSpec* p = out.back().program_actor(); p && !a.allow_exec)
      throw InputError(p->program->where + ": this scenario runs a program: " + p->program->text +
                       " (give --allow-exec to run it)");
  }
  if (out.empty()) throw InputError("name a scenario or a .scn file to run, or give --all (see 'rstlab list')");
  return out;
}

std::vector<LinkKind> links_from(const std::string& s) {
  if (s == "both") return {LinkKind::Veth, LinkKind::Tun};
  return {parse_link(s)};
}

std::string actor_kinds(const Scenario& s) {
  auto k = [](const ActorSpec& a) {
    return a.program ? "program" : a.kind == ActorKind::Kernel ? "kernel" : a.kind == ActorKind::Peer ? "peer" : "none";
  };
  return std::string(k(s.client)) + "/" + k(s.server) + (s.middle ? "+middle" : "");
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
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : catalogue())
    rows.push_back({s.name, actor_kinds(s), s.family == Family::V4 ? "v4" : "v6", s.title});
  std::fputs(render_table({"NAME", "CLIENT/SERVER", "IP", "TITLE"}, rows).c_str(), stdout);
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

RunSummaryRow summarise(const RunResult& r, const std::string& dir) {
  RunSummaryRow row;
  row.scenario = r.trace.scenario;
  row.link = r.trace.link;
  row.dir = dir;
  row.passed = r.trace.passed();
  for (const auto& e : r.trace.events)
    if (e.met) {
      ++row.total;
      if (*e.met) ++row.met;
    }
  if (const auto& f = r.trace.first_observer) row.first_observer = f->actor + " " + f->call + " -> " + f->result;
  row.mismatches = model_mismatches(r.trace);
  return row;
}


struct DiagramArgs {
  std::string trace;
  std::string format = "svg";
  std::string time = "order";
  std::string output;
};

/// "pcap" or "pcapng" when `bytes` start like a capture file, else nullptr.
const char* capture_kind(const std::string& bytes) {
  if (bytes.size() < 4) return nullptr;
  const auto b = [&bytes](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const uint32_t le = b(0) | b(1) << 8 | b(2) << 16 | static_cast<uint32_t>(b(3)) << 24;
  const uint32_t be = b(3) | b(2) << 8 | b(1) << 16 | static_cast<uint32_t>(b(0)) << 24;
  for (uint32_t magic : {le, be})
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) return "pcap";  // microsecond / nanosecond stamps
  if (le == 0x0a0d0d0a) return "pcapng";                              // a section header block
  return nullptr;
}

int cmd_diagram(const DiagramArgs& a) {
  const std::string bytes = detail::read_file(a.trace);
  if (const char* kind = capture_kind(bytes))
    throw InputError(a.trace + ": this is a capture (" + kind + "), not a trace.json: use 'rstlab analyze " +
                     a.trace + "' (its --flow ID --svg F draws one connection)");
  const Trace t = trace_from_json(bytes, a.trace);
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

/// Refuses an --out that cannot become a writable folder, before any lab is built.
void check_output_folder(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(out, ec);
  while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  if (!fs::is_directory(p, ec))
    throw InputError("--out " + out + ": " + p.string() + " is not a directory");
  if (::access(p.c_str(), W_OK | X_OK) != 0)
    throw InputError("--out " + out + ": cannot write in " + p.string() + ": " + std::strerror(errno));
}

int cmd_run(const RunArgs& a, LabCache& labs) {
  const std::vector<Scenario> todo = gather(a);
  check_output_folder(a.out);
  size_t total = 0;
  for (const Scenario& s : todo) total += a.link.empty() ? s.links.size() : links_from(a.link).size();
  const bool single = total == 1 && !a.json;
  const bool tty_out = ::isatty(STDOUT_FILENO), tty_err = ::isatty(STDERR_FILENO);

  std::vector<RunSummaryRow> rows;
  for (const Scenario& s : todo) {
    for (LinkKind link : a.link.empty() ? s.links : links_from(a.link)) {
      RunOptions opt;
      opt.link = link;
      opt.user = a.user;
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
      if (a.json) std::cout << run_json(r.trace, rows.back().dir).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    }
  }
  if (total > 1 && tty_err) std::fprintf(stderr, "\r\033[K");
  const std::string index = write_index(a.out);
  size_t failed = 0, mismatches = 0;
  for (const auto& r : rows) {
    failed += r.passed ? 0 : 1;
    mismatches += r.mismatches;
  }
  if (a.json) return failed ? kExitFailed : kExitOk;
  if (single) {
    std::printf("\nwrote %s/: trace.txt, trace.json, capture.pcap(ng), diagram.{svg,mmd,puml}, index.html\n",
                rows[0].dir.c_str());
    return failed ? kExitFailed : kExitOk;
  }
  std::fputs(render_run_summary(rows).c_str(), stdout);
  std::printf("\n%zu run%s, %zu failed, model mismatches: %zu. Report: %s\n", rows.size(), rows.size() == 1 ? "" : "s",
              failed, mismatches, index.c_str());
  return failed ? kExitFailed : kExitOk;
}

/// "list, show, run, diagram and analyze".
std::string commands_in_words() {
  std::string s;
  for (size_t k = 0; k < kCommands.size(); ++k)
    s += (k == 0 ? "" : k + 1 == kCommands.size() ? " and " : ", ") + kCommands[k];
  return s;
}

/// A CLI11 check that a value is one of `values`; its message is what follows "--link: ".
CLI::Validator one_of(std::vector<std::string> values) {
  std::string list;
  for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
  return CLI::Validator(
      [values, list](std::string& in) {
        for (const auto& v : values)
          if (in == v) return std::string();
        const auto near = detail::closest_names(in, values, 1);
        return "'" + in + "' is not one of " + list + (near.empty() ? "" : "; did you mean '" + near[0] + "'?");
      },
      "{" + list + "}", "one of");
}

/// One line for a command-line mistake CLI11 found: "rstlab: run: --link: ... (see rstlab
/// run --help)". CLI11's own report is two lines without our prefix.
int report_parse_error(const CLI::ParseError& e, int argc, char** argv) {
  std::string command;
  for (int i = 1; i < argc && command.empty(); ++i)
    for (const auto& c : kCommands)
      if (c == argv[i]) command = c;
  std::string what = e.what();
  for (char& c : what)
    if (c == '\n') c = ' ';
  static const std::regex missing_value(R"(^(\S+): \d+ required .* missing$)");
  if (command.empty() && dynamic_cast<const CLI::RequiredError*>(&e))
    what = "a command is required: " + commands_in_words();
  else
    what = std::regex_replace(what, missing_value, "$1 needs a value");
  if (what.size() > 1 && std::isupper(static_cast<unsigned char>(what[0])) &&
      std::islower(static_cast<unsigned char>(what[1])))
    what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  const std::string prefix = command.empty() ? "" : command + ": ";
  const std::string help = command.empty() ? "rstlab --help" : "rstlab " + command + " --help";
  std::fprintf(stderr, "rstlab: %s%s (see %s)\n", prefix.c_str(), what.c_str(), help.c_str());
  return kExitInput;
}

/// The first word must name a command (only --help or --version may come before it); CLI11 alone would
/// say "A subcommand is required" for a typo. Returns false (after saying why) when not.
bool command_is_known(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "-h" || word == "--help" || word == "--version") return true;
    if (!word.empty() && word[0] == '-') {
      std::fprintf(stderr, "rstlab: unknown option '%s'; options come after the command (see rstlab --help)\n",
                   word.c_str());
      return false;
    }
    for (const auto& c : kCommands)
      if (c == word) return true;
    const auto near = detail::closest_names(word, kCommands, 1);
    if (!near.empty())
      std::fprintf(stderr, "rstlab: unknown command '%s'; did you mean '%s'? (see rstlab --help)\n", word.c_str(),
                   near[0].c_str());
    else
      std::fprintf(stderr, "rstlab: unknown command '%s'; the commands are %s (see rstlab --help)\n", word.c_str(),
                   commands_in_words().c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(kDescription, "rstlab");
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text,
                       "Print the versions of rstlab, libtins, libpcap and the kernel, and exit");
  app.footer("Exit status: 0 every expectation met, 1 an expectation failed, 2 bad input (a\n"
             "command line, a scenario, a file, an output path), 3 the lab could not be built or\n"
             "run (rstlab needs root: it creates network namespaces), 4 an internal error (a bug:\n"
             "please report it). Each command's --help gives the statuses it can return.\n"
             "Scenario language: docs/scenario-language.md. Outputs: docs/output-formats.md.\n"
             "Manual pages: man rstlab, man rstlab-scenario. Versions: rstlab --version.");

  bool list_json = false;
  auto* list = app.add_subcommand("list", "List the built-in scenarios");
  list->add_flag("--json", list_json, "One JSON object per scenario (JSON Lines)");
  list->footer("Exit status: 0 listed, 2 a bad option, 4 an internal error (a bug: please report it).");

  std::string show_name;
  auto* show = app.add_subcommand("show", "Print a scenario's file: its story and steps");
  show->add_option("scenario", show_name, "A built-in name or a .scn file")->required();
  show->footer("Exit status: 0 printed, 2 no such scenario, a bad .scn file (file:line:column: what\n"
               "is wrong) or a bad option, 4 an internal error (a bug: please report it).");

  DiagramArgs da;
  auto* diagram = app.add_subcommand("diagram", "Re-render a saved trace.json as a diagram or report");
  diagram->add_option("trace", da.trace, "A trace.json written by 'rstlab run'")->required();
  diagram->add_option("--format,-f", da.format, "svg, mermaid, plantuml, html or text")
      ->check(one_of({"svg", "mermaid", "plantuml", "html", "text"}))
      ->capture_default_str();
  diagram->add_option("--time", da.time, "Vertical axis: order (one row per event) or proportional (time)")
      ->check(one_of({"order", "proportional"}))
      ->capture_default_str();
  diagram->add_option("-o,--output", da.output, "Output file (default: standard output)");
  diagram->footer("Example: rstlab diagram out/broken-pipe/veth/trace.json -f svg --time proportional -o bp.svg\n"
                  "Exit status: 0 written, 2 bad input (a missing, truncated or foreign file, a capture\n"
                  "instead of a trace, an output file that cannot be written, a bad option), 4 an\n"
                  "internal error (a bug: please report it).");

  AnalyzeArgs aa;
  auto* analyze = app.add_subcommand("analyze", "Explain every reset in a pcap/pcapng capture");
  analyze->add_option("files", aa.files,
                      "pcap or pcapng files (Ethernet, VLAN, Linux SLL/SLL2, raw IP, loopback), or folders of them; "
                      "several are read as one capture in time order; - reads standard input")
      ->required();
  analyze->add_flag("--all", aa.all, "List every connection, not only those that ended with a reset or an anomaly");
  analyze->add_flag("--explain,-e", aa.explain,
                    "Under each row, its reasons: each RST's cause and effect, why a call fails");
  analyze->add_flag("--json", aa.json,
                    "JSON Lines: one object per connection (every connection), reasons and rule names included")
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
      "Examples:\n"
      "  rstlab analyze captures/broken-pipe-veth.pcap --explain\n"
      "  rstlab analyze big.pcapng --json | jq 'select(.ending==\"rst\")'\n"
      "  rstlab analyze ring/trace.pcap0 ring/trace.pcap1 ring/trace.pcap2\n"
      "  rstlab analyze rotated-captures/ --explain\n"
      "  rstlab analyze captures/broken-pipe-veth.pcap --flow 1 --svg flow1.svg --html flow1.html\n"
      "  rstlab analyze captures/broken-pipe-veth.pcap --flow 1 --json | jq -c 'select(.type==\"packet\")'\n"
      "Exit status: 0 analysed (whatever the capture holds), 2 bad input (a missing, empty or\n"
      "damaged file, not a capture, a folder without captures, an unsupported link type, no\n"
      "such --flow, an output file that cannot be written, a bad option), 4 an internal error\n"
      "(a bug: please report it).");

  ExplainArgs ea;
  add_explain_command(app, ea);

  RunArgs ra;
  auto* run = app.add_subcommand("run", "Run scenarios live and write their traces and captures");
  run->add_option("scenario", ra.names, "Built-in names (see 'rstlab list') or .scn files");
  run->add_flag("--all", ra.all, "Run every built-in scenario");
  run->add_option("--link", ra.link,
                  "veth (raw-socket peer on a veth pair), tun, or both; default: the scenario's own "
                  "'link' line, veth if it has none")
      ->check(one_of({"veth", "tun", "both"}));
  run->add_option("--out", ra.out, "Parent folder: each run writes OUT/<scenario>/<link>/")->capture_default_str();
  run->add_flag("--json", ra.json, "Machine output: one JSON object per run (JSON Lines) on stdout");
  run->add_flag("--hold", ra.hold, "Pause once the lab is built (for tests)")->group("");
  run->add_flag("--allow-exec", ra.allow_exec,
                "Let a .scn file run the program its 'client exec'/'server exec' line names (the built-in "
                "scenarios need no permission)");
  run->add_option("--user", ra.user, "Run the programs of 'exec' lines as this user (rstlab and strace stay root)");
  run->footer(
      "One run prints its annotated timeline; several print a summary table. Each run folder\n"
      "holds trace.txt, trace.json (jq), capture.pcap and capture.pcapng (Wireshark; the pcapng\n"
      "carries the annotations as packet comments), diagram.svg, diagram.mmd (Mermaid),\n"
      "diagram.puml (PlantUML) and index.html; OUT/index.html lists every run under OUT.\n"
      "A scenario with 'client exec \"CMD\"' or 'server exec \"CMD\"' runs that program (traced, as\n"
      "'rstlab exec --peer' does) against the crafted peer; a .scn file that does so is refused\n"
      "unless --allow-exec is given. The program shares the host's filesystem and sees only the\n"
      "lab's network.\n"
      "Exit status: 0 every expectation met, 1 an expectation failed, 2 bad input (an unknown\n"
      "scenario, a bad .scn file - then nothing runs -, a .scn file with an exec line and no\n"
      "--allow-exec, an --out that cannot be written, a bad option), 3 the lab could not be\n"
      "built or run (rstlab needs root: it creates network namespaces; a tun or veth device\n"
      "could not be made), 4 an internal error (a bug: please report it).");

  CourseArgs ca;
  add_course_command(app, ca);

  ReplayArgs rpa;
  add_replay_command(app, rpa);
  ExecArgs xa;
  add_exec_command(app, xa);

  if (!command_is_known(argc, argv)) return kExitInput;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return report_parse_error(e, argc, argv);
  }
  try {
    if (app.got_subcommand("list")) return cmd_list(list_json);
    if (app.got_subcommand("show")) return cmd_show(show_name);
    if (app.got_subcommand("diagram")) return cmd_diagram(da);
    if (app.got_subcommand("analyze")) return run_analyze(aa);
    if (app.got_subcommand("course")) return run_course(ca);
    if (app.got_subcommand("explain")) return run_explain(ea);
    if (app.got_subcommand("replay")) {
      const int rc = run_replay(rpa);
      if (!rpa.emit.empty()) return rc;
      exit_leaving_teardown_to_child(rc);
    }
    if (app.got_subcommand("exec")) return run_exec(xa);
    LabCache labs;
    const int rc = cmd_run(ra, labs);
    exit_leaving_teardown_to_child(rc);
  } catch (const std::exception& e) {
    const Failure f = failure_for(e);
    std::fprintf(stderr, "rstlab: %s\n", f.message.c_str());
    return f.status;
  } catch (...) {
    std::fprintf(stderr, "rstlab: internal error: an unknown exception; please report it\n");
    return kExitInternal;
  }
}
