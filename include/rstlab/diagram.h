// SPDX-License-Identifier: MIT
#pragma once
/// @file Diagrams of an annotated trace, for training material: an SVG ladder diagram,
/// Mermaid and PlantUML sequence diagrams, and HTML reports.

#include <string>
#include <vector>

#include "rstlab/trace.h"

namespace rstlab {

enum class TimeMode {
  EventOrder,    ///< one row per event (default): easiest to read
  Proportional,  ///< vertical distance follows time (rows never closer than a line)
};

/// A self-contained SVG (no external fonts, images or scripts).
std::string render_svg(const Trace& trace, TimeMode mode = TimeMode::EventOrder);
/// A Mermaid `sequenceDiagram`.
std::string render_mermaid(const Trace& trace);
/// A PlantUML sequence diagram.
std::string render_plantuml(const Trace& trace);

/// One page for one run: the diagram, the annotated timeline as a table, and links to
/// the run's files (which sit beside the page). Works offline from the file system.
std::string render_html_report(const Trace& trace, TimeMode mode = TimeMode::EventOrder);

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
