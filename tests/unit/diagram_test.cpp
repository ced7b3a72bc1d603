// SPDX-License-Identifier: MIT
// Renderers: golden diagram sources for reviewed traces, and the properties every
// output must have.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "render/text_util.h"
#include "rstlab/capture.h"
#include "rstlab/course.h"
#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/outputs.h"
#include "rstlab/runner.h"
#include "rstlab/scenario.h"
#include "rstlab/trace_json.h"
#include "rstlab/wire.h"

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
                                                            "middlebox-idle-reset", "ladder-long"),
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

// ---- The SVG ladder's layout: nothing drawn over anything else ------------------

namespace {

std::string shape_text(const LadderShape& s) {
  std::ostringstream o;
  o << "'" << s.what << "' [" << s.x0 << "," << s.y0 << " - " << s.x1 << "," << s.y1 << "]";
  return o.str();
}

/// Every pair of colliding shapes, every text that leaves its box or the picture, and
/// every call box that cuts its text short.
std::string ladder_problems(const Trace& t, TimeMode mode) {
  const LadderLayout l = svg_ladder_layout(t, mode);
  std::string out;
  for (const auto& [a, b] : ladder_overlaps(l))
    out += "\n  overlap: " + shape_text(l.shapes[a]) + " and " + shape_text(l.shapes[b]);
  for (const LadderShape& s : l.shapes) {
    if (s.x0 < 0 || s.x1 > l.width || s.y0 < 0 || s.y1 > l.height)
      out += "\n  outside the picture: " + shape_text(s);
    if (s.inside < 0 || s.kind != LadderShape::Kind::Text) continue;
    const LadderShape& box = l.shapes[static_cast<size_t>(s.inside)];
    if (s.x0 < box.x0 || s.x1 > box.x1 || s.y0 < box.y0 || s.y1 > box.y1)
      out += "\n  leaves its box: " + shape_text(s) + " in " + shape_text(box);
    // A bulk read shows a glimpse of its data ("xxxx..."): the data, not the result.
    const size_t dots = s.what.find("...");
    if (dots != std::string::npos && s.what.compare(dots, 4, "...\"") != 0 && box.what != "actor")
      out += "\n  cut short: " + shape_text(s);
  }
  return out;
}

}  // namespace

TEST(Ladder, TheReviewedTracesDrawWithoutCollisions) {
  for (const char* name : {"broken-pipe", "reset-by-peer-kernel", "challenge-ack", "middlebox-idle-reset", "ladder-long"})
    for (TimeMode mode : {TimeMode::EventOrder, TimeMode::Proportional})
      EXPECT_EQ(ladder_problems(golden_trace(name), mode), "") << name;
}

TEST(Ladder, TheCheckSeesCollisions) {
  LadderLayout l{100, 100, {}};
  l.shapes.push_back({LadderShape::Kind::Text, 10, 10, 50, 22, "not exact: challenged", -1});
  l.shapes.push_back({LadderShape::Kind::Text, 40, 15, 70, 27, ". ack 1", -1});
  l.shapes.push_back({LadderShape::Kind::Box, 0, 60, 90, 90, "first observer callout", -1});
  l.shapes.push_back({LadderShape::Kind::Text, 5, 65, 80, 77, "inside the callout", 2});
  l.shapes.push_back({LadderShape::Kind::Arrow, 0, 50, 100, 70, "arrow R", -1});
  const auto hits = ladder_overlaps(l);
  const std::vector<std::pair<size_t, size_t>> want = {{0, 1}, {2, 4}, {3, 4}};
  EXPECT_EQ(hits, want);
}

TEST(Ladder, NotesAndCallsWrapAndKeepEveryCharacter) {
  Trace t = golden_trace("broken-pipe");
  for (Event& e : t.events) {
    if (auto* s = std::get_if<SyscallEvent>(&e.body); s && s->err)
      s->args = "\"" + std::string(120, 'x') + "\", MSG_DONTWAIT|MSG_NOSIGNAL|MSG_MORE";
    if (auto* a = std::get_if<ActionEvent>(&e.body)) a->detail += " and a long tail of words to wrap around";
  }
  EXPECT_EQ(ladder_problems(t, TimeMode::EventOrder), "");
  const std::string svg = render_svg(t);
  EXPECT_EQ(svg.find("..."), std::string::npos) << "no text is cut short";
  EXPECT_NE(svg.find(">= -1 EPIPE +SIGPIPE<tspan"), std::string::npos) << "the result starts a line of its own";
  EXPECT_NE(svg.find("a long tail of words to wrap around"), std::string::npos);
}

