// SPDX-License-Identifier: MIT
#pragma once
/// @file Diagrams of an annotated trace, for training material: an SVG ladder diagram,
/// Mermaid and PlantUML sequence diagrams, and HTML reports.

#include <string>
#include <utility>
#include <vector>

#include "rstlab/trace.h"

namespace rstlab {

enum class TimeMode {
  EventOrder,    ///< one row per event (default): easiest to read
  Proportional,  ///< vertical distance follows time (rows never closer than a line)
};

/// A self-contained SVG (no external fonts, images or scripts).
std::string render_svg(const Trace& trace, TimeMode mode = TimeMode::EventOrder);
/// One thing drawn on the SVG ladder and the room it takes, for layout checks. Widths
/// are estimated from the monospace font's advance (0.61 em), so they err on the wide side.
struct LadderShape {
  enum class Kind {
    Text,   ///< one line of text: its box
    Box,    ///< a call box, the first observer's callout, a blocked call's span
    Arrow,  ///< a packet's arrow: (x0, y0) to (x1, y1)
  };
  Kind kind = Kind::Text;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  std::string what;  ///< the text itself, or what the box or arrow is
  int inside = -1;   ///< a text drawn inside a box (or a part of a box): that box's index
};
struct LadderLayout {
  int width = 0, height = 0;
  std::vector<LadderShape> shapes;
};
/// A row of the ladder: an event, or the moment a call that blocked was entered (a
/// call blocked when other events happened between its entry and its return).
struct LadderRow {
  size_t event = 0;  ///< index into Trace::events
  bool entry = false;
};
/// The ladder's rows from top to bottom.
std::vector<LadderRow> ladder_rows(const Trace& trace);
/// The ladder for stepping through it (the course): as render_svg, with each row drawn
/// in its own `<g class="step" data-step="N">`, N counting ladder_rows.
std::string render_svg_steps(const Trace& trace);

/// What render_svg draws, as shapes.
LadderLayout svg_ladder_layout(const Trace& trace, TimeMode mode = TimeMode::EventOrder);
/// Every pair of shapes that collide: two texts, a text and a box it is not inside, two
/// boxes, or an arrow through a text or a box. A good ladder has none.
std::vector<std::pair<size_t, size_t>> ladder_overlaps(const LadderLayout& layout);

/// A Mermaid `sequenceDiagram`.
std::string render_mermaid(const Trace& trace);
/// A PlantUML sequence diagram.
std::string render_plantuml(const Trace& trace);

/// One page for one run: the diagram, the annotated timeline as a table, and links to
/// the run's files (which sit beside the page). Works offline from the file system.
std::string render_html_report(const Trace& trace, TimeMode mode = TimeMode::EventOrder);
/// The same page around a ladder already drawn: `svg` is render_svg(trace, mode)'s text
/// (a run folder writes diagram.svg and index.html from one drawing).
std::string render_html_report_with(const Trace& trace, std::string svg);

/// A row of the index page of a folder of runs.
struct ReportRow {
  std::string scenario, link, title;
  bool passed = false;
  std::string first_observer;  ///< "client write -> EPIPE +SIGPIPE (killed)", or empty
  std::string href;            ///< the run's page, relative to the index
};
std::string render_html_index(const std::vector<ReportRow>& rows);

/// The short label of a packet on a diagram, tcpdump style: "S", "P. 1:2 ack 1", "R seq 2".
std::string packet_label(const PacketEvent& p);
/// What a packet's annotations say in a few words ("accepted: sk_err = EPIPE",
/// "challenge ACK", "ignored: out of window"), or empty.
std::string packet_verdict(const Trace& trace, size_t event);

}  // namespace rstlab
