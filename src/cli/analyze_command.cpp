// SPDX-License-Identifier: MIT
// `rstlab analyze`: the summary table, JSON Lines, and one connection's trace.
#include "cli/analyze_command.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

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

/// The summary table, built in a buffer and written in large blocks: a capture can give
/// hundreds of thousands of rows, and printf with field widths (or std::string's
/// append, at ~30 pieces a row) would cost more than the analysis behind each row.
/// Nothing is written but by flush(): a file refused before its first rows (it cannot be
/// opened, its link type is unknown) leaves no table header behind its error.
class TableWriter {
 public:
  TableWriter() : buf_(kFlushAt) {}
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  TableWriter& text(std::string_view s) {
    std::memcpy(room(s.size()), s.data(), s.size());
    len_ += s.size();
    return *this;
  }
  TableWriter& spaces(size_t n) {
    std::memset(room(n), ' ', n);
    len_ += n;
    return *this;
  }
  /// `s` right-justified in `width` columns (printf's "%Ns").
  TableWriter& right(std::string_view s, size_t width) {
    if (s.size() < width) spaces(width - s.size());
    return text(s);
  }
  /// `s` left-justified in `width` columns, then one space (printf's "%-Ns ").
  TableWriter& cell(std::string_view s, size_t width) {
    const uint64_t start = written();
    return text(s).pad(start, width);
  }
  /// Bytes written so far: what went out since `start` can be padded as a cell.
  uint64_t written() const { return flushed_ + len_; }
  /// Pads what was written since `start` to `width` columns, then one space.
  TableWriter& pad(uint64_t start, size_t width) {
    const uint64_t n = written() - start;
    return spaces(n < width ? width - n + 1 : 1);
  }
  TableWriter& number(uint64_t v) {
    char* p = room(24);
    len_ += static_cast<size_t>(std::to_chars(p, p + 24, v).ptr - p);
    return *this;
  }
  TableWriter& endpoint(const Endpoint& e, size_t width) {
    char t[Endpoint::kTextSize];
    return cell(std::string_view(t, e.format(t)), width);
  }
  void end_line() {
    text("\n");
    if (len_ >= kFlushAt / 2) flush();
  }
  void flush() {
    if (len_) std::fwrite(buf_.data(), 1, len_, stdout);
    flushed_ += len_;
    len_ = 0;
    std::fflush(stdout);
  }

 private:
  /// Where the next `n` bytes go (flushing, or growing for one huge piece, first).
  char* room(size_t n) {
    if (len_ + n > buf_.size()) {
      flush();
      if (n > buf_.size()) buf_.resize(n);
    }
    return buf_.data() + len_;
  }
  static constexpr size_t kFlushAt = 1 << 19;
  std::vector<char> buf_;
  size_t len_ = 0;
  uint64_t flushed_ = 0;
};

/// Column widths of the summary table.
constexpr size_t kIdW = 5, kEndpointW = 24, kEndingW = 8, kResetW = 44, kCallsW = 22;

void header(TableWriter& out) {
  out.right("ID", kIdW)
      .text("  ")
      .cell("A (sent the SYN)", kEndpointW)
      .cell("B", kEndpointW)
      .cell("ENDING", kEndingW)
      .cell("RESET (frame, direction, reaction, errno, cause)", kResetW)
      .cell("A: NEXT READ / WRITE", kCallsW)
      .text("B: NEXT READ / WRITE");
  out.end_line();
}

