// SPDX-License-Identifier: MIT
// `rstlab analyze`: the summary table, JSON Lines, and one connection's trace.
#include "cli/analyze_command.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "rstlab/analyze.h"
#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/render.h"
#include "rstlab/wire.h"
#include "analyze/capture_files.h"
#include "analyze/report_json.h"
#include "util/files.h"
#include "util/json_writer.h"

namespace rstlab {
namespace {

/// The summary table, built in a buffer and written in large blocks: a capture can give
/// hundreds of thousands of rows, and printf with field widths (or std::string's
/// append, at ~30 pieces a row) would cost more than the analysis behind each row.
/// Nothing is written but by flush(): a file refused before its first rows (it cannot be
/// opened, its link type is unknown) leaves no table header behind its error.
class TableWriter {
 public:
  TableWriter() : buf_(new char[kFlushAt]), size_(kFlushAt) {}  // not zeroed: written before read
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
    if (len_) std::fwrite(buf_.get(), 1, len_, stdout);
    flushed_ += len_;
    len_ = 0;
    std::fflush(stdout);
  }

 private:
  /// Where the next `n` bytes go (flushing, or growing for one huge piece, first).
  char* room(size_t n) {
    if (len_ + n > size_) {
      flush();
      if (n > size_) {
        buf_.reset(new char[n]);
        size_ = n;
      }
    }
    return buf_.get() + len_;
  }
  static constexpr size_t kFlushAt = 1 << 19;
  std::unique_ptr<char[]> buf_;
  size_t size_;
  size_t len_ = 0;
  uint64_t flushed_ = 0;
};

/// The heap in 2 MiB pages, as `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` would have it (glibc
/// reads that only from the environment at start). On virtual machines where each page
/// fault is dear (20-40 us of CPU on the benchmark host), the words `--explain` and `--json`
/// keep for open connections - 8 to 15 MB of fresh heap on the generated captures - cost
/// 2,000 to 6,000 faults in 4 KiB pages, a tenth of the run; in huge pages, a few dozen.
/// The heap is grown once by 64 MiB of address space (M_TOP_PAD: only what is touched is
/// memory), marked MADV_HUGEPAGE, and kept (no trim, no mmap for blocks under 32 MiB: those
/// would be fresh 4 KiB pages again). Best effort: nothing changes where it cannot apply.
void heap_in_huge_pages() {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  constexpr size_t kHuge = size_t{2} << 20, kPad = size_t{64} << 20;
  if (!::mallopt(M_TOP_PAD, static_cast<int>(kPad)) || !::mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kPad)) ||
      !::mallopt(M_MMAP_THRESHOLD, 32 << 20))
    return;
  // Small blocks until the heap grows (by kPad and more, at once), then freed back into it.
  char* const before = static_cast<char*>(::sbrk(0));
  std::vector<void*> blocks;
  for (int i = 0; i < 256 && ::sbrk(0) == before; ++i) blocks.push_back(std::malloc(16 << 10));
  char* const after = static_cast<char*>(::sbrk(0));
  for (void* b : blocks) std::free(b);
  const auto up = [&](char* p) { return reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1)); };
  char* const from = up(before);
  if (after > before && after - from >= static_cast<ptrdiff_t>(kHuge))
    ::madvise(from, static_cast<size_t>(after - from) & ~(kHuge - 1), MADV_HUGEPAGE);
#endif
}

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
void row(TableWriter& out, const ConnectionReport& c, uint64_t id, bool explain) {
  const ResetReport* shown = nullptr;  // the reset that decided, else the last one
  for (const auto& r : c.resets) {
    shown = &r;
    if (r.reaction == RstReaction::Accepted) break;
  }
  char idt[24];
  out.right(std::string_view(idt, static_cast<size_t>(std::to_chars(idt, idt + sizeof idt, id).ptr - idt)), kIdW)
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
    if (p.inferred) out.text("*");  // rests on inferred state: the footer says what that means
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
  for (int s = 0; s < 2; ++s)
    if (!c.predicted[s].unknown.empty()) {
      out.text(s == 0 ? "       a: unknown: " : "       b: unknown: ").text(c.predicted[s].unknown);
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

/// JSON Lines into a buffer written in large blocks (as the table is).
class JsonLines {
 public:
  JsonLines() { buf_.reserve(kFlushAt + (64 << 10)); }
  std::string& buffer() { return buf_; }
  /// After each line: writes the buffer out once it is large.
  void line_done() {
    if (buf_.size() >= kFlushAt) flush();
  }
  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), stdout);
    buf_.clear();
    std::fflush(stdout);
  }

 private:
  static constexpr size_t kFlushAt = 1 << 19;
  std::string buf_;
};