TEST(Ladder, ABlockedCallIsDrawnFromEntryToReturn) {
  const Trace t = golden_trace("ladder-long");
  const LadderLayout l = svg_ladder_layout(t);
  const LadderShape *entry = nullptr, *span = nullptr;
  for (const auto& s : l.shapes) {
    if (s.what == "blocked call entry") entry = &s;
    if (s.what == "blocked call span" && !span) span = &s;  // the bar; its ticks follow
  }
  ASSERT_TRUE(entry && span);
  // The FIN that ended the wait arrived while the call was blocked: its arrow lies
  // between the span's ends.
  bool inside = false;
  for (const auto& s : l.shapes)
    if (s.kind == LadderShape::Kind::Arrow && s.what.rfind("arrow F", 0) == 0)
      inside |= s.y0 > span->y0 && s.y1 < span->y1;
  EXPECT_TRUE(inside) << shape_text(*span);
  EXPECT_LT(entry->y1, span->y1);
}

TEST(Ladder, EveryCatalogueScenarioLiveDrawsWithoutCollisions) {
  if (::geteuid() != 0) GTEST_SKIP() << "live runs build network namespaces: run as root";
  LabCache labs;
  size_t runs = 0;
  for (const Scenario& s : catalogue())
    for (LinkKind link : {LinkKind::Veth, LinkKind::Tun}) {
      RunOptions opt;
      opt.link = link;
      const RunResult r = run_scenario(s, opt, labs);
      ++runs;
      for (TimeMode mode : {TimeMode::EventOrder, TimeMode::Proportional})
        EXPECT_EQ(ladder_problems(r.trace, mode), "")
            << s.name << " (" << link_name(link) << (mode == TimeMode::Proportional ? ", proportional" : "") << ")";
    }
  EXPECT_EQ(runs, 2 * catalogue().size());
}

// ---- The course ---------------------------------------------------------------------

TEST(Course, EveryChapterNamesCatalogueScenariosOnce) {
  std::set<std::string> seen;
  for (const CourseChapter& c : course_chapters())
    for (const std::string& name : c.scenarios) {
      EXPECT_NO_THROW(find_scenario(name)) << c.title << ": " << name;
      EXPECT_TRUE(seen.insert(name).second) << name << " is taught twice";
    }
  // Every IPv4 scenario of the catalogue is a lesson (the IPv6 twins tell the same story).
  for (const Scenario& s : catalogue())
    if (s.family == Family::V4) {
      EXPECT_TRUE(seen.count(s.name)) << s.name << " is in no chapter";
    }
}

TEST(Course, BrokenPipeAsksAboutTheWritesFromTheFinOn) {
  const auto qs = course_questions(golden_trace("broken-pipe"));
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_EQ(qs[0].asked, "client write(\"b\")");
  EXPECT_EQ(qs[0].answer, "success") << "a write after the peer's FIN still succeeds";
  EXPECT_EQ(qs[1].asked, "client write(\"c\")");
  EXPECT_EQ(qs[1].answer, "EPIPE +SIGPIPE");
  EXPECT_NE(qs[1].rule.find("CLOSE_WAIT"), std::string::npos) << qs[1].rule;
  EXPECT_NE(qs[1].result.find("= -1 EPIPE +SIGPIPE"), std::string::npos) << qs[1].result;
  for (const auto& q : qs) {
    EXPECT_EQ(std::count(q.choices.begin(), q.choices.end(), q.answer), 1) << q.asked;
    EXPECT_GE(q.choices.size(), 4u) << q.asked;
    EXPECT_LE(q.choices.size(), 5u) << q.asked;
  }
}