/// One connection's row; with `explain`, its reasons on indented lines under it.
void row(TableWriter& out, const ConnectionReport& c, bool explain) {
  const ResetReport* shown = nullptr;  // the reset that decided, else the last one
  for (const auto& r : c.resets) {
    shown = &r;
    if (r.reaction == RstReaction::Accepted) break;
  }
  char id[24];
  out.right(std::string_view(id, static_cast<size_t>(std::to_chars(id, id + sizeof id, c.id).ptr - id)), kIdW)
      .text("  ");
  out.endpoint(c.a, kEndpointW).endpoint(c.b, kEndpointW).cell(c.ending, kEndingW);
  uint64_t start = out.written();
  if (!shown) {
    out.text("-");
  } else {
    out.text("#").number(shown->frame).text(shown->from == c.a ? " a>b " : " b>a ");
    out.text(rst_reaction_name(shown->reaction));
    if (shown->err) out.text(" ").text(errno_name(shown->err));
    out.text(" ").text(shown->cause);
  }
  out.pad(start, kResetW);
  for (int s = 0; s < 2; ++s) {
    const EndpointPrediction& p = c.predicted[s];
    start = out.written();
    out.text(p.next_read).text(" / ").text(p.next_write);
    if (p.write_raises_sigpipe) out.text("+SIGPIPE");
    if (s == 0) out.pad(start, kCallsW);
  }
  out.end_line();
  if (!explain) return;
  for (const auto& r : c.resets) {
    out.text("       #").number(r.frame).text(" ").text(r.cause).text(": ").text(r.explanation);
    out.end_line();
  }
  for (int s = 0; s < 2; ++s)
    if (c.predicted[s].next_read != "ok" || c.predicted[s].next_write != "ok") {
      out.text(s == 0 ? "       a: " : "       b: ").text(c.predicted[s].why);
      out.end_line();
    }
  for (const auto& n : c.notes) {
    out.text("       note: ").text(n);
    out.end_line();
  }
}

/// The causes of the RSTs listed, most frequent first, each with its meaning.
void print_causes(const std::map<std::string_view, uint64_t>& causes) {
  if (causes.empty()) return;
  std::vector<std::pair<std::string_view, uint64_t>> order(causes.begin(), causes.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  std::printf("RSTs listed, by cause:\n");
  for (const auto& [cause, n] : order) {
    const std::string_view meaning = reset_cause_meaning(cause);
    std::printf("  %-20.*s %9llu  %.*s\n", static_cast<int>(cause.size()), cause.data(),
                static_cast<unsigned long long>(n), static_cast<int>(meaning.size()), meaning.data());
  }
}

}  // namespace

int run_analyze(const AnalyzeArgs& a) {
  AnalyzeOptions opt;
  if (a.flow) {
    opt.keep_flow = *a.flow;
    opt.report_only = [id = *a.flow](const ConnectionReport& c) { return c.id == id; };
  } else if (!a.json) {  // the table: only what it prints, words only where it prints them
    if (!a.all) opt.report_only = [](const ConnectionReport& c) { return !c.resets.empty() || c.anomaly; };
    opt.words = a.explain;
    opt.explain_ok_endpoints = false;
  }
  const bool tty = ::isatty(STDERR_FILENO);
  if (tty)
    opt.progress = [](uint64_t n) {
      std::fprintf(stderr, "\r\033[Krstlab: %.1f M packets read...", static_cast<double>(n) / 1e6);
    };
  const bool table = !a.json && !a.flow;
  size_t shown = 0;
  std::map<std::string_view, uint64_t> causes;  // of the RSTs in the table
  uint64_t mid_stream = 0;                      // rows without a handshake in the capture
  std::optional<ConnectionReport> flow;
  std::optional<TableWriter> out;
  if (table) {
    out.emplace();
    header(*out);
  }
  const auto sink = [&](const ConnectionReport& c) {  // after report_only
    if (a.flow) {
      flow = c;
    } else if (a.json) {
      std::cout << connection_json(c).dump() << '\n';
    } else {
      row(*out, c, a.explain);
      ++shown;
      for (const auto& r : c.resets) ++causes[r.cause];
      mid_stream += c.mid_stream;
    }
  };

  std::vector<CapturedPacket> kept;
  int dlt = 0;
  const AnalyzeStats st = analyze_file(a.file, sink, opt, &kept, &dlt);
  std::cout.flush();
  if (out) out->flush();
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
    print_causes(causes);
    if (mid_stream)
      std::printf("%llu of the connections listed started before the capture (no handshake in it): both "
                  "endpoints taken as ESTABLISHED, the first sequence numbers seen as in order.\n",
                  static_cast<unsigned long long>(mid_stream));
    std::printf("Next read / write: what each endpoint's next call returns as far as the wire tells "
                "(ok = data or wait; closed = it sent the RST).\n%s--flow ID gives one connection's "
                "annotated timeline.\n",
                a.explain ? "" : "--explain puts each row's reasons under it; ");
  }
  return 0;
}

}  // namespace rstlab
