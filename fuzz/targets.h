// SPDX-License-Identifier: MIT
#pragma once
// The fuzz entry points, shared by the libFuzzer harnesses (fuzz/*.cpp) and by the unit
// tests that replay every input they once crashed on (tests/data/fuzz-regressions/, see
// analyze_test.cpp, parser_test.cpp and trace_json_test.cpp).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "rstlab/analyze.h"
#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/render.h"
#include "rstlab/scenario.h"
#include "rstlab/trace_json.h"
#include "rstlab/wire.h"

namespace rstlab::fuzz {

/// Bytes -> decoded packet -> connection model and annotation. The first byte picks
/// the link type, the rest is one captured packet (fed twice, both directions' state).
inline void decode_and_annotate(const uint8_t* data, size_t size) {
  static const int kLinks[] = {linktype::ETHERNET, linktype::RAW, linktype::LINUX_SLL, linktype::LINUX_SLL2,
                               linktype::NULL_BSD, linktype::LOOP, linktype::IPV4, linktype::IPV6};
  if (size < 1) return;
  const int dlt = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
  TcpSegment s;
  decode_tcp(dlt, data + 1, size - 1, s, true);
  Analyzer a(dlt, [](const ConnectionReport& r) { (void)r.ending.size(); });
  a.on_packet(1, 1, data + 1, size - 1, static_cast<uint32_t>(size - 1));
  a.on_packet(2, 2, data + 1, size - 1, static_cast<uint32_t>(size + 100));
  a.finish();
}

/// Bytes as a whole pcap/pcapng file through the reader and the analyzer.
inline void read_capture_bytes(const uint8_t* data, size_t size) {
  try {
    analyze_memory(data, size, "fuzz", [](const ConnectionReport& r) { (void)r.resets.size(); });
  } catch (const InputError&) {
    // A clear refusal is a correct answer for bad bytes.
  }
}

/// A refusal must name its input first ("source:..."), as the CLI prints it alone; any
/// other message is a bug, reported as a crash so that the fuzzer keeps the input.
inline void require_named(const InputError& e, const std::string& source) {
  const std::string what = e.what();
  if (what.compare(0, source.size() + 1, source + ":") != 0) {
    std::fprintf(stderr, "refusal without its source: %s\n", what.c_str());
    std::abort();
  }
}

/// Bytes as a scenario file's text -> the parser. It either parses or throws InputError
/// "source:line:column: ..."; any other exception escapes, and the fuzzer counts it as a crash.
inline void parse_scenario_bytes(const uint8_t* data, size_t size) {
  const std::string source = "fuzz.scn";
  try {
    const Scenario s = parse_scenario(std::string(reinterpret_cast<const char*>(data), size), source);
    (void)s.steps.size();
  } catch (const InputError& e) {
    require_named(e, source);
  }
}

/// Bytes as a trace.json -> the reader -> one renderer of `rstlab diagram`. The reader either
/// returns a trace the renderers can draw or throws InputError naming the file and the
/// field; any other exception escapes and counts as a crash. One renderer per input (picked
/// by its size) keeps the runs fast; the corpus reaches all of them.
inline void read_trace_bytes(const uint8_t* data, size_t size) {
  const std::string source = "fuzz.json";
  Trace t;
  try {
    t = trace_from_json(std::string(reinterpret_cast<const char*>(data), size), source);
  } catch (const InputError& e) {
    require_named(e, source);
    return;
  }
  std::string out;
  switch (size % 6) {
    case 0: out = render_text(t, false); break;
    case 1: out = render_svg(t, TimeMode::EventOrder); break;
    case 2: out = render_svg(t, TimeMode::Proportional); break;
    case 3: out = render_mermaid(t); break;
    case 4: out = render_plantuml(t); break;
    default: out = render_html_report(t); break;
  }
  if (out.empty()) std::abort();  // every renderer writes at least its frame
}

}  // namespace rstlab::fuzz
