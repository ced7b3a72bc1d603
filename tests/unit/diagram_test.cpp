// SPDX-License-Identifier: MIT
// Renderers: golden diagram sources for reviewed traces, and the properties every
// output must have.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rstlab/capture.h"
#include "rstlab/diagram.h"
#include "rstlab/outputs.h"
#include "rstlab/trace_json.h"

namespace fs = std::filesystem;
using namespace rstlab;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kGolden = fs::path(RSTLAB_TEST_DATA) / "golden";

Trace golden_trace(const std::string& name) {
  const fs::path p = kGolden / (name + ".trace.json");
  return trace_from_json(slurp(p), p.string());
}

/// Compares with the reviewed file; RSTLAB_UPDATE_GOLDEN=1 rewrites it instead.
void expect_golden(const std::string& text, const std::string& file) {
  const fs::path p = kGolden / file;
  if (std::getenv("RSTLAB_UPDATE_GOLDEN")) {
    std::ofstream(p, std::ios::binary) << text;
    return;
  }
  ASSERT_TRUE(fs::exists(p)) << file;
  EXPECT_EQ(text, slurp(p)) << file << " changed: review the diff, then RSTLAB_UPDATE_GOLDEN=1";
}

class Golden : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(Golden, MermaidPlantUmlAndSvgSources) {
  const Trace t = golden_trace(GetParam());
  expect_golden(render_mermaid(t), GetParam() + ".mmd");
  expect_golden(render_plantuml(t), GetParam() + ".puml");
  expect_golden(render_svg(t), GetParam() + ".svg");
}

INSTANTIATE_TEST_SUITE_P(Reviewed, Golden, ::testing::Values("broken-pipe", "reset-by-peer-kernel", "challenge-ack",
                                                            "middlebox-idle-reset"),
                         [](const auto& i) {
                           std::string n = i.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Diagram, TheMiddleGetsALaneAndItsPacketsStartOnIt) {
  const Trace t = golden_trace("middlebox-idle-reset");
  const std::string mmd = render_mermaid(t), puml = render_plantuml(t), svg = render_svg(t);
  EXPECT_NE(mmd.find("participant M as middle"), std::string::npos);
  EXPECT_NE(mmd.find("M-xS: R. seq 7 ack 8"), std::string::npos) << mmd;
  EXPECT_NE(mmd.find("M-xC: R. seq 8 ack 7"), std::string::npos) << mmd;
  EXPECT_NE(mmd.find("Note over M: middle rst"), std::string::npos);
  EXPECT_NE(puml.find("M -[#d12a2a]> C"), std::string::npos);
  EXPECT_NE(svg.find(">middlebox</text>"), std::string::npos);
  // Without a middle, no third lane.
  EXPECT_EQ(render_mermaid(golden_trace("reset-by-peer-kernel")).find("participant M"), std::string::npos);
}

TEST(Diagram, PacketLabelsLikeTcpdump) {
  PacketEvent p;
  p.flags = 0x04;  // R
  p.seq = 2;
  EXPECT_EQ(packet_label(p), "R seq 2");
  p.flags = 0x18;  // P.
  p.seq = 1;
  p.len = 1;
  p.ack = 2;
  EXPECT_EQ(packet_label(p), "P. 1:2 ack 2");
  p.flags = 0x11;  // F.
  p.len = 0;
  EXPECT_EQ(packet_label(p), "F.");
}

TEST(Diagram, EverythingTheUserWroteIsEscaped) {
  Trace t = golden_trace("broken-pipe");
  t.title = "<script>alert(1)</script> & \"quotes\"; #hash";
  t.story = "<b>not bold</b>";
  const std::string html = render_html_report(t);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<b>not bold"), std::string::npos);
  const std::string svg = render_svg(t);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  const std::string mmd = render_mermaid(t);
  EXPECT_EQ(mmd.find("<script>"), std::string::npos);
}

TEST(Diagram, SvgIsSelfContainedAndMarksTheFirstObserver) {
  const std::string svg = render_svg(golden_trace("broken-pipe"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(svg.find("href"), std::string::npos) << "no external references";
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("first observer: client write -&gt; EPIPE +SIGPIPE (killed)"), std::string::npos);
  EXPECT_NE(svg.find("#d12a2a"), std::string::npos) << "RSTs in red";
  const std::string prop = render_svg(golden_trace("broken-pipe"), TimeMode::Proportional);
  EXPECT_NE(prop, svg);
}

TEST(Diagram, IndexPageListsRunsWithTheirObservers) {
  ReportRow r{"broken-pipe", "veth", "t", true, "client write -> EPIPE", "broken-pipe/veth/index.html"};
  ReportRow f{"x", "tun", "t", false, "", "x/tun/index.html"};
  const std::string html = render_html_index({r, f});
  EXPECT_NE(html.find("<a href=\"broken-pipe/veth/index.html\">broken-pipe</a>"), std::string::npos);
  EXPECT_NE(html.find("client write -&gt; EPIPE"), std::string::npos);
  EXPECT_NE(html.find("1 failed"), std::string::npos);
}

TEST(Pcapng, LibpcapReadsItBackAndCommentsAreInside) {
  std::vector<CapturedPacket> packets(3);
  for (size_t i = 0; i < packets.size(); ++i) {
    packets[i].t_ns = 1700000000123456789LL + static_cast<int64_t>(i) * 1000;
    packets[i].data.assign(41 + i, static_cast<uint8_t>(0x45));
    packets[i].wire_len = static_cast<uint32_t>(packets[i].data.size());
  }
  const fs::path file = fs::temp_directory_path() / ("rstlab-test-" + std::to_string(::getpid()) + ".pcapng");
  write_pcapng(file.string(), 12, packets, {"", "rstlab: RST accepted in CLOSE_WAIT", ""});
  int dlt = 0;
  const auto back = read_capture(file.string(), dlt);
  EXPECT_EQ(dlt, 12);
  ASSERT_EQ(back.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].data, packets[i].data);
    EXPECT_EQ(back[i].t_ns, packets[i].t_ns) << "nanosecond timestamps survive";
  }
  EXPECT_NE(slurp(file).find("rstlab: RST accepted in CLOSE_WAIT"), std::string::npos);
  fs::remove(file);
}

TEST(Pcapng, CommentsGoToTheAnnotatedPackets) {
  const Trace t = golden_trace("broken-pipe");
  const auto comments = packet_comments(t, t.capture.packets);
  ASSERT_EQ(comments.size(), t.capture.packets);
  const std::string& rst = comments.back();  // frame 8: the RST
  EXPECT_NE(rst.find("accepted in CLOSE_WAIT"), std::string::npos) << rst;
  EXPECT_NE(rst.find("its first observer: client write -> EPIPE +SIGPIPE (killed)"), std::string::npos) << rst;
  EXPECT_TRUE(comments[0].empty()) << "the SYN carries nothing to say";
}