TEST(Course, SoErrorAndBlockedReadsAreAskedInTheirOwnTerms) {
  const auto ca = course_questions(golden_trace("challenge-ack"));
  ASSERT_EQ(ca.size(), 2u);
  EXPECT_EQ(ca[0].answer, "0 (no error)") << "the challenged RST set no error";
  EXPECT_EQ(ca[1].answer, "success");
  const auto ll = course_questions(golden_trace("ladder-long"));
  ASSERT_FALSE(ll.empty());
  EXPECT_EQ(ll[0].answer, "EOF (returns 0)") << ll[0].asked << " woken by the FIN";
  EXPECT_NE(std::find(ll[0].choices.begin(), ll[0].choices.end(), "blocks (never returns)"), ll[0].choices.end());
}

TEST(Course, LessonsFollowThePlanThenTheRest) {
  Trace mine = golden_trace("broken-pipe");
  mine.scenario = "aaa-my-own";
  Trace tun = golden_trace("broken-pipe");  // the same scenario on both links: taught once, from veth
  tun.link = "veth";
  const auto lessons = course_lessons({golden_trace("challenge-ack"), mine, golden_trace("broken-pipe"), tun});
  ASSERT_EQ(lessons.size(), 3u);
  EXPECT_EQ(lessons[0].trace.scenario, "broken-pipe");
  EXPECT_EQ(lessons[0].trace.link, "veth");
  EXPECT_EQ(lessons[1].trace.scenario, "challenge-ack");
  EXPECT_EQ(lessons[2].trace.scenario, "aaa-my-own");
  EXPECT_EQ(lessons[2].chapter, "More scenarios");
  EXPECT_EQ(lesson_file(lessons, 0), "lesson-01-broken-pipe.html");
}

TEST(Course, ALessonPageStepsThroughEveryLadderRowAndEscapes) {
  Trace t = golden_trace("ladder-long");
  t.story = "</script><script>alert(1)</script>";
  const std::vector<Lesson> lessons = {{"Chapter", t}};
  const std::string page = render_lesson_page(lessons, 0);
  size_t groups = 0;
  for (size_t at = page.find("<g class=\"step hidden\""); at != std::string::npos;
       at = page.find("<g class=\"step hidden\"", at + 1))
    ++groups;
  EXPECT_EQ(groups, ladder_rows(t).size()) << "every row starts hidden, one group each";
  EXPECT_GT(ladder_rows(t).size(), t.events.size()) << "the blocked read has an entry row";
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  const size_t data = page.find("<script type=\"application/json\" id=\"lesson-data\">");
  ASSERT_NE(data, std::string::npos);
  EXPECT_EQ(page.find("</script", data), page.find("</script>\n<script>", data)) << "the JSON cannot end its element";
  EXPECT_EQ(page.find("src="), std::string::npos) << "nothing loaded from elsewhere";
  EXPECT_EQ(page.find("https:"), std::string::npos);
  EXPECT_NE(page.find("aria-live"), std::string::npos);
  EXPECT_NE(page.find("@media print"), std::string::npos);
}

