// SPDX-License-Identifier: MIT
// HTML reports: one page per run and an index of runs. Self-contained (inline CSS and
// SVG, no script, no network), so they open straight from the file system.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "render/text_util.h"
#include "rstlab/diagram.h"
#include "rstlab/render.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

std::string esc(const std::string& s) { return detail::xml_escape(detail::visible(s)); }

const char* kStyle = R"(<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1160px;color:#1d2530;padding:0 1em}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d0d4da;padding-bottom:.2em}
.badge{font-size:.55em;padding:.2em .6em;border-radius:.4em;vertical-align:middle;color:#fff}
.passed{background:#2e7d32}.failed{background:#c62828}.capture{background:#44546a}
.title{font-size:1.15em;color:#44546a}.story{max-width:70em;line-height:1.5}
.observer{background:#fff8dd;border:2px solid #e08a00;border-radius:8px;padding:.6em 1em}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #e3e6ea;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.t{font-family:monospace;color:#7a828c;white-space:nowrap}
td.ev{font-family:monospace}.rst{color:#b01f1f;font-weight:bold}.fin{color:#9a6200;font-weight:bold}
.err{color:#b01f1f}.eof{color:#9a6200}.act{color:#5f6b7a;font-style:italic}
.out{color:#3c4043;background:#f4f5f7}.err-out{color:#8a3b12}
.note{color:#44546a;font-size:.92em}.obs{font-weight:bold;color:#8a5200}.mis{color:#c62828;font-weight:bold}
.ok{color:#2e7d32}.bad{color:#c62828;font-weight:bold}
.diagram{border:1px solid #e3e6ea;border-radius:6px}
.diagram svg{display:block;width:100%;height:auto}
footer{margin-top:2em;color:#7a828c;font-size:.85em}
</style>
)";

std::string ms(double ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", ns / 1e6);
  return b;
}

}  // namespace

std::string render_html_report(const Trace& t, TimeMode mode) { return render_html_report_with(t, render_svg(t, mode)); }

std::string render_html_report_with(const Trace& t, std::string svg) {
  std::ostringstream o;
  o << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>rstlab: "
    << esc(t.scenario) << " (" << esc(t.link) << ")</title>\n"
    << kStyle << "</head>\n<body>\n<header>\n<h1>" << esc(t.scenario) << " <span class=\"badge "
    << (t.from_capture() ? "capture\">prediction from the capture"
                         : t.passed() ? "passed\">PASSED" : "failed\">FAILED")
    << "</span></h1>\n"
    << "<p class=\"title\">" << esc(t.title) << "</p>\n";
  if (!t.story.empty()) o << "<p class=\"story\">" << esc(t.story) << "</p>\n";
  o << "<p>link <b>" << esc(t.link) << "</b>, " << family_name(t.family) << " &middot; client "
    << esc(t.client.kind) << " " << esc(t.client.endpoint.str()) << " &middot; server " << esc(t.server.kind) << " "
    << esc(t.server.endpoint.str()) << "</p>\n</header>\n";
  if (t.from_capture()) {
    o << "<section class=\"observer\" id=\"prediction\"><h2>Prediction from the capture</h2>\n"
      << "<p>What each endpoint's next call returns, as far as the wire tells.</p>\n<ul>\n";
    bool inferred = false;
    for (const EndpointOutlook& e : t.outlook) {
      o << "<li><b>" << esc(e.role + " " + e.endpoint.str()) << "</b>: next read <b>" << esc(e.next_read)
        << "</b>, next write <b>" << esc(e.next_write) << (e.sigpipe ? " +SIGPIPE" : "") << "</b>";
      if (!e.so_error.empty() && e.so_error != "0") o << " (SO_ERROR " << esc(e.so_error) << ")";
      if (e.inferred) o << " *";
      inferred |= e.inferred;
      if (!e.why.empty()) o << "<br>" << esc(e.why);
      if (!e.unknown.empty()) o << "<br>unknown: " << esc(e.unknown);
      o << "</li>\n";
    }
    o << "</ul>\n";
    if (inferred)
      o << "<p>* rests on state inferred from the other side's segments (that endpoint's own are not all in the "
           "capture)</p>\n";
    o << "</section>\n";
  } else if (t.first_observer) {
    const auto& f = *t.first_observer;
    o << "<section class=\"observer\" id=\"first-observer\"><h2>First observer</h2>\n<p><b>"
      << esc(f.actor + " " + f.call + " -> " + f.result) << "</b></p>\n<p>" << esc(f.reason) << "</p></section>\n";
  } else {
    o << "<section class=\"observer\" id=\"first-observer\"><h2>First observer</h2>\n"
      << "<p>None: no call saw a reset, FIN, local shutdown or timeout.</p></section>\n";
  }
  if (!t.failures.empty()) {
    o << "<h2>Problems</h2>\n<ul>\n";
    for (const auto& f : t.failures) o << "<li class=\"bad\">" << esc(f) << "</li>\n";
    o << "</ul>\n";
  }
  // Inline, without the XML declaration; the page scales it to its width (.diagram svg),
  // diagram.svg beside it keeps its own size.
  // The page is put together once at the end, the drawing (megabytes for a long trace)
  // copied into it once.
  o << "<h2>Ladder diagram</h2>\n<div class=\"diagram\" id=\"diagram\">\n";
  const std::string head = o.str();
  const size_t from = std::min(svg.find("<svg"), svg.size());
  o.str("");
  o << "</div>\n";
  auto page = [&] {
    const std::string tail = o.str();
    std::string out;
    out.reserve(head.size() + (svg.size() - from) + tail.size());
    out += head;
    out.append(svg, from, std::string::npos);
    out += tail;
    return out;
  };

  const bool expectations = !t.from_capture();  // a capture has none
  o << "<h2>Timeline</h2>\n<table id=\"timeline\">\n<tr><th>t (ms)</th><th>who</th><th>event</th>"
    << (expectations ? "<th>expected</th>" : "") << "<th>why (kernel rules)</th></tr>\n";
  const int64_t t0 = t.events.empty() ? 0 : t.events.front().t_ns;
  size_t next = 0;
  for (size_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    std::string who, text, cls;
    if (const auto* p = e.packet()) {
      who = p->injected_by.empty() ? "wire" : p->injected_by;
      text = packet_line(*p) + "  #" + std::to_string(p->frame);
      cls = (p->flags & tcpflag::RST) ? "rst" : (p->flags & tcpflag::FIN) ? "fin" : "";
    } else if (const auto* s = e.syscall()) {
      who = s->actor;
      text = syscall_line(*s) + (s->state.empty() ? "" : "  [" + s->state + "]");
      cls = s->failed() ? "err" : s->eof() ? "eof" : "";
    } else if (const auto* a = e.action()) {
      who = a->actor;
      text = detail::action_label(t, *a);
      cls = "act";
    } else if (const auto* out = e.output()) {
      who = out->actor;
      text = detail::output_label(*out);
      cls = out->stream == 2 ? "out err-out" : "out";
    }
    std::string notes;
    for (; next < t.annotations.size() && t.annotations[next].event <= i; ++next) {
      const Annotation& a = t.annotations[next];
      const char* c = a.kind == "observer" ? "obs" : a.kind == "mismatch" ? "mis" : "note";
      notes += "<div class=\"" + std::string(c) + "\">" + esc(a.text) + "</div>";
    }
    std::string expected;
    if (!e.expected.empty())
      expected = std::string("<span class=\"") + (e.met.value_or(false) ? "ok\">ok: " : "bad\">EXPECTED ") +
                 esc(e.expected) + "</span>";
    o << "<tr><td class=\"t\">" << ms(detail::elapsed_ns(t0, e.t_ns)) << "</td><td>" << esc(who) << "</td><td class=\"ev " << cls << "\">"
      << esc(text) << "</td><td>" << (expectations ? expected + "</td><td>" : "") << notes << "</td></tr>\n";
  }
  if (t.from_capture()) {  // links only to files written beside this page
    o << "</table>\n";
    if (!t.files.empty()) {
      o << "<h2>Files</h2>\n<ul id=\"files\">\n";
      for (const FileLink& f : t.files)
        o << "<li><a href=\"" << esc(f.href) << "\">" << esc(f.href) << "</a> - " << esc(f.what) << "</li>\n";
      o << "</ul>\n";
    }
    o << "<footer>capture: " << t.capture.packets << " packets of this connection in " << esc(t.capture.file)
      << (t.frames_in.empty() ? "" : " (" + esc(t.frames_in) + ")") << " &middot; made by rstlab</footer>\n"
      << "</body>\n</html>\n";
    return page();
  }
  o << "</table>\n<h2>Files</h2>\n<ul id=\"files\">\n"
    << "<li><a href=\"capture.pcap\">capture.pcap</a> - every segment on the lab link (Wireshark, tcpdump)</li>\n"
    << "<li><a href=\"capture.pcapng\">capture.pcapng</a> - the same packets, annotated as packet comments</li>\n"
    << "<li><a href=\"trace.json\">trace.json</a> - the timeline for programs (jq)</li>\n"
    << "<li><a href=\"trace.txt\">trace.txt</a> - the timeline as text</li>\n"
    << "<li><a href=\"diagram.svg\">diagram.svg</a>, <a href=\"diagram.mmd\">diagram.mmd</a> (Mermaid), "
    << "<a href=\"diagram.puml\">diagram.puml</a> (PlantUML)</li>\n</ul>\n"
    << "<footer>capture: " << t.capture.packets << " packets, " << t.capture.dropped << " dropped &middot; "
    << "made by rstlab</footer>\n</body>\n</html>\n";
  return page();
}

std::string render_html_index(const std::vector<ReportRow>& rows) {
  size_t failed = 0;
  for (const auto& r : rows) failed += r.passed ? 0 : 1;
  std::ostringstream o;
  o << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>rstlab runs</title>\n"
    << kStyle << "</head>\n<body>\n<h1>rstlab runs</h1>\n<p>" << rows.size() << " run" << (rows.size() == 1 ? "" : "s")
    << ", <span class=\"" << (failed ? "bad" : "ok") << "\">" << failed << " failed</span>. Each row links to the "
    << "run's page: its ladder diagram, annotated timeline and capture.</p>\n"
    << "<table id=\"runs\">\n<tr><th>scenario</th><th>link</th><th>title</th><th>first observer</th>"
    << "<th>result</th></tr>\n";
  for (const auto& r : rows)
    o << "<tr><td><a href=\"" << esc(r.href) << "\">" << esc(r.scenario) << "</a></td><td>" << esc(r.link)
      << "</td><td>" << esc(r.title) << "</td><td class=\"ev\">" << esc(r.first_observer.empty() ? "-" : r.first_observer)
      << "</td><td class=\"" << (r.passed ? "ok\">passed" : "bad\">FAILED") << "</td></tr>\n";
  o << "</table>\n<footer>made by rstlab</footer>\n</body>\n</html>\n";
  return o.str();
}

}  // namespace rstlab
