// SPDX-License-Identifier: MIT
// `rstlab replay`: one captured connection re-enacted against a real kernel socket (the
// translation is in src/replay; the run is an ordinary scenario run), then compared
// with the original. See docs/replay.md.
#include "cli/replay_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>
#include <filesystem>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "rstlab/capture.h"
#include "rstlab/error.h"
#include "rstlab/exit_status.h"
#include "rstlab/outputs.h"
#include "rstlab/render.h"
#include "rstlab/replay.h"
#include "rstlab/runner.h"
#include "cli/run_json.h"
#include "util/files.h"

namespace rstlab {
namespace {

/// Refuses an --out that cannot become a writable folder, before any lab is built.
void check_out(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(out, ec);
  while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  if (!fs::is_directory(p, ec)) throw InputError("--out " + out + ": " + p.string() + " is not a directory");
  if (::access(p.c_str(), W_OK | X_OK) != 0)
    throw InputError("--out " + out + ": cannot write in " + p.string());
}

nlohmann::ordered_json replay_json(const RunResult& r, const std::string& dir, const CapturedFlow& flow,
                                   const ReplayArgs& a, const ReplayVerdict& v) {
  nlohmann::ordered_json j = run_json(r.trace, dir);
  j["file"] = flow.file;
  j["flow"] = flow.report.id;
  j["kernel"] = a.kernel;
  j["faithful"] = v.faithful;
  j["compared"] = v.compared;
  j["divergence"] = v.faithful ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v.divergence);
  if (dir.empty()) j["dir"] = nullptr;  // --json without --out: no folder written
  return j;
}

}  // namespace

CLI::App* add_replay_command(CLI::App& app, ReplayArgs& a) {
  auto* cmd = app.add_subcommand("replay", "Re-enact one captured connection against a real kernel socket");
  cmd->add_option("file", a.file, "A pcap or pcapng capture (anything 'rstlab analyze' reads)")->required();
  cmd->add_option("--flow", a.flow,
                  "The connection, numbered as 'rstlab analyze' numbers them (default: the one holding an RST)");
  cmd->add_option("--kernel", a.kernel, "The side played by a real kernel socket: client (the SYN sender) or server")
      ->check(CLI::IsMember({"client", "server"}))
      ->capture_default_str();
  cmd->add_option("--then", a.then,
                  "The kernel side's calls after the exchange, in order: read, write, send, so_error, poll")
      ->capture_default_str();
  cmd->add_option("--timing", a.timing,
                  "fast (order only) or capture (the captured gaps between steps, and a retransmission story's "
                  "timeout as the lab's rto_min)")
      ->check(CLI::IsMember({"fast", "capture"}))
      ->capture_default_str();
  cmd->add_option("--link", a.link, "veth, tun or both")->check(CLI::IsMember({"veth", "tun", "both"}))->capture_default_str();
  cmd->add_option("--out", a.out, "Parent folder: each replay writes OUT/<name>/<link>/ (with --json: only when given)")
      ->capture_default_str()
      ->each([&a](const std::string&) { a.out_given = true; });
  cmd->add_flag("--json", a.json,
                "One JSON object per replay (JSON Lines), as 'run --json' plus faithful and divergence; without "
                "--out no folder is written (\"dir\": null)");
  cmd->add_flag("--all-resets", a.all_resets,
                "Replay every connection that ended with a reset (an RST after its handshake, or a refused SYN), "
                "one after another in one lab")
      ->excludes("--flow");
  cmd->add_option("--jobs", a.jobs,
                  "Replays run side by side (--all-resets, --link both), each worker in labs of its own; output "
                  "in the capture's order")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cmd->add_option("--emit-scenario", a.emit,
                  "Write the inferred scenario (commented with the capture's frames) to this file (- for standard "
                  "output) and stop: nothing runs, no root needed")
      ->excludes("--all-resets");
  cmd->footer(
      "The side chosen by --kernel becomes a real kernel socket in the lab; its calls are inferred from\n"
      "its segments: data it sent -> writes of those sizes, data it acknowledged -> reads, its FIN ->\n"
      "shutdown(SHUT_WR) (or close() when later data got an RST), its RST -> close() with unread data\n"
      "or SO_LINGER {1,0} + close(). Where the capture cannot tell, the simplest reading is taken and\n"
      "the trace says so (a note). The crafted peer plays the other side segment by segment: its\n"
      "captured ISN, the options the handshake agreed (MSS, window scale, SACK, timestamps with its own\n"
      "rising TSval), payloads as captured (filler where the snap length cut them), RSTs at the same\n"
      "place relative to what the kernel expects: exact stays exact, in-window moves by the same\n"
      "offset, out-of-window stays out; an offload-pending checksum is sent correct.\n"
      "A refused connect (SYN answered with RST|ACK) replays as the connect that gets ECONNREFUSED\n"
      "(--kernel client) or as a SYN the lab's kernel refuses itself, nothing listening (--kernel server).\n"
      "Then the probes (--then, default read,write) show which call first feels the reset. The first\n"
      "call after a reset CONSUMES the pending error: --then read,write and --then write,read can\n"
      "give different answers, as two applications would (e.g. --then so_error,read).\n"
      "Faithful or not: the replay's capture is compared with the original, segment by segment\n"
      "(direction, flags, relative seq/ack, length; retransmissions and pure ACKs aside, but a\n"
      "challenge ACK counts): 'faithful', or the first divergence and its likely reason.\n"
      "Each replay folder holds what a run writes (trace.txt, trace.json, capture.pcap(ng), diagrams,\n"
      "index.html) plus original.pcap (the flow cut out of FILE) and replay.scn (the scenario).\n"
      "--timing capture also replays a retransmission story: the kernel side's captured retransmission\n"
      "timeout becomes the lab's rto_min (1-200 ms) and the peer ACKs only where the captured one did.\n"
      "--all-resets: every connection that ended with a reset (refused ones too), one line each and a\n"
      "summary, in one lab with one actor process; a flow that cannot be replayed says why in its line\n"
      "and counts as not faithful. With --json and no --out no folder is written (\"dir\": null).\n"
      "Examples:\n"
      "  rstlab analyze incident.pcap                        find the connection, then:\n"
      "  sudo rstlab replay incident.pcap --flow 3\n"
      "  sudo rstlab replay incident.pcap --flow 3 --kernel server --then write\n"
      "  rstlab replay incident.pcap --flow 3 --emit-scenario flow3.scn && sudo rstlab run flow3.scn\n"
      "  sudo rstlab replay incident.pcap --all-resets --json | jq -c 'select(.faithful | not)'\n"
      "See docs/replay.md.\n"
      "Exit status: 0 faithful (every replay), 1 diverged, 2 bad input (a file that is not a capture, no TCP, no such\n"
      "--flow, several connections with an RST and no --flow - they are listed -, a flow with no\n"
      "handshake and no data, a bad option; nothing is written), 3 the lab could not be built or run\n"
      "(needs root), 4 an internal error (a bug: please report it).");
  return cmd;
}