/// --flow --json after the connection's line: one line per packet of it, in time order,
/// with what the analysis says about it.
void packet_lines(std::string& out, const Trace& t, const detail::CaptureGroup* files) {
  const int64_t t0 = t.events.empty() ? 0 : t.events.front().t_ns;
  size_t next = 0;
  for (size_t i = 0; i < t.events.size(); ++i) {
    const PacketEvent* p = t.events[i].packet();
    if (!p) continue;
    detail::JsonWriter j(out);
    j.begin_object().field("type", "packet").field("frame", p->frame);
    if (files) j.field("file", files->file_of(p->frame));
    j.field("t_ns", static_cast<int64_t>(t.events[i].t_ns))
        .field("t_us", static_cast<int64_t>((t.events[i].t_ns - t0) / 1000))
        .field("dir", dir_name(p->dir))
        .field("flags", tcp_flags_string(p->flags))
        .field("seq", p->seq)
        .field("ack", p->ack)
        .field("len", p->len)
        .field("win", static_cast<unsigned>(p->window))
        .field("seq_abs", p->seq_abs)
        .field("ack_abs", p->ack_abs)
        .field("checksum_ok", p->checksum_ok);
    j.key("notes").begin_array();
    for (; next < t.annotations.size() && t.annotations[next].event <= i; ++next)
      if (t.annotations[next].event == i) j.value(t.annotations[next].text);
    j.end_array().end_object();
    out += '\n';
  }
}

/// --flow: one connection's story, as text, JSON Lines or files.
void print_flow(const AnalyzeArgs& a, const ConnectionReport& c, uint64_t id, const detail::CaptureGroup& g,
                const std::vector<CapturedPacket>& kept, bool several_files) {
  ConnectionReport r = c;
  r.id = id;
  Trace t = connection_trace(r, g.link_type, kept, g.name());
  if (several_files) t.capture.file = g.frames_in();  // where each frame number is
  namespace fs = std::filesystem;
  std::vector<std::string> written;
  const std::tuple<const std::string*, std::string (*)(const Trace&), const char*> diagrams[] = {
      {&a.svg, [](const Trace& x) { return render_svg(x); }, "the ladder diagram (SVG)"},
      {&a.mermaid, render_mermaid, "the ladder as a Mermaid diagram"},
      {&a.plantuml, render_plantuml, "the ladder as a PlantUML diagram"}};
  for (const auto& [file, render, what] : diagrams) {
    if (file->empty()) continue;
    detail::write_file_atomic(*file, render(t));
    std::fprintf(stderr, "rstlab: wrote %s\n", file->c_str());
    written.push_back(*file);
  }
  if (!a.html.empty()) {
    // The page links the files written beside it by this command, and nothing else.
    const fs::path dir = fs::absolute(a.html).parent_path();
    for (size_t i = 0, k = 0; i < 3; ++i) {
      const std::string& file = *std::get<0>(diagrams[i]);
      if (file.empty()) continue;
      t.files.push_back({fs::proximate(fs::absolute(file), dir).generic_string(), std::get<2>(diagrams[i])});
      ++k;
    }
    detail::write_file_atomic(a.html, render_html_report(t));
    std::fprintf(stderr, "rstlab: wrote %s\n", a.html.c_str());
    written.push_back(a.html);
  }
  if (!written.empty() && !a.json) return;
  if (a.json) {
    JsonLines out;
    detail::append_connection_json(out.buffer(), r);
    packet_lines(out.buffer(), t, several_files ? &g : nullptr);
    out.flush();
  } else {
    std::fputs(render_text(t, ::isatty(STDOUT_FILENO)).c_str(), stdout);
  }
}