TEST(Course, TheSiteIsWrittenWholeAndNeverOverAForeignFolder) {
  const fs::path dir = fs::temp_directory_path() / ("rstlab-course-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::vector<Lesson> lessons = course_lessons({golden_trace("broken-pipe"), golden_trace("challenge-ack")});
  write_course(dir.string() + "/", lessons);  // a trailing slash names the folder itself
  EXPECT_TRUE(fs::exists(dir / "index.html"));
  EXPECT_TRUE(fs::exists(dir / "course.json"));
  EXPECT_TRUE(fs::exists(dir / lesson_file(lessons, 1)));
  std::ofstream(dir / "stale.html") << "x";
  write_course(dir.string(), lessons);
  EXPECT_FALSE(fs::exists(dir / "stale.html")) << "a new course replaces the old one whole";
  size_t siblings = 0;
  for (const auto& e : fs::directory_iterator(dir.parent_path()))
    siblings += e.path().filename().string().rfind(dir.filename().string() + ".", 0) == 0;
  EXPECT_EQ(siblings, 0u) << "no temporary folder left beside it";
  fs::remove(dir / "course.json");
  EXPECT_THROW(write_course(dir.string(), lessons), InputError) << "a folder of other files is not replaced";
  EXPECT_TRUE(fs::exists(dir / "index.html"));
  fs::remove_all(dir);
}

// ---- long traces: the ladder's layout and the verdicts, computed once per trace ----------

namespace {

/// A long exchange like a traced program's: the client writes, the server's read blocks
/// until the segment comes, answers; the client's read blocks too. Notes of other actors,
/// a verdict or two, and at the end a few events out of time order (a trace.json may hold
/// any order).
Trace long_pingpong(int rounds) {
  Trace t;
  t.scenario = "long";
  t.link = "veth";
  t.client = {"kernel", Endpoint::parse("192.0.2.1:40001"), "default"};
  t.server = {"kernel", Endpoint::parse("192.0.2.2:8080"), "default"};
  int64_t now = 1'000'000'000;
  uint64_t frame = 0;
  auto add = [&](auto body, int64_t at) {
    Event e;
    e.t_ns = at;
    e.body = std::move(body);
    t.events.push_back(std::move(e));
    return t.events.size() - 1;
  };
  auto call = [&](const std::string& actor, CallOp op, int64_t start, int64_t end) {
    SyscallEvent s;
    s.actor = actor;
    s.facts.op = op;
    s.call = op == CallOp::Read ? "read" : "write";
    s.args = "1";
    s.ret = 1;
    s.t_start_ns = start;
    return add(s, end);
  };
  auto packet = [&](Dir d, uint32_t len, int64_t at) {
    PacketEvent p;
    p.frame = ++frame;
    p.dir = d;
    p.flags = static_cast<uint8_t>(tcpflag::ACK | (len ? tcpflag::PSH : 0));
    p.len = len;
    return add(p, at);
  };
  for (int i = 0; i < rounds; ++i) {
    const int64_t server_read = now + 1;  // entered before the client's write
    call("client", CallOp::Write, now + 2, now + 3);
    const size_t data = packet(Dir::ClientToServer, 1, now + 4);
    call("server", CallOp::Read, server_read, now + 5);
    if (i % 7 == 0) add(ActionEvent{"server", "note", "round " + std::to_string(i)}, now + 6);
    call("server", CallOp::Write, now + 7, now + 8);
    packet(Dir::ServerToClient, 1, now + 9);
    call("client", CallOp::Read, now + 3, now + 10);  // blocked from after its write
    packet(Dir::ClientToServer, 0, now + 11);
    if (i % 5 == 0) t.annotations.push_back({data, "challenge-ack", "answered", ""});
    now += 100;
  }
  call("client", CallOp::Read, 1'000'000'050, now + 1);  // entered long ago: blocked since
  add(ActionEvent{"server", "late", "stamped early"}, 1'000'000'020);
  packet(Dir::ServerToClient, 1, 1'000'000'030);
  // And one in the very middle, where a search that took the times as sorted looks first.
  const size_t middle = (t.events.size() + 1) / 2;
  Event early;
  early.t_ns = 1'000'000'010;
  early.body = ActionEvent{"client", "early", "stamped before everything"};
  t.events.insert(t.events.begin() + static_cast<std::ptrdiff_t>(middle), early);
  for (Annotation& a : t.annotations)
    if (a.event >= middle) ++a.event;
  return t;
}

/// The ladder's rows as the layout defines them, the plain way (quadratic): each event,
/// and before the first event after a blocked call's entry, that call's entry.
std::vector<LadderRow> rows_by_definition(const Trace& t) {
  const size_t n = t.events.size();
  auto first_after = [&](int64_t at) {
    size_t k = 0;
    while (k < n && t.events[k].t_ns <= at) ++k;
    return k;
  };
  auto blocked = [&](size_t i) {
    const auto* s = t.events[i].syscall();
    if (!s || s->t_start_ns <= 0 || s->t_start_ns >= t.events[i].t_ns) return false;
    for (size_t k = first_after(s->t_start_ns); k < i; ++k) {
      const Event& e = t.events[k];
      if (const auto* p = e.packet()) {
        const bool toward = (p->dir == Dir::ServerToClient) == (t.side_of(*s) == 0);
        if (toward && (p->len > 0 || (p->flags & (tcpflag::FIN | tcpflag::RST)))) return true;
      } else if (const auto* a = e.action()) {
        if (a->actor != s->actor) return true;
      } else if (const auto* out = e.output()) {
        if (out->actor != s->actor) return true;
      } else if (const auto* c = e.syscall()) {
        if (c->actor != s->actor) return true;
      }
    }
    return false;
  };
  std::vector<std::vector<size_t>> entries(n + 1);
  for (size_t i = 0; i < n; ++i)
    if (blocked(i)) entries[first_after(t.events[i].syscall()->t_start_ns)].push_back(i);
  std::vector<LadderRow> rows;
  for (size_t i = 0; i < n; ++i) {
    for (size_t b : entries[i]) rows.push_back({b, true});
    rows.push_back({i, false});
  }
  return rows;
}

}  // namespace

TEST(SvgLadder, ALongTracesRowsAreThoseOfTheDefinition) {
  const Trace t = long_pingpong(300);
  const std::vector<LadderRow> want = rows_by_definition(t), got = ladder_rows(t);
  ASSERT_EQ(got.size(), want.size());
  size_t entries = 0;
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(got[k].event, want[k].event) << "row " << k;
    EXPECT_EQ(got[k].entry, want[k].entry) << "row " << k;
    entries += want[k].entry;
  }
  EXPECT_GT(entries, 600u) << "both reads of every round block, and the last one";
  // Every blocked call has its bracket from its entry row to its return row: one bar and
  // two ticks each.
  const LadderLayout layout = svg_ladder_layout(t);
  const auto spans = std::count_if(layout.shapes.begin(), layout.shapes.end(),
                                   [](const LadderShape& s) { return s.what == "blocked call span"; });
  EXPECT_EQ(static_cast<size_t>(spans), 3 * entries);
  // And each bar runs from its entry's row down to its return's.
  for (const LadderShape& s : layout.shapes)
    if (s.what == "blocked call span" && s.x1 - s.x0 < 4) {
      EXPECT_LT(s.y0, s.y1);
    }
}

TEST(SvgLadder, VerdictsOfEveryPacketAtOnceAreEachPacketsOwn) {
  std::vector<Trace> traces;
  for (const char* name : {"broken-pipe", "challenge-ack", "ladder-long", "middlebox-idle-reset"})
    traces.push_back(golden_trace(name));
  // Several annotations on one packet, out of event order, some deciding nothing.
  Trace t = long_pingpong(20);
  t.annotations.push_back({4, "rst", "the kernel ignored it", ""});
  t.annotations.push_back({9, "rst", "says nothing of the kind", ""});  // round 1's data
  t.annotations.push_back({9, "rst", "accepted: sk_err = ECONNRESET", ""});
  t.annotations.push_back({9, "challenge-ack", "too late: the first decides", ""});
  t.annotations.push_back({t.events.size() + 5, "dropped", "names no event", ""});
  traces.push_back(t);
  for (const Trace& tr : traces) {
    const std::vector<std::string> all = detail::packet_verdicts(tr);
    ASSERT_EQ(all.size(), tr.events.size());
    for (size_t i = 0; i < tr.events.size(); ++i) EXPECT_EQ(all[i], packet_verdict(tr, i)) << tr.scenario << " " << i;
  }
  EXPECT_EQ(detail::packet_verdicts(t)[9], "accepted: sk_err = ECONNRESET");
}

TEST(RunFolder, TheIndexSaysTheSameOfARunInMemoryAsReadBack) {
  const fs::path out = fs::temp_directory_path() / ("rstlab-index-" + std::to_string(::getpid()));
  fs::remove_all(out);
  RunResult r;
  r.trace = golden_trace("broken-pipe");
  r.trace.title = "bytes that are not UTF-8: \xff\xfe, and \xc3\xa9 that is";
  ASSERT_TRUE(r.trace.first_observer);
  r.trace.first_observer->result = "EPIPE \x80";
  const std::string dir = write_run_folder(out.string(), r);
  RunResult other;
  other.trace = golden_trace("challenge-ack");
  write_run_folder(out.string(), other);
  const std::string read_back = slurp(write_index(out.string()));
  EXPECT_NE(read_back.find("challenge-ack"), std::string::npos);
  EXPECT_EQ(slurp(write_index(out.string() + "/", {{dir, &r.trace}})), read_back);
  fs::remove_all(out);
}
