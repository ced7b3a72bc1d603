// SPDX-License-Identifier: MIT
#include "rstlab/outputs.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/render.h"
#include "rstlab/trace_json.h"
#include "util/files.h"
#include "util/utf8.h"

namespace rstlab {

std::vector<std::string> packet_comments(const Trace& t, size_t packets) {
  std::vector<std::string> out(packets);
  auto add = [&](size_t event, const std::string& text) {
    const auto* p = t.events[event].packet();
    if (!p || p->frame == 0 || p->frame > packets) return;
    std::string& c = out[p->frame - 1];
    c += (c.empty() ? "rstlab: " : "\n") + text;
  };
  for (const auto& a : t.annotations) add(a.event, a.text);
  if (t.first_observer && t.first_observer->cause)
    add(*t.first_observer->cause, "its first observer: " + t.first_observer->actor + " " + t.first_observer->call +
                                      " -> " + t.first_observer->result + " (" + t.first_observer->reason + ")");
  return out;
}

std::string write_run_folder(const std::string& out_parent, const RunResult& run) {
  namespace fs = std::filesystem;
  const Trace& t = run.trace;
  const std::string dir = out_parent + "/" + t.scenario + "/" + t.link;
  // Everything is rendered before anything is written, and written into a sibling
  // folder that replaces the old one only when complete: a run folder is whole or absent.
  // The page holds the ladder of diagram.svg: drawn once for both.
  const std::string svg = render_svg(t);
  const std::string texts[][2] = {
      {"trace.json", trace_to_json(t)},     {"trace.txt", render_text(t, false)},
      {"diagram.svg", svg},                 {"diagram.mmd", render_mermaid(t)},
      {"diagram.puml", render_plantuml(t)}, {"index.html", render_html_report_with(t, svg)},
  };
  try {
    detail::replace_folder(dir, [&](const std::string& tmp) {
      write_pcap(tmp + "/capture.pcap", run.link_type, run.packets);
      write_pcapng(tmp + "/capture.pcapng", run.link_type, run.packets, packet_comments(t, run.packets.size()));
      for (const auto& [name, text] : texts) detail::write_file_atomic(tmp + "/" + name, text);
    });
  } catch (const fs::filesystem_error& e) {
    throw Error("cannot write " + dir + ": " + e.code().message());
  }
  return dir;
}

namespace {

/// A text as trace.json gives it back: bytes that are not UTF-8 become U+FFFD there.
std::string as_read_back(const std::string& s) {
  if (detail::first_invalid_utf8(s) == std::string_view::npos) return s;
  const auto j = nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(j).get<std::string>();
}

/// What the index says of a run, from its trace.
ReportRow index_row(const Trace& t, std::string href) {
  ReportRow r;
  r.scenario = t.scenario;
  r.link = t.link;
  r.title = t.title;
  r.passed = t.passed();
  if (t.first_observer)
    r.first_observer = t.first_observer->actor + " " + t.first_observer->call + " -> " + t.first_observer->result;
  r.href = std::move(href);
  return r;
}

}  // namespace

std::string write_index(const std::string& out_parent, const std::vector<WrittenRun>& written) {
  namespace fs = std::filesystem;
  std::vector<ReportRow> rows;
  std::error_code ec;
  std::vector<fs::path> traces;
  for (const auto& scenario : fs::directory_iterator(out_parent, ec)) {
    if (!scenario.is_directory()) continue;
    for (const auto& link : fs::directory_iterator(scenario.path(), ec))
      if (fs::exists(link.path() / "trace.json")) traces.push_back(link.path() / "trace.json");
  }
  std::sort(traces.begin(), traces.end());
  for (const auto& path : traces) {
    const fs::path folder = path.parent_path().lexically_normal();
    const std::string href = fs::relative(path.parent_path() / "index.html", out_parent).string();
    // A run this process has just written is in memory: its trace.json (megabytes for a
    // traced program's long run) need not be read back. Its texts as the file holds them.
    const auto fresh = std::find_if(written.begin(), written.end(), [&](const WrittenRun& w) {
      return w.trace && fs::path(w.dir).lexically_normal() == folder;
    });
    if (fresh != written.end()) {
      Trace summary;
      const Trace& t = *fresh->trace;
      summary.scenario = as_read_back(t.scenario);
      summary.link = as_read_back(t.link);
      summary.title = as_read_back(t.title);
      summary.failures = t.failures;
      if (t.first_observer) {
        summary.first_observer = FirstObserver{};
        summary.first_observer->actor = as_read_back(t.first_observer->actor);
        summary.first_observer->call = as_read_back(t.first_observer->call);
        summary.first_observer->result = as_read_back(t.first_observer->result);
      }
      rows.push_back(index_row(summary, href));
      continue;
    }
    try {
      rows.push_back(index_row(trace_from_json(detail::read_file(path.string()), path.string()), href));
    } catch (const Error& e) {
      std::cerr << "rstlab: index: skipping " << e.what() << "\n";
    }
  }
  const std::string index = out_parent + "/index.html";
  detail::write_file_atomic(index, render_html_index(rows));
  return index;
}

}  // namespace rstlab
