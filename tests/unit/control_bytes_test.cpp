// SPDX-License-Identifier: MIT
// Bytes from a scenario or a trace file never break a text output: a CR or LF in an
// expectation, an ESC in a peer's data, a byte that is not UTF-8. trace.txt and the
// terminal, Mermaid, PlantUML, SVG and HTML each keep one line per entry and stay valid
// text; the parser keeps the scenario's strings escaped as they were written.
#include <gtest/gtest.h>

#include <cerrno>

#include "render/text_util.h"
#include "rstlab/diagram.h"
#include "rstlab/render.h"
#include "rstlab/scenario.h"
#include "rstlab/wire.h"

using namespace rstlab;

namespace {

const std::string kNasty = std::string("GET /\r\n\x1b[2J\x07\xff\xc3(\x00z", 17);

Trace nasty_trace() {
  Trace t;
  t.scenario = "nasty";
  t.link = "veth";
  t.title = "title\r\nsecond line\x1b";
  t.story = "story\nwith\x01bytes";
  t.client = {"kernel", Endpoint::parse("192.0.2.1:40001"), "default"};
  t.server = {"peer", Endpoint::parse("192.0.2.2:8080"), ""};
  SyscallEvent s;
  s.actor = "client";
  s.call = "read";
  s.args = "10";
  s.ret = 7;
  s.value = kNasty;
  Event call;
  call.t_ns = 1000;
  call.body = s;
  call.expected = "\"" + kNasty + "\"";  // as a hand-written trace.json may hold it
  call.met = false;
  t.events.push_back(call);
  Event action;
  action.t_ns = 2000;
  action.body = ActionEvent{"server", "recv", "7 bytes: \"" + kNasty + "\""};
  t.events.push_back(action);
  t.annotations.push_back({0, "call", "why\r\nnot\x1b[31m", ""});
  t.failures.push_back("client read 10: expected \"" + kNasty + "\"");
  FirstObserver f;
  f.event = 0;
  f.actor = "client";
  f.call = "read";
  f.result = "data\r";
  f.reason = "because\n\x1b";
  t.first_observer = f;
  return t;
}

/// Valid UTF-8 and no control byte but the line ends (and, when `esc_ok`, the colour
/// codes' own ESC).
void expect_clean(const std::string& out, const std::string& what, bool esc_ok = false) {
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (c == '\n' || (esc_ok && c == 0x1b && i + 1 < out.size() && out[i + 1] == '[')) continue;
    ASSERT_FALSE(c < 0x20 || c == 0x7f)
        << what << ": control byte " << int(c) << " at " << i << " in\n"
        << out;
  }
  // Valid UTF-8: every lead byte has its continuation bytes.
  for (size_t i = 0; i < out.size();) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    const size_t n = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
    ASSERT_NE(n, 0u) << what << ": invalid UTF-8 byte " << int(c) << " at " << i;
    for (size_t k = 1; k < n; ++k)
      ASSERT_EQ(static_cast<unsigned char>(out[i + k]) & 0xc0, 0x80)
          << what << ": invalid UTF-8 at " << i;
    i += n;
  }
}

}  // namespace

TEST(ControlBytes, VisibleEscapesControlsAndBrokenUtf8Only) {
  EXPECT_EQ(detail::visible(kNasty), "GET /\\r\\n\\x1b[2J\\x07\\xff\\xc3(\\x00z");
  EXPECT_EQ(detail::visible("caf\xc3\xa9 \\n stays"),
            "caf\xc3\xa9 \\n stays");                    // é and a written \n
  EXPECT_EQ(detail::visible("\xc2\x9b"), "\\xc2\\x9b");  // a C1 control (CSI) is a control too
  EXPECT_EQ(detail::visible("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a UTF-16 surrogate is not UTF-8
}

TEST(ControlBytes, TraceTextKeepsOneLinePerEntry) {
  const Trace t = nasty_trace();
  for (const bool colour : {false, true}) {
    const std::string out = render_text(t, colour);
    expect_clean(out, colour ? "terminal" : "trace.txt", colour);
    EXPECT_NE(out.find("\"GET /\\r\\n\\x1b[2J\\x07\\xff\\xc3(\\x00z\""), std::string::npos) << out;
  }
  const std::string plain = render_text(t, false);
  // The expectation stays on the line of its call.
  const size_t line = plain.find("read(10) = 7");
  ASSERT_NE(line, std::string::npos);
  EXPECT_NE(plain.substr(line, plain.find('\n', line) - line).find("EXPECTED \"GET /\\r\\n"),
            std::string::npos)
      << plain;
  EXPECT_NE(plain.find("title\\r\\nsecond line\\x1b\n"), std::string::npos);
  EXPECT_NE(plain.find("  - client read 10: expected \"GET /\\r\\n"), std::string::npos);
}

TEST(ControlBytes, DiagramsStayValidText) {
  const Trace t = nasty_trace();
  const std::string mermaid = render_mermaid(t), plantuml = render_plantuml(t), svg = render_svg(t),
                    html = render_html_report(t);
  expect_clean(mermaid, "Mermaid");
  expect_clean(plantuml, "PlantUML");
  expect_clean(svg, "SVG");
  expect_clean(html, "HTML");
  // Every Mermaid and PlantUML statement is one line: a note's bytes did not split it.
  for (const std::string* src : {&mermaid, &plantuml}) {
    size_t at = 0;
    while ((at = src->find("GET /", at)) != std::string::npos) {
      const size_t end = src->find('\n', at);
      EXPECT_NE(src->substr(at, end - at).find("z"), std::string::npos) << *src;
      ++at;
    }
  }
  EXPECT_NE(svg.find("GET /\\r\\n\\x1b[2J"), std::string::npos);
  EXPECT_NE(html.find("GET /\\r\\n\\x1b[2J\\x07\\xff\\xc3(\\x00z"), std::string::npos);
  std::vector<ReportRow> rows(1);
  rows[0].scenario = "nasty";
  rows[0].title = "a\rb\xfe";
  rows[0].first_observer = "client read -> \x1b";
  expect_clean(render_html_index(rows), "index.html");
}

TEST(ControlBytes, ParserKeepsStringsEscapedInStepAndExpectationText) {
  const Scenario s = parse_scenario(
      "scenario s\nclient kernel\nserver peer\nclient connect\nclient write \"GET /\\r\\n\\xff\" "
      "=> 8\n"
      "client read 10 => \"ok\\r\\n\"\n",
      "s.scn");
  ASSERT_EQ(s.steps.size(), 3u);
  EXPECT_EQ(s.steps[1].call.data, "GET /\r\n\xff");  // the bytes themselves
  EXPECT_EQ(s.steps[1].text, "write \"GET /\\r\\n\\xff\"");
  ASSERT_TRUE(s.steps[2].expect);
  EXPECT_EQ(s.steps[2].expect->value, "ok\r\n");
  EXPECT_EQ(s.steps[2].expect->text, "\"ok\\r\\n\"");
}