/// "1 connection(s)" etc. for one capture (a group of files read as one).
std::string counts_line(const detail::CaptureGroup& g, const AnalyzeStats& st, size_t shown, bool all) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                ": %llu packets (%llu TCP, %llu other), %llu connection(s), %llu RST(s), %llu FIN(s); %zu shown%s\n",
                static_cast<unsigned long long>(st.packets), static_cast<unsigned long long>(st.tcp),
                static_cast<unsigned long long>(st.not_tcp), static_cast<unsigned long long>(st.connections),
                static_cast<unsigned long long>(st.resets), static_cast<unsigned long long>(st.fins), shown,
                all ? "" : " (ended with a reset or an anomaly; --all shows every connection)");
  std::string line = g.name() + buf;
  if (g.files.size() > 1) line += "  one capture, its files in time order: " + g.frames_in() + "\n";
  if (!g.separate.empty()) line += "  analysed on its own: " + g.separate + "\n";
  return line;
}

}  // namespace

int run_analyze(const AnalyzeArgs& a) {
  if (a.files.empty()) throw InputError("analyze: no capture file given");
  if (!a.flow) heap_in_huge_pages();  // a whole capture streams through: see above
  AnalyzeOptions base;
  if (a.flow) {
    base.keep_flow = *a.flow;
  } else if (!a.json) {  // the table: only what it prints, words only where it prints them
    if (!a.all) base.report_only = [](const ConnectionReport& c) { return !c.resets.empty() || c.anomaly; };
    base.words = a.explain;
    base.explain_ok_endpoints = false;
  }
  const bool tty = ::isatty(STDERR_FILENO);
  if (tty)
    base.progress = [](uint64_t n) {
      std::fprintf(stderr, "\r\033[Krstlab: %.1f M packets read...", static_cast<double>(n) / 1e6);
    };

  // One file as it always was; several (or a folder) through the list of files.
  std::error_code ec;
  const bool single = a.files.size() == 1 && (a.files[0] == "-" || !std::filesystem::is_directory(a.files[0], ec));
  std::vector<detail::CaptureFile> files;
  if (!single) {
    std::vector<std::string> skipped;
    files = detail::list_capture_files(a.files, skipped);
    if (!skipped.empty()) {
      std::string list;
      for (size_t i = 0; i < skipped.size() && i < 5; ++i) list += (i ? ", " : "") + skipped[i];
      if (skipped.size() > 5) list += ", ...";
      std::fprintf(stderr, "rstlab: note: left out %zu file(s) that are not pcap or pcapng: %s\n", skipped.size(),
                   list.c_str());
    }
  }
  const bool several = !single && files.size() > 1;

  const bool table = !a.json && !a.flow;
  size_t shown = 0;
  std::map<std::string_view, uint64_t> causes;  // of the RSTs in the table
  uint64_t mid_stream = 0;                      // rows without a handshake in the capture
  bool inferred = false;                        // a prediction in the table rests on inferred state
  uint64_t offload = 0, connections = 0;
  std::vector<std::string> footers;             // one per capture, after the table
  std::optional<TableWriter> out;
  std::optional<JsonLines> json;
  if (table) {
    out.emplace();
    header(*out);
  } else if (a.json && !a.flow) {
    json.emplace();
  }
  bool flow_found = false;
  uint64_t id_offset = 0;                       // connections of the captures before this one
  std::optional<ConnectionReport> flow;
  size_t group_shown = 0;
  const detail::CaptureGroup* current = nullptr;
  std::vector<std::string_view> conn_files;     // JSON "files" of one connection

  const auto begin = [&](const detail::CaptureGroup& g) {
    current = &g;
    if (!g.separate.empty())
      std::fprintf(stderr, "rstlab: note: %s is analysed as a capture of its own: %s\n", g.files.front().c_str(),
                   g.separate.c_str());
    detail::GroupRun run;
    run.options = base;
    group_shown = 0;
    if (a.flow) {
      const bool here = *a.flow > id_offset;  // ids go on from one capture to the next
      const uint64_t local = here ? *a.flow - id_offset : 0;
      if (here) run.options.keep_flow = local;
      else run.options.keep_flow.reset();
      run.options.report_only = [local](const ConnectionReport& c) { return c.id == local; };
    }
    run.sink = [&](const ConnectionReport& c) {  // after report_only
      if (a.flow) {
        flow = c;
      } else if (json) {
        const ConnectionReport* r = &c;
        ConnectionReport shifted;
        if (id_offset) {  // a later capture of several: ids continue
          shifted = c;
          shifted.id += id_offset;
          r = &shifted;
        }
        if (several) {
          conn_files.clear();
          const detail::CaptureGroup& cg = *current;
          for (size_t i = 0; i < cg.files.size(); ++i) {
            const uint64_t from = cg.first_frame[i];
            const uint64_t to = i + 1 < cg.first_frame.size() ? cg.first_frame[i + 1] - 1 : UINT64_MAX;
            if (c.first_frame <= to && c.last_frame >= from) conn_files.push_back(cg.files[i]);
          }
        }
        detail::append_connection_json(json->buffer(), *r, several ? &conn_files : nullptr);
        json->line_done();
      } else {
        row(*out, c, c.id + id_offset, a.explain);
        ++shown;
        ++group_shown;
        for (const auto& r : c.resets) ++causes[r.cause];
        mid_stream += c.mid_stream;
        inferred |= c.predicted[0].inferred || c.predicted[1].inferred;
      }
    };
    return run;
  };
  const auto end = [&](const detail::CaptureGroup& g, const AnalyzeStats& st, std::vector<CapturedPacket>& kept) {
    if (json) json->flush();
    if (out) out->flush();
    if (tty && st.packets >= (1u << 20)) std::fprintf(stderr, "\r\033[K");
    const std::string name = g.name();
    for (const auto& [file, what] : g.file_warnings)
      std::fprintf(stderr, "rstlab: %s: warning: %s\n", file.c_str(), what.c_str());
    for (const auto& [what, n] : st.warnings)
      std::fprintf(stderr, "rstlab: %s: warning: %s%s\n", name.c_str(), what.c_str(),
                   n > 1 || what.find("cut short") == std::string::npos
                       ? (" (" + std::to_string(n) + " packets)").c_str()
                       : "");
    offload += st.offload_checksums;
    connections += st.connections;
    if (table) footers.push_back(counts_line(g, st, group_shown, a.all));
    if (a.flow && flow) {
      print_flow(a, *flow, *a.flow, g, kept, several);
      flow_found = true;
      return false;  // the connection is told: the files after it are not needed
    }
    id_offset += st.connections;
    return true;
  };

  if (single) {
    detail::CaptureGroup g;
    g.files = {a.files[0]};
    g.first_frame = {1};
    detail::GroupRun run = begin(g);
    std::vector<CapturedPacket> kept;
    int dlt = 0;
    const AnalyzeStats st = analyze_file(a.files[0], run.sink, run.options, &kept, &dlt);
    g.link_type = dlt;
    g.frames = st.packets;
    std::cout.flush();
    end(g, st, kept);
  } else {
    detail::analyze_files(files, begin, end, a.flow.has_value());
  }

  if (a.flow) {
    if (!flow_found)
      throw InputError((single ? a.files[0] : std::string("the files given")) + ": no connection " +
                       std::to_string(*a.flow) + " (it has " + std::to_string(connections) + ")");
    return 0;
  }
  if (table) {
    std::fputs("\n", stdout);
    for (const auto& f : footers) std::fputs(f.c_str(), stdout);
    print_causes(causes);
    if (mid_stream)
      std::printf("%llu of the connections listed started before the capture (no handshake in it): both "
                  "endpoints taken as ESTABLISHED, the first sequence numbers seen as in order.\n",
                  static_cast<unsigned long long>(mid_stream));
    if (offload)
      std::printf("captured on the sending host: %llu segments carry checksums the NIC completes later; they are "
                  "treated as valid.\n",
                  static_cast<unsigned long long>(offload));
    if (inferred)
      std::printf("* after a prediction: it rests on state inferred from the other side's segments (the capture "
                  "lacks that endpoint's own, or its handshake)%s.\n",
                  a.explain ? "" : "; --explain says what is unknown");
    std::printf("Next read / write: what each endpoint's next call returns as far as the wire tells "
                "(ok = data or wait; closed = it sent the RST).\n%s--flow ID gives one connection's "
                "annotated timeline.\n",
                a.explain ? "" : "--explain puts each row's reasons under it; ");
  }
  return 0;
}

}  // namespace rstlab
