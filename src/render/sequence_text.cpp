// SPDX-License-Identifier: MIT
// Mermaid and PlantUML sequence diagrams: the same content as the SVG ladder, as text
// that wikis, Markdown renderers and slide tools draw themselves.
#include <sstream>

#include "render/text_util.h"
#include "rstlab/diagram.h"
#include "rstlab/render.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

using detail::visible;

std::string actor_line(const ActorInfo& a) {
  const std::string kind = a.kind == "kernel"    ? "kernel socket"
                           : a.kind == "peer"    ? "crafted peer"
                           : a.kind == "program" ? "traced program"
                                                 : "none";
  return kind + " " + visible(a.endpoint.str());
}

/// Breaks a long text into lines of about `width` characters.
std::string wrapped(const std::string& text, size_t width) {
  std::string out;
  for (const auto& line : detail::wrap_words(text, width)) out += (out.empty() ? "" : "\n") + line;
  return out;
}

std::string call_note(const Trace& t, size_t i, const SyscallEvent& s, const Event& e) {
  // The pieces are made visible() before the label's own line breaks are added.
  std::string n = visible(syscall_line(s));
  if (!s.state.empty()) n += " [" + visible(s.state) + "]";
  if (e.met && !*e.met) n += " EXPECTED " + visible(e.expected);
  if (t.first_observer && t.first_observer->event == i)
    n += "\n" + wrapped("FIRST OBSERVER: " + visible(t.first_observer->reason), 64);
  return n;
}

bool is_error(const SyscallEvent& s) { return s.failed(); }

// ---- Mermaid ----------------------------------------------------------------

/// Mermaid text: ';' ends a statement and '#' starts an entity; '<' '>' are HTML.
std::string mm(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case ';': o += "#59;"; break;
      case '#': o += "#35;"; break;
      case '<': o += "#lt;"; break;
      case '>': o += "#gt;"; break;
      case '\n': o += "<br/>"; break;
      default: o += c;
    }
  }
  return o;
}

}  // namespace

std::string render_mermaid(const Trace& t) {
  std::ostringstream o;
  o << "%% rstlab: " << mm(visible(t.scenario)) << " (" << mm(visible(t.link)) << ", " << family_name(t.family) << ")\n"
    << "%% " << mm(visible(t.title)) << "\n"
    << "sequenceDiagram\n"
    << "    participant C as client - " << mm(actor_line(t.client)) << "\n";
  if (t.has_middle()) o << "    participant M as middle - middlebox on the path\n";
  o << "    participant S as server - " << mm(actor_line(t.server)) << "\n";
  const std::vector<std::string> verdicts = detail::packet_verdicts(t);
  for (size_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    if (const auto* p = e.packet()) {
      const bool cs = p->dir == Dir::ClientToServer;
      const char* arrow = (p->flags & tcpflag::RST) ? "-x" : (p->flags & tcpflag::FIN) ? "-)"
                          : p->len > 0                ? "->>"
                                                      : "-->>";
      std::string label = packet_label(*p) + " #" + std::to_string(p->frame);
      const std::string verdict = visible(verdicts[i]);
      if (!verdict.empty()) label += " - " + verdict;
      const char* from = !p->injected_by.empty() ? "M" : cs ? "C" : "S";  // the middle's own segments
      o << "    " << from << arrow << (cs ? "S" : "C") << ": " << mm(label) << "\n";
    } else if (const auto* s = e.syscall()) {
      const bool c = t.side_of(*s) == 0;
      const bool observer = t.first_observer && t.first_observer->event == i;
      if (observer) o << "    rect rgb(255, 244, 194)\n";
      o << "    Note " << (c ? "left of C" : "right of S") << ": " << mm(call_note(t, i, *s, e)) << "\n";
      if (observer) o << "    end\n";
    } else if (const auto* a = e.action(); a && a->actor == "middle") {
      o << "    Note over M: " << mm(wrapped("middle " + a->action + ": " + a->detail, 48)) << "\n";
    } else if (const auto* a = e.action()) {
      o << "    Note " << (detail::action_on_client(t, *a) ? "left of C" : "right of S") << ": "
        << mm(visible(detail::action_label(t, *a))) << "\n";
    } else if (const auto* out = e.output()) {
      o << "    Note " << (detail::output_on_client(t, *out) ? "left of C" : "right of S") << ": "
        << mm(detail::output_label(*out)) << "\n";
    }
  }
  return o.str();
}

// ---- PlantUML ---------------------------------------------------------------

namespace {

/// PlantUML labels: a backslash escapes, so real ones are doubled; newlines become \n.
std::string pu(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\') o += "\\\\";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

const char* pu_colour(const PacketEvent& p) {
  if (p.flags & tcpflag::RST) return "#d12a2a";
  if (p.flags & tcpflag::FIN) return "#d98a00";
  if (p.len > 0) return "#1f5fbf";
  return "#8a8f98";
}

}  // namespace

std::string render_plantuml(const Trace& t) {
  std::ostringstream o;
  o << "@startuml\n"
    << "' rstlab: " << visible(t.scenario) << " (" << visible(t.link) << ", " << family_name(t.family) << ")\n"
    << "title " << pu(visible(t.scenario) + "\n" + visible(t.title)) << "\n"
    << "skinparam monochrome false\n"
    << "skinparam shadowing false\n"
    << "skinparam defaultFontName monospace\n"
    << "participant \"" << pu("client\n" + actor_line(t.client)) << "\" as C\n";
  if (t.has_middle()) o << "participant \"" << pu("middle\nmiddlebox on the path") << "\" as M\n";
  o << "participant \"" << pu("server\n" + actor_line(t.server)) << "\" as S\n";
  const std::vector<std::string> verdicts = detail::packet_verdicts(t);
  for (size_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    if (const auto* p = e.packet()) {
      const bool cs = p->dir == Dir::ClientToServer;
      std::string label = packet_label(*p) + "  #" + std::to_string(p->frame);
      const std::string verdict = visible(verdicts[i]);
      if (!verdict.empty()) label += "\n" + verdict;
      const char* from = !p->injected_by.empty() ? "M" : cs ? "C" : "S";  // the middle's own segments
      o << from << " -[" << pu_colour(*p) << "]> " << (cs ? "S" : "C") << " : " << pu(label) << "\n";
    } else if (const auto* s = e.syscall()) {
      const bool observer = t.first_observer && t.first_observer->event == i;
      const char* colour = observer ? " #fff4c2" : is_error(*s) ? " #fde8e8" : "";
      o << "note " << (t.side_of(*s) == 0 ? "left of C" : "right of S") << colour << " : "
        << pu(call_note(t, i, *s, e)) << "\n";
    } else if (const auto* a = e.action(); a && a->actor == "middle") {
      o << "note over M #f6eef8 : " << pu(wrapped("middle " + a->action + ": " + a->detail, 48)) << "\n";
    } else if (const auto* a = e.action()) {
      o << "note " << (detail::action_on_client(t, *a) ? "left of C" : "right of S") << " #eef2f8 : "
        << pu(visible(detail::action_label(t, *a))) << "\n";
    } else if (const auto* out = e.output()) {
      o << "note " << (detail::output_on_client(t, *out) ? "left of C" : "right of S") << " #f4f4f4 : "
        << pu(detail::output_label(*out)) << "\n";
    }
  }
  o << "@enduml\n";
  return o.str();
}

}  // namespace rstlab