int run_replay(const ReplayArgs& a) {
  ReplayOptions opt;
  opt.kernel = a.kernel == "server" ? Role::Server : Role::Client;
  opt.then = parse_probe_list(a.then);
  opt.capture_timing = a.timing == "capture";
  // Everything about the input is checked before anything is written or built.
  std::vector<CapturedFlow> flows;
  if (a.all_resets) flows = reset_flows(a.file);
  else flows.push_back(choose_flow(a.file, a.flow));
  std::vector<std::optional<ReplayPlan>> plans;
  std::vector<std::string> unplayable(flows.size());
  for (size_t k = 0; k < flows.size(); ++k) {
    try {
      plans.push_back(plan_replay(flows[k], opt));
    } catch (const InputError& e) {
      if (!a.all_resets) throw;
      plans.emplace_back();  // --all-resets: said in its row, the others still run
      unplayable[k] = e.what();
    }
  }
  if (!a.emit.empty()) {
    const std::string& text = plans[0]->text;
    if (a.emit == "-") std::fputs(text.c_str(), stdout);
    else {
      detail::write_file_atomic(a.emit, text);
      std::fprintf(stderr, "rstlab: wrote %s (run it: rstlab run %s)\n", a.emit.c_str(), a.emit.c_str());
    }
    return kExitOk;
  }
  // --json without --out: the lines are the whole output (the fast path of --all-resets).
  const bool folders = !a.json || a.out_given;
  if (folders) check_out(a.out);
  std::vector<LinkKind> links;
  if (a.link == "both") links = {LinkKind::Veth, LinkKind::Tun};
  else links = {parse_link(a.link)};

  const bool single = flows.size() == 1 && links.size() == 1 && !a.json;
  const bool tty = ::isatty(STDOUT_FILENO);
  // One unit of work: flow k on one link; what it prints, and whether it was faithful.
  struct Outcome {
    std::string text;
    bool faithful = false, done = false;
  };
  auto replay_one = [&](size_t unit, LabCache& labs) {
    Outcome o;
    o.done = true;
    const size_t k = unit / links.size();
    const LinkKind link = links[unit % links.size()];
    const CapturedFlow& flow = flows[k];
    if (!plans[k]) {
      if (unit % links.size()) return o;  // said once per flow
      if (a.json)
        o.text = nlohmann::ordered_json{{"file", flow.file}, {"flow", flow.report.id}, {"faithful", false},
                                        {"divergence", nullptr}, {"error", unplayable[k]}}
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                 "\n";
      else
        o.text = "flow " + std::to_string(flow.report.id) + ": not replayed: " + unplayable[k] + "\n";
      return o;
    }
    const ReplayPlan& plan = *plans[k];
    const std::vector<WireUnit> original = wire_units(flow.link_type, flow.packets, flow.report.a);
    RunOptions ro;
    ro.link = link;
    RunResult r = run_scenario(plan.scenario, ro, labs);
    // The probes' own segments come after the capture's story: not compared.
    const int64_t probes = probe_start_ns(r.trace, plan);
    std::vector<CapturedPacket> exchange;
    for (const CapturedPacket& p : r.packets)
      if (p.t_ns < probes) exchange.push_back(p);
    const std::vector<WireUnit> replayed = wire_units(r.link_type, exchange, r.trace.client.endpoint, flow.report.mid_stream);
    const ReplayVerdict v = compare_units(original, replayed, opt.kernel);
    o.faithful = v.faithful;
    r.trace.story += std::string(" Comparison with the original: ") +
                     (v.faithful ? "faithful (" + std::to_string(v.compared) + " segments)."
                                 : "diverged " + v.divergence + ".");
    std::string dir;
    if (folders) {
      dir = write_run_folder(a.out, r);
      write_pcap(dir + "/original.pcap", flow.link_type, flow.packets);
      detail::write_file_atomic(dir + "/replay.scn", plan.text);
    }
    if (a.json) {
      o.text = replay_json(r, dir, flow, a, v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      return o;
    }
    if (single) o.text = render_text(r.trace, tty) + "\n";
    const std::string fo = r.trace.first_observer ? r.trace.first_observer->actor + " " + r.trace.first_observer->call +
                                                        " -> " + r.trace.first_observer->result
                                                  : "no call observed the reset";
    o.text += "replay of " + flow.file + " flow " + std::to_string(flow.report.id) + " (" + link_name(link) +
              "): " +
              (v.faithful ? "faithful: " + std::to_string(v.compared) + " segments as in the capture"
                          : "diverged " + v.divergence) +
              (single ? "" : "; first observer: " + fo) + "\n";
    if (!single) return o;
    for (const std::string& n : plan.notes) o.text += "  inferred: " + n + "\n";
    o.text += "wrote " + dir + "/: trace.txt, trace.json, capture.pcap(ng), original.pcap, replay.scn, diagrams, index.html\n";
    return o;
  };

  // Replays run side by side (--jobs), each worker with labs of its own (one per link and
  // family, reused by all its replays); they are printed in the capture's order as they
  // complete. Each replay waits on its actor and its peer most of the time: several in
  // flight keep the cores busy where one leaves them idle.
  const size_t units = flows.size() * links.size();
  const size_t jobs = std::max<size_t>(1, std::min<size_t>(a.jobs, units));
  std::vector<Outcome> outcomes(units);
  size_t replays = 0, faithful = 0;
  auto print = [&](const Outcome& o, size_t unit) {
    std::fputs(o.text.c_str(), stdout);
    std::fflush(stdout);
    if (!plans[unit / links.size()] && unit % links.size()) return;
    ++replays;
    faithful += o.faithful ? 1 : 0;
  };
  if (jobs == 1) {
    LabCache labs;
    for (size_t u = 0; u < units; ++u) print(replay_one(u, labs), u);
  } else {
    std::mutex m;
    std::condition_variable cv;
    size_t next = 0;
    bool stop = false;
    std::exception_ptr failure;
    auto worker = [&] {
      LabCache labs;
      for (;;) {
        size_t u;
        {
          std::lock_guard<std::mutex> lock(m);
          if (stop || next == units) return;
          u = next++;
        }
        Outcome o;
        try {
          o = replay_one(u, labs);
        } catch (...) {
          std::lock_guard<std::mutex> lock(m);
          if (!failure) failure = std::current_exception();
          stop = true;
          cv.notify_all();
          return;
        }
        std::lock_guard<std::mutex> lock(m);
        outcomes[u] = std::move(o);
        cv.notify_all();
      }
    };
    std::vector<std::thread> threads;
    for (size_t j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (size_t u = 0; u < units; ++u) {
      std::unique_lock<std::mutex> lock(m);
      cv.wait(lock, [&] { return outcomes[u].done || failure; });
      if (failure) break;
      lock.unlock();
      print(outcomes[u], u);
    }
    for (std::thread& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
  }
  const std::string index = folders ? write_index(a.out) : "";
  if (!single && !a.json)
    std::printf("\n%zu replay%s, %zu faithful. Report: %s\n", replays, replays == 1 ? "" : "s", faithful,
                index.c_str());
  return faithful == replays ? kExitOk : kExitFailed;
}

}  // namespace rstlab
