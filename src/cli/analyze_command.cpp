// SPDX-License-Identifier: MIT
// `rstlab analyze`: the summary table, JSON Lines, and one connection's trace.
#include "cli/analyze_command.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "rstlab/analyze.h"
#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/render.h"
#include "util/files.h"

namespace rstlab {
namespace {

using ojson = nlohmann::ordered_json;

ojson connection_json(const ConnectionReport& c) {
  ojson j;
  j["id"] = c.id;
  j["a"] = c.a.str();
  j["b"] = c.b.str();
  j["ending"] = c.ending;
  j["mid_stream"] = c.mid_stream;
  j["anomaly"] = c.anomaly;
  j["packets"] = c.packets;
  j["first_frame"] = c.first_frame;
  j["last_frame"] = c.last_frame;
  ojson resets = ojson::array();
  for (const auto& r : c.resets)
    resets.push_back({{"frame", r.frame},
                      {"from", r.from.str()},
                      {"to", r.to.str()},
                      {"reaction", rst_reaction_name(r.reaction)},
                      {"cause", r.cause},
                      {"errno", r.err ? ojson(errno_name(r.err)) : ojson(nullptr)},
                      {"explanation", r.explanation}});
  j["resets"] = std::move(resets);
  ojson fins = ojson::array();
  for (const auto& f : c.fins) fins.push_back({{"frame", f.frame}, {"from", f.from.str()}, {"to", f.to.str()}});
  j["fins"] = std::move(fins);
  ojson pred;
  for (int s = 0; s < 2; ++s) {
    const EndpointPrediction& p = c.predicted[s];
    pred[(s == 0 ? c.a : c.b).str()] = {{"next_read", p.next_read},
                                        {"next_write", p.next_write},
                                        {"write_raises_sigpipe", p.write_raises_sigpipe},
                                        {"so_error", p.so_error},
                                        {"why", p.why}};
  }
  j["predicted"] = std::move(pred);
  j["notes"] = c.notes;
  return j;
}

std::string next_calls(const EndpointPrediction& p) {
  return p.next_read + " / " + p.next_write + (p.write_raises_sigpipe ? "+SIGPIPE" : "");
}

void print_row(const ConnectionReport& c) {
  std::string first_reset = "-";
  for (const auto& r : c.resets) {
    first_reset = "#" + std::to_string(r.frame) + " " + (r.from == c.a ? "a>b" : "b>a") + " " +
                  rst_reaction_name(r.reaction) + (r.err ? " " + errno_name(r.err) : "") + " " + r.cause;
    if (r.reaction == RstReaction::Accepted) break;
  }
  std::printf("%5llu  %-24s %-24s %-8s %-44s %-22s %s\n", static_cast<unsigned long long>(c.id), c.a.str().c_str(),
              c.b.str().c_str(), c.ending.c_str(), first_reset.c_str(), next_calls(c.predicted[0]).c_str(),
              next_calls(c.predicted[1]).c_str());
  for (const auto& r : c.resets)
    std::printf("       #%llu %s: %s\n", static_cast<unsigned long long>(r.frame), r.cause.c_str(),
                r.explanation.c_str());
  for (int s = 0; s < 2; ++s)
    if (c.predicted[s].next_read != "ok" || c.predicted[s].next_write != "ok")
      std::printf("       %s: %s\n", s == 0 ? "a" : "b", c.predicted[s].why.c_str());
  for (const auto& n : c.notes) std::printf("       note: %s\n", n.c_str());
}

}  // namespace

int run_analyze(const AnalyzeArgs& a) {
  AnalyzeOptions opt;
  if (a.flow) opt.keep_flow = *a.flow;
  if (!a.json && !a.all && !a.flow)
    opt.explain = [](const ConnectionReport& c) { return !c.resets.empty() || c.anomaly; };
  const bool tty = ::isatty(STDERR_FILENO);
  if (tty)
    opt.progress = [](uint64_t n) {
      std::fprintf(stderr, "\r\033[Krstlab: %.1f M packets read...", static_cast<double>(n) / 1e6);
    };
  const bool table = !a.json && !a.flow;
  size_t shown = 0;
  std::optional<ConnectionReport> flow;
  if (table)
    std::printf("%5s  %-24s %-24s %-8s %-44s %-22s %s\n", "ID", "A (sent the SYN)", "B", "ENDING",
                "RESET (frame, direction, reaction, errno, cause)", "A: NEXT READ / WRITE", "B: NEXT READ / WRITE");
  const auto sink = [&](const ConnectionReport& c) {
    if (a.flow) {
      if (c.id == *a.flow) flow = c;
      return;
    }
    if (a.json) {
      std::cout << connection_json(c).dump() << '\n';
      return;
    }
    if (a.all || !c.resets.empty() || c.anomaly) {
      print_row(c);
      ++shown;
    }
  };
  std::vector<CapturedPacket> kept;
  int dlt = 0;
  const AnalyzeStats st = analyze_file(a.file, sink, opt, &kept, &dlt);
  std::cout.flush();
  if (tty && st.packets >= (1u << 20)) std::fprintf(stderr, "\r\033[K");

  for (const auto& [what, n] : st.warnings)
    std::fprintf(stderr, "rstlab: %s: warning: %s%s\n", a.file.c_str(), what.c_str(),
                 n > 1 || what.find("cut short") == std::string::npos ? (" (" + std::to_string(n) + " packets)").c_str()
                                                                      : "");
  if (a.flow) {
    if (!flow) throw InputError(a.file + ": no connection " + std::to_string(*a.flow) + " (it has " +
                                std::to_string(st.connections) + ")");
    const Trace t = connection_trace(*flow, dlt, kept, a.file);
    bool wrote = false;
    const std::pair<const std::string*, std::string (*)(const Trace&)> outputs[] = {
        {&a.svg, [](const Trace& x) { return render_svg(x); }},
        {&a.mermaid, render_mermaid},
        {&a.plantuml, render_plantuml},
        {&a.html, [](const Trace& x) { return render_html_report(x); }}};
    for (const auto& [file, render] : outputs) {
      if (file->empty()) continue;
      detail::write_file_atomic(*file, render(t));
      std::fprintf(stderr, "rstlab: wrote %s\n", file->c_str());
      wrote = true;
    }
    if (!wrote || a.json) {
      if (a.json) std::cout << connection_json(*flow).dump(2) << '\n';
      else std::fputs(render_text(t, ::isatty(STDOUT_FILENO)).c_str(), stdout);
    }
    return 0;
  }
  if (table) {
    std::printf("\n%s: %llu packets (%llu TCP, %llu other), %llu connection(s), %llu RST(s), %llu FIN(s); %zu shown%s\n",
                a.file.c_str(), static_cast<unsigned long long>(st.packets),
                static_cast<unsigned long long>(st.tcp), static_cast<unsigned long long>(st.not_tcp),
                static_cast<unsigned long long>(st.connections), static_cast<unsigned long long>(st.resets),
                static_cast<unsigned long long>(st.fins), shown,
                a.all ? "" : " (ended with a reset or an anomaly; --all shows every connection)");
    std::printf("Next read / write: what each endpoint's next call returns as far as the wire tells "
                "(ok = data or wait). 'rstlab analyze FILE --flow ID' explains one connection.\n");
  }
  return 0;
}

}  // namespace rstlab
