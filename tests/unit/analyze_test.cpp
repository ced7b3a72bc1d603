// SPDX-License-Identifier: MIT
// `rstlab analyze` on the reference captures and on bad input.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../../fuzz/targets.h"
#include "analyze/capture_files.h"
#include "analyze/report_json.h"
#include "rstlab/analyze.h"
#include "rstlab/capture.h"
#include "rstlab/error.h"
#include "rstlab/rules.h"
#include "rstlab/segment.h"
#include "util/json_writer.h"

namespace fs = std::filesystem;
using namespace rstlab;

namespace {

const fs::path kCaptures = fs::path(RSTLAB_SOURCE_DIR) / "captures";

std::vector<ConnectionReport> analyze(const fs::path& p, AnalyzeStats* stats = nullptr) {
  std::vector<ConnectionReport> out;
  const AnalyzeStats st = analyze_file(p.string(), [&](const ConnectionReport& c) { out.push_back(c); });
  if (stats) *stats = st;
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A pcap file made of raw IP packets.
struct PcapBuilder {
  std::vector<CapturedPacket> packets;
  void add(const std::vector<uint8_t>& bytes, uint32_t wire_len = 0) {
    CapturedPacket p;
    p.t_ns = 1000000000LL * (static_cast<int64_t>(packets.size()) + 1);
    p.data = bytes;
    p.wire_len = wire_len ? wire_len : static_cast<uint32_t>(bytes.size());
    packets.push_back(p);
  }
  void add(const SegmentSpec& s) { add(build_segment(s)); }
  fs::path write(const std::string& name, int dlt = 12) {
    const fs::path p = fs::temp_directory_path() / ("rstlab-an-" + std::to_string(::getpid()) + "-" + name);
    write_pcap(p.string(), dlt, packets);
    return p;
  }
};

SegmentSpec seg(bool from_a, uint8_t flags, uint32_t seq, uint32_t ack, const std::string& payload = "") {
  SegmentSpec s;
  const Endpoint a = Endpoint::parse("[2001:db8::10]:5000"), b = Endpoint::parse("[2001:db8::20]:443");
  s.src = from_a ? a : b;
  s.dst = from_a ? b : a;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.payload = payload;
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Analyze, BrokenPipeCaptureAcrossBothLinkTypes) {
  for (const char* file : {"broken-pipe-veth.pcap", "broken-pipe-tun.pcap", "broken-pipe-veth.pcapng"}) {
    const auto conns = analyze(kCaptures / file);
    ASSERT_EQ(conns.size(), 1u) << file;
    const ConnectionReport& c = conns[0];
    EXPECT_EQ(c.a.str(), "192.0.2.1:40001");
    EXPECT_EQ(c.ending, "rst");
    ASSERT_EQ(c.resets.size(), 1u);
    EXPECT_EQ(c.resets[0].cause, "data-after-close");
    EXPECT_EQ(c.resets[0].reaction, RstReaction::Accepted);
    EXPECT_EQ(c.resets[0].err, EPIPE);
    EXPECT_EQ(c.predicted[0].next_write, "EPIPE");
    EXPECT_TRUE(c.predicted[0].write_raises_sigpipe);
    EXPECT_EQ(c.predicted[0].next_read, "EOF") << "a FIN came first";
    ASSERT_EQ(c.fins.size(), 1u);
  }
}

TEST(Analyze, CausesFromTheWire) {
  struct Case {
    const char* file;
    const char* ending;
    const char* cause;
    RstReaction reaction;
    const char* next_read;
  } cases[] = {
      {"reset-by-peer-kernel-veth.pcap", "rst", "close-unread-data", RstReaction::Accepted, "ECONNRESET"},
      {"reset-by-peer-kernel-ipv6-tun.pcap", "rst", "close-unread-data", RstReaction::Accepted, "ECONNRESET"},
      {"connect-refused-tun.pcap", "refused", "refused", RstReaction::Accepted, "ECONNREFUSED"},
      {"challenge-ack-veth.pcap", "open", "in-window-not-exact", RstReaction::ChallengeAck, "ok"},
      {"out-of-window-rst-tun.pcap", "open", "out-of-window", RstReaction::Ignored, "ok"},
      {"linger-zero-veth.pcap", "rst", "abort", RstReaction::Accepted, "ECONNRESET"},
  };
  for (const auto& k : cases) {
    const auto conns = analyze(kCaptures / k.file);
    ASSERT_EQ(conns.size(), 1u) << k.file;
    ASSERT_FALSE(conns[0].resets.empty()) << k.file;
    EXPECT_EQ(conns[0].ending, k.ending) << k.file;
    EXPECT_EQ(conns[0].resets[0].cause, k.cause) << k.file << ": " << conns[0].resets[0].explanation;
    EXPECT_EQ(conns[0].resets[0].reaction, k.reaction) << k.file;
    EXPECT_EQ(conns[0].predicted[0].next_read, k.next_read) << k.file;
  }
  const auto ch = analyze(kCaptures / "challenge-ack-tun.pcap");
  bool named = false;
  for (const auto& n : ch[0].notes) named |= n.find("challenge ACK answering an in-window RST") != std::string::npos;
  EXPECT_TRUE(named) << "the challenge ACK is named for what it is";
  const auto to = analyze(kCaptures / "user-timeout-tun.pcap");
  EXPECT_EQ(to[0].ending, "timeout");
  EXPECT_EQ(to[0].predicted[0].next_read, "ETIMEDOUT");
}

TEST(Analyze, MidStreamWrapAroundNewSynAndInterleaving) {
  PcapBuilder b;
  const uint32_t sa = 0xfffffff0u, sb = 0x7fffff00u;
  // Connection 1 starts mid-stream, its sequence numbers wrap around zero.
  b.add(seg(true, 0x18, sa, sb, std::string(40, 'x')));
  b.add(seg(false, 0x10, sb, sa + 40));
  b.add(seg(true, 0x18, sa + 40, sb, "yy"));  // wrapped: seq 0x18
  b.add(seg(false, 0x04, sb, 0));             // exact RST
  // Connection 2, same 4-tuple, a new SYN after the reset.
  b.add(seg(true, 0x02, 100, 0));
  b.add(seg(false, 0x12, 900, 101));
  b.add(seg(true, 0x10, 101, 901));
  b.add(seg(true, 0x11, 101, 901));  // FIN
  b.add(seg(false, 0x11, 901, 102));
  b.add(seg(true, 0x10, 102, 902));
  const fs::path f = b.write("mid.pcap");
  const auto conns = analyze(f);
  fs::remove(f);
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_TRUE(conns[0].mid_stream);
  EXPECT_EQ(conns[0].ending, "rst");
  EXPECT_EQ(conns[0].resets[0].reaction, RstReaction::Accepted);
  EXPECT_EQ(conns[0].predicted[0].next_read, "ECONNRESET");
  EXPECT_FALSE(conns[0].notes.empty()) << "the mid-stream assumption is stated";
  EXPECT_FALSE(conns[1].mid_stream);
  EXPECT_EQ(conns[1].ending, "fin");
  EXPECT_EQ(conns[1].predicted[0].next_read, "EOF");
  // Connection 2 took over connection 1's table entry: nothing of 1 may show through.
  EXPECT_TRUE(conns[1].notes.empty());
  EXPECT_TRUE(conns[1].resets.empty());
  EXPECT_FALSE(conns[1].anomaly);
  EXPECT_EQ(conns[1].packets, 6u);
  EXPECT_EQ(conns[1].first_frame, 5u);
}

namespace {

/// Everything of a report but its numbering (id, frames), which depends on the capture;
/// without `same_words`, the notes and the reasons are not compared either.
void expect_same_story(const ConnectionReport& x, const ConnectionReport& y, bool same_words = true) {
  EXPECT_EQ(x.a, y.a);
  EXPECT_EQ(x.b, y.b);
  EXPECT_EQ(x.mid_stream, y.mid_stream);
  EXPECT_EQ(x.ending, y.ending);
  EXPECT_EQ(x.anomaly, y.anomaly);
  EXPECT_EQ(x.packets, y.packets);
  EXPECT_EQ(x.resets.size(), y.resets.size());
  EXPECT_EQ(x.fins.size(), y.fins.size());
  if (same_words) {
    EXPECT_EQ(x.notes, y.notes);
  }
  for (int s = 0; s < 2; ++s) {
    EXPECT_EQ(x.predicted[s].next_read, y.predicted[s].next_read);
    EXPECT_EQ(x.predicted[s].next_write, y.predicted[s].next_write);
    EXPECT_EQ(x.predicted[s].so_error, y.predicted[s].so_error);
    EXPECT_EQ(x.predicted[s].write_raises_sigpipe, y.predicted[s].write_raises_sigpipe);
    if (same_words) {
      EXPECT_EQ(x.predicted[s].why.empty(), y.predicted[s].why.empty());
    }
  }
}

/// A clean connection (handshake, data, FIN both ways) from `port`, starting at `t0` seconds.
void clean_connection(PcapBuilder& b, uint16_t port, int64_t t0) {
  const size_t first = b.packets.size();
  SegmentSpec s = seg(true, 0x02, 100, 0);
  s.src.port = port;
  const auto add = [&](bool from_a, uint8_t flags, uint32_t seq, uint32_t ack, const std::string& data = "") {
    SegmentSpec x = seg(from_a, flags, seq, ack, data);
    (from_a ? x.src : x.dst).port = port;
    b.add(x);
  };
  add(true, 0x02, 100, 0);
  add(false, 0x12, 900, 101);
  add(true, 0x18, 101, 901, "hello");
  add(false, 0x11, 901, 106);
  add(true, 0x11, 106, 902);
  add(false, 0x10, 902, 107);
  for (size_t i = first; i < b.packets.size(); ++i)
    b.packets[i].t_ns = (t0 * 1000 + static_cast<int64_t>(i - first)) * 1000000;
}

}  // namespace

TEST(Analyze, AReusedTableEntryTellsTheSameStoryAsAFreshOne) {
  // Connection X ends badly (mid-stream, challenged RST, notes, anomaly) at t = 1 s; a
  // long busy connection F passes the sweep (every 4096 packets), which reports and
  // frees X; then Y, a clean connection, gets X's entry. Y must read as it does alone.
  PcapBuilder b;
  b.add(seg(true, 0x18, 5000, 7000, "abc"));   // mid-stream
  b.add(seg(false, 0x10, 7000, 5003));
  b.add(seg(false, 0x04, 7000 + 50, 0));       // in-window, not exact: challenge ACK
  b.add(seg(true, 0x10, 5003, 7000));          // the challenge ACK
  b.add(seg(false, 0x04, 7000, 0));            // exact: accepted, X is closed
  for (size_t i = 0; i < b.packets.size(); ++i) b.packets[i].t_ns = 1000000000;
  for (uint32_t i = 0; i < 4200; ++i) {  // F: one long transfer on another port, t = 4 s on
    SegmentSpec x = seg(i % 2 == 0, 0x10, 1000 + i, 2000);
    (i % 2 == 0 ? x.src : x.dst).port = 6000;
    b.add(x);
    b.packets.back().t_ns = 4000000000 + i;
  }
  clean_connection(b, 7000, 5);
  const fs::path f = b.write("reuse.pcap");
  const auto conns = analyze(f);
  fs::remove(f);
  PcapBuilder alone;
  clean_connection(alone, 7000, 5);
  const fs::path g = alone.write("alone.pcap");
  const auto reference = analyze(g);
  fs::remove(g);
  ASSERT_EQ(conns.size(), 3u);
  ASSERT_EQ(reference.size(), 1u);
  EXPECT_EQ(conns[0].ending, "rst");
  EXPECT_TRUE(conns[0].anomaly);
  EXPECT_EQ(conns[0].resets.at(0).reaction, RstReaction::ChallengeAck);
  EXPECT_EQ(conns[0].notes.size(), 2u) << "mid-stream and the challenge ACK";
  const ConnectionReport& y = conns[2];
  EXPECT_EQ(y.a.port, 7000);
  expect_same_story(y, reference[0]);
}

namespace {

fs::path generated_capture(const std::string& name, int packets) {
  const fs::path p = fs::temp_directory_path() / ("rstlab-an-" + std::to_string(::getpid()) + "-" + name);
  const std::string cmd = std::string(RSTLAB_GEN_CAPTURE) + " --packets " + std::to_string(packets) +
                          " --seed 3 --out " + p.string() + " >/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return p;
}

}  // namespace

TEST(Analyze, TheReaderThreadChangesNothing) {
  // The same generated capture (interleaved connections, every ending, IPv4 and IPv6,
  // VLAN tags) through analyze_file (reader thread, batches, prefetching) and through
  // Analyzer::on_packet one packet at a time: the same reports, in the same order.
  const fs::path f = generated_capture("gen.pcap", 30000);
  AnalyzeStats threaded_stats;
  const auto threaded = analyze(f, &threaded_stats);
  int dlt = 0;
  const std::vector<CapturedPacket> packets = read_capture(f.string(), dlt);
  fs::remove(f);
  std::vector<ConnectionReport> direct;
  Analyzer an(dlt, [&](const ConnectionReport& c) { direct.push_back(c); });
  uint64_t frame = 0;
  for (const auto& p : packets) an.on_packet(++frame, p.t_ns, p.data.data(), p.data.size(), p.wire_len);
  an.finish();
  ASSERT_EQ(threaded.size(), direct.size());
  ASSERT_GT(threaded.size(), 1000u) << "the sweep has to free and reuse entries many times";
  uint64_t resets = 0, packets_seen = 0;
  for (size_t i = 0; i < direct.size(); ++i) {
    EXPECT_EQ(threaded[i].id, direct[i].id);
    expect_same_story(threaded[i], direct[i]);
    for (size_t r = 0; r < std::min(threaded[i].resets.size(), direct[i].resets.size()); ++r) {
      EXPECT_EQ(threaded[i].resets[r].frame, direct[i].resets[r].frame);
      EXPECT_EQ(threaded[i].resets[r].cause, direct[i].resets[r].cause);
      EXPECT_EQ(threaded[i].resets[r].explanation, direct[i].resets[r].explanation);
    }
    resets += direct[i].resets.size();
    packets_seen += direct[i].packets;
  }
  EXPECT_EQ(threaded_stats.resets, resets);
  EXPECT_EQ(threaded_stats.tcp, packets_seen);
  EXPECT_EQ(threaded_stats.packets, packets.size());
}

TEST(Analyze, ASinkThatThrowsStopsTheReaderCleanly) {
  const fs::path f = generated_capture("throw.pcap", 30000);  // 30 batches: the reader waits on a full ring
  int calls = 0;
  EXPECT_THROW(analyze_file(f.string(),
                            [&](const ConnectionReport&) {
                              if (++calls == 5) throw std::runtime_error("disk full");
                            }),
               std::runtime_error);
  fs::remove(f);
  EXPECT_EQ(calls, 5);
}

TEST(Analyze, RetransmissionStormThenReset) {
  PcapBuilder b;
  b.add(seg(true, 0x02, 100, 0));
  b.add(seg(false, 0x12, 900, 101));
  b.add(seg(true, 0x10, 101, 901));
  for (int i = 0; i < 5; ++i) b.add(seg(true, 0x18, 101, 901, "data"));  // never acknowledged
  b.add(seg(true, 0x14, 105, 901));                                     // gives up
  const fs::path f = b.write("storm.pcap");
  const auto conns = analyze(f);
  fs::remove(f);
  ASSERT_EQ(conns.size(), 1u);
  ASSERT_EQ(conns[0].resets.size(), 1u);
  EXPECT_EQ(conns[0].resets[0].cause, "retransmission-storm") << conns[0].resets[0].explanation;
  EXPECT_TRUE(conns[0].anomaly);
}

TEST(Analyze, FinsAreListedInFrameOrderWhereverTheyWereKept) {
  // A clean connection keeps its FINs in the per-packet half; an RST, or a second FIN
  // from one side, moves them into the report. Either way: every FIN, in frame order.
  const auto fins_of = [](PcapBuilder& b, const std::string& name) {
    const fs::path f = b.write(name);
    const auto conns = analyze(f);
    fs::remove(f);
    std::vector<std::pair<uint64_t, uint16_t>> out;  // frame, sender's port
    if (conns.size() != 1u) return out;
    for (const FinReport& x : conns[0].fins) out.push_back({x.frame, x.from.port});
    return out;
  };
  const auto handshake = [](PcapBuilder& b) {
    b.add(seg(true, 0x02, 100, 0));
    b.add(seg(false, 0x12, 900, 101));
    b.add(seg(true, 0x10, 101, 901));
  };
  using V = std::vector<std::pair<uint64_t, uint16_t>>;
  {  // b's FIN, then a's, then b's RST answering a late segment: both FINs kept, b's first
    PcapBuilder b;
    handshake(b);
    b.add(seg(false, 0x11, 901, 101));   // 4: b FIN
    b.add(seg(true, 0x11, 101, 902));    // 5: a FIN
    b.add(seg(true, 0x18, 102, 902, "late"));
    b.add(seg(false, 0x04, 902, 0));     // 7: RST
    EXPECT_EQ(fins_of(b, "fins-rst.pcap"), (V{{4, 443}, {5, 5000}}));
  }
  {  // an RST first (the report is in use from then on), then the FINs
    PcapBuilder b;
    handshake(b);
    b.add(seg(false, 0x04, 901 + 100, 0));  // 4: in-window, not exact: challenged
    b.add(seg(true, 0x11, 101, 901));       // 5: a FIN
    b.add(seg(false, 0x11, 901, 102));      // 6: b FIN
    EXPECT_EQ(fins_of(b, "rst-fins.pcap"), (V{{5, 5000}, {6, 443}}));
  }
  {  // a second in-order FIN from a: it joins the first in the report
    PcapBuilder b;
    handshake(b);
    b.add(seg(true, 0x11, 101, 901));    // 4: a FIN
    b.add(seg(true, 0x11, 102, 901));    // 5: a FIN again, at the next sequence number
    b.add(seg(false, 0x11, 901, 103));   // 6: b FIN
    EXPECT_EQ(fins_of(b, "fin-fin.pcap"), (V{{4, 5000}, {5, 5000}, {6, 443}}));
  }
}

TEST(Analyze, BadFilesAreRefusedClearly) {
  const fs::path dir = fs::temp_directory_path() / ("rstlab-bad-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "empty.pcap").close();
  std::ofstream(dir / "garbage.pcap") << "this is not a capture file at all, just words";
  const std::string good = slurp(kCaptures / "broken-pipe-veth.pcap");
  std::ofstream(dir / "header-only.pcap", std::ios::binary) << good.substr(0, 10);
  EXPECT_NE(error_of([&] { analyze(dir / "missing.pcap"); }).find("missing.pcap"), std::string::npos);
  EXPECT_NE(error_of([&] { analyze(dir / "empty.pcap"); }).find("empty.pcap: "), std::string::npos);
  EXPECT_NE(error_of([&] { analyze(dir / "garbage.pcap"); }).find("garbage.pcap: "), std::string::npos);
  EXPECT_NE(error_of([&] { analyze(dir / "header-only.pcap"); }).find("header-only.pcap: "), std::string::npos);
  // An unknown link type: named, refused.
  PcapBuilder u;
  u.add({1, 2, 3, 4});
  const fs::path unk = u.write("unknown.pcap", 147);
  EXPECT_NE(error_of([&] { analyze(unk); }).find("link type 147"), std::string::npos);
  fs::remove(unk);
  fs::remove_all(dir);
}

TEST(Analyze, CutFilesAndBrokenPacketsAreCountedNotFatal) {
  const std::string good = slurp(kCaptures / "reset-by-peer-tun.pcap");
  const fs::path cut = fs::temp_directory_path() / ("rstlab-cut-" + std::to_string(::getpid()) + ".pcap");
  std::ofstream(cut, std::ios::binary) << good.substr(0, good.size() - 10);
  AnalyzeStats st;
  const auto conns = analyze(cut, &st);
  fs::remove(cut);
  EXPECT_EQ(conns.size(), 1u);
  ASSERT_EQ(st.warnings.size(), 1u);
  EXPECT_EQ(st.warnings.begin()->first.rfind("file cut short after packet 5: ", 0), 0u) << st.warnings.begin()->first;

  PcapBuilder b;
  auto pkt = build_segment(seg(true, 0x02, 1, 0));
  auto bad_len = pkt;
  bad_len[4] = 0xff;  // IPv6 payload length beyond the packet
  b.add(bad_len);
  b.add(std::vector<uint8_t>(pkt.begin(), pkt.begin() + 30));  // cut inside the IPv6 header
  const auto data = build_segment(seg(true, 0x18, 1, 0, std::string(100, 'x')));
  b.add(std::vector<uint8_t>(data.begin(), data.begin() + 80), static_cast<uint32_t>(data.size()));  // snaplen
  auto bad_doff = pkt;
  bad_doff[40 + 12] = 0x10;  // TCP data offset 4 bytes
  b.add(bad_doff);
  const fs::path f = b.write("broken.pcap");
  const auto c2 = analyze(f, &st);
  fs::remove(f);
  EXPECT_EQ(st.packets, 4u);
  EXPECT_EQ(st.warnings["ip-length-beyond-packet"], 1u);
  EXPECT_EQ(st.warnings["truncated"], 1u);
  EXPECT_EQ(st.warnings["cut-by-snaplen"], 1u);
  EXPECT_EQ(st.warnings["bad-tcp-header"], 1u);
  EXPECT_EQ(c2.size(), 1u);
}

TEST(Analyze, FuzzRegressionsStayFixed) {
  const fs::path dir = fs::path(RSTLAB_TEST_DATA) / "fuzz-regressions";
  size_t replayed = 0;
  for (const char* name : {"decode", "reader"}) {
    if (!fs::exists(dir / name)) continue;
    for (const auto& e : fs::directory_iterator(dir / name)) {
      const std::string bytes = slurp(e.path());
      const auto* d = reinterpret_cast<const uint8_t*>(bytes.data());
      if (std::string(name) == "decode") fuzz::decode_and_annotate(d, bytes.size());
      else fuzz::read_capture_bytes(d, bytes.size());
      ++replayed;
    }
  }
  // The reference captures go through both entry points as well.
  for (const auto& e : fs::directory_iterator(kCaptures)) {
    const std::string bytes = slurp(e.path());
    fuzz::read_capture_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    fuzz::decode_and_annotate(reinterpret_cast<const uint8_t*>(bytes.data()), std::min<size_t>(bytes.size(), 200));
    ++replayed;
  }
  EXPECT_GT(replayed, 10u);
}

TEST(Analyze, ReportOnlyHandsTheSinkWhatItAsksFor) {
  const fs::path f = generated_capture("only.pcap", 20000);
  AnalyzeOptions all_opt, some_opt;
  some_opt.report_only = [](const ConnectionReport& c) { return !c.resets.empty(); };
  std::vector<ConnectionReport> all, some;
  const AnalyzeStats all_stats = analyze_file(f.string(), [&](const ConnectionReport& c) { all.push_back(c); }, all_opt);
  const AnalyzeStats some_stats =
      analyze_file(f.string(), [&](const ConnectionReport& c) { some.push_back(c); }, some_opt);
  fs::remove(f);
  std::vector<ConnectionReport> expect;
  for (const auto& c : all)
    if (!c.resets.empty()) expect.push_back(c);
  ASSERT_FALSE(expect.empty());
  ASSERT_LT(expect.size(), all.size());
  ASSERT_EQ(some.size(), expect.size());
  for (size_t i = 0; i < some.size(); ++i) {
    EXPECT_EQ(some[i].id, expect[i].id);
    expect_same_story(some[i], expect[i]);
  }
  EXPECT_EQ(some_stats.connections, all_stats.connections) << "the others are still counted";
  EXPECT_EQ(some_stats.resets, all_stats.resets);
}

TEST(Analyze, WithoutWordsTheAnalysisIsTheSame) {
  // The summary table asks for no words (AnalyzeOptions::words off): every cause,
  // reaction, errno, ending and prediction must be what the worded analysis finds, and
  // only the sentences are left empty. Over every reference capture and a generated one
  // with every ending (mid-stream, challenged, out-of-window, storms, refused).
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kCaptures))
    if (e.path().extension() == ".pcap") files.push_back(e.path());
  ASSERT_GT(files.size(), 10u);
  const fs::path gen = generated_capture("words.pcap", 20000);
  files.push_back(gen);
  std::map<std::string_view, int> causes;
  for (const auto& f : files) {
    std::vector<ConnectionReport> worded, bare;
    AnalyzeOptions off;
    off.words = false;
    analyze_file(f.string(), [&](const ConnectionReport& c) { worded.push_back(c); });
    analyze_file(f.string(), [&](const ConnectionReport& c) { bare.push_back(c); }, off);
    ASSERT_EQ(worded.size(), bare.size()) << f;
    for (size_t i = 0; i < worded.size(); ++i) {
      const ConnectionReport &w = worded[i], &b = bare[i];
      SCOPED_TRACE(f.filename().string() + ", connection " + std::to_string(w.id));
      expect_same_story(w, b, false);
      EXPECT_EQ(w.id, b.id);
      EXPECT_EQ(w.last_frame, b.last_frame);
      ASSERT_EQ(w.resets.size(), b.resets.size());
      for (size_t r = 0; r < w.resets.size(); ++r) {
        EXPECT_EQ(w.resets[r].frame, b.resets[r].frame);
        EXPECT_EQ(w.resets[r].cause, b.resets[r].cause);
        EXPECT_EQ(w.resets[r].reaction, b.resets[r].reaction);
        EXPECT_EQ(w.resets[r].err, b.resets[r].err);
        EXPECT_FALSE(w.resets[r].explanation.empty());
        EXPECT_TRUE(b.resets[r].explanation.empty());
        EXPECT_FALSE(reset_cause_meaning(w.resets[r].cause).empty()) << w.resets[r].cause << " has no meaning";
        ++causes[w.resets[r].cause];
      }
      ASSERT_EQ(w.fins.size(), b.fins.size());
      for (size_t k = 0; k < w.fins.size(); ++k) EXPECT_EQ(w.fins[k].frame, b.fins[k].frame);
      for (int s = 0; s < 2; ++s) {
        EXPECT_FALSE(w.predicted[s].why.empty());
        EXPECT_TRUE(b.predicted[s].why.empty());
      }
      EXPECT_TRUE(b.notes.empty());
    }
  }
  fs::remove(gen);
  for (const char* c : {"close-unread-data", "data-after-close", "refused", "abort", "retransmission-storm",
                        "in-window-not-exact", "out-of-window"})
    EXPECT_GT(causes[c], 0) << c << " never came up: the comparison did not cover it";
  EXPECT_TRUE(reset_cause_meaning("no-such-cause").empty());
}

TEST(Analyze, AFileTruncatedWhileReadEndsWhereItNowEndsWithOneWarning) {
  // The file is read through a memory map: cut two thirds in while the reader is near
  // its start (the first report comes within the first few thousand packets), it must
  // neither kill the process (SIGBUS) nor decode the zeros past its new end.
  const fs::path f = generated_capture("shrinks.pcap", 300000);
  const uintmax_t cut = fs::file_size(f) * 2 / 3;
  bool truncated = false;
  const AnalyzeStats st = analyze_file(f.string(), [&](const ConnectionReport&) {
    if (!truncated) fs::resize_file(f, cut);
    truncated = true;
  });
  fs::remove(f);
  ASSERT_TRUE(truncated);
  EXPECT_GT(st.packets, 150000u) << "what the file still held is analysed";
  EXPECT_LT(st.packets, 210000u);
  ASSERT_EQ(st.warnings.size(), 1u) << "no packet is made of the bytes past the new end";
  EXPECT_NE(st.warnings.begin()->first.find("it got shorter while it was read"), std::string::npos)
      << st.warnings.begin()->first;
}

// ---- Captures from ordinary hosts: checksums, one direction, handshake crossings ----

namespace {

/// The segment as Linux's tap sees it on the sending host with TX checksum offload: the
/// field holds the folded pseudo-header sum (CHECKSUM_PARTIAL), not the checksum.
std::vector<uint8_t> offload_pending(const SegmentSpec& s) {
  std::vector<uint8_t> p = build_segment(s);
  const bool v6 = (p[0] >> 4) == 6;
  const size_t ip = v6 ? 40 : 20;
  uint32_t sum = 6 + uint32_t(p.size() - ip);
  for (size_t i = v6 ? 8 : 12; i < (v6 ? 40u : 20u); i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  p[ip + 16] = uint8_t(sum >> 8);
  p[ip + 17] = uint8_t(sum);
  return p;
}

SegmentSpec bad(SegmentSpec s) {
  s.bad_checksum = true;
  return s;
}

std::vector<ConnectionReport> analyze_built(PcapBuilder& b, const std::string& name, AnalyzeStats* st = nullptr) {
  const fs::path f = b.write(name);
  auto conns = analyze(f, st);
  fs::remove(f);
  return conns;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(AnalyzeReal, OffloadPendingChecksumsAreValidOnEverySegment) {
  // Captured on the sending host: every segment carries the unfinished sum. The RST is
  // a kernel's close() with unread data; its receiver gets ECONNRESET.
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901),
                               seg(true, 0x18, 101, 901, "request"), seg(false, 0x10, 901, 108),
                               seg(false, 0x14, 901, 108)})
    b.add(offload_pending(s));
  AnalyzeStats st;
  const auto conns = analyze_built(b, "offload.pcap", &st);
  ASSERT_EQ(conns.size(), 1u);
  ASSERT_EQ(conns[0].resets.size(), 1u);
  const ResetReport& r = conns[0].resets[0];
  EXPECT_EQ(r.checksum, "offload");
  EXPECT_EQ(r.reaction, RstReaction::Accepted) << r.explanation;
  EXPECT_EQ(r.cause, "close-unread-data");
  EXPECT_EQ(r.err, ECONNRESET);
  EXPECT_EQ(conns[0].predicted[0].next_read, "ECONNRESET");
  EXPECT_EQ(conns[0].predicted[0].next_write, "ECONNRESET");
  EXPECT_FALSE(conns[0].anomaly);
  EXPECT_EQ(st.offload_checksums, 6u);
  EXPECT_EQ(st.bad_checksums, 0u);
  // Item 4 of the issue: b's ACK (#5) is in the capture, so the words say so.
  EXPECT_TRUE(has(r.explanation, "b ACKed a's last bytes but its application never read them")) << r.explanation;
}

TEST(AnalyzeReal, CloseUnreadDataWithoutAnAckSaysTheRstIsTheFirstAnswer) {
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901),
                               seg(true, 0x18, 101, 901, "request"), seg(false, 0x14, 901, 108)})
    b.add(s);
  const auto conns = analyze_built(b, "unacked.pcap");
  ASSERT_EQ(conns.size(), 1u);
  const ResetReport& r = conns[0].resets.at(0);
  EXPECT_EQ(r.checksum, "good");
  EXPECT_EQ(r.cause, "close-unread-data");
  EXPECT_TRUE(has(r.explanation, "b closed with a's last bytes unread (this RST|ACK is its first answer"))
      << r.explanation;
}

TEST(AnalyzeReal, ABadChecksumRstNothingContradictsIsDropped) {
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901)})
    b.add(s);
  b.add(bad(seg(false, 0x14, 901, 101)));
  AnalyzeStats st;
  const auto conns = analyze_built(b, "badrst.pcap", &st);
  ASSERT_EQ(conns.size(), 1u);
  const ResetReport& r = conns[0].resets.at(0);
  EXPECT_EQ(r.checksum, "bad");
  EXPECT_EQ(r.cause, "bad-checksum");
  EXPECT_EQ(r.reaction, RstReaction::Ignored);
  EXPECT_TRUE(has(r.explanation, "nothing a sent afterwards contradicts the drop")) << r.explanation;
  EXPECT_EQ(conns[0].predicted[0].next_read, "ok");
  EXPECT_EQ(st.bad_checksums, 1u);
  EXPECT_TRUE(conns[0].anomaly);
}

TEST(AnalyzeReal, ABadChecksumRstTheReceiverCarriesOnAfterIsDropped) {
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901)})
    b.add(s);
  b.add(bad(seg(false, 0x14, 901, 101)));
  b.add(seg(true, 0x18, 101, 901, "still here"));  // #5: a knows nothing of a reset
  const auto conns = analyze_built(b, "badrst-on.pcap");
  const ResetReport& r = conns.at(0).resets.at(0);
  EXPECT_EQ(r.reaction, RstReaction::Ignored);
  EXPECT_EQ(r.cause, "bad-checksum");
  EXPECT_TRUE(has(r.explanation, "a sent #5 afterwards as a connection that was not reset does: the drop stands"))
      << r.explanation;
}

TEST(AnalyzeReal, ABadChecksumRstContradictedByTheReceiverIsTaken) {
  // b's RST shows a bad checksum, b sends again, and a answers that with an RST as a
  // socket without the connection does: a took the RST after all.
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901)})
    b.add(s);
  b.add(bad(seg(false, 0x14, 901, 101)));          // #4
  b.add(seg(false, 0x18, 901, 101, "more"));       // #5
  b.add(seg(true, 0x04, 101, 0));                  // #6: a has no connection left
  const auto conns = analyze_built(b, "badrst-taken.pcap");
  ASSERT_EQ(conns.size(), 1u);
  ASSERT_EQ(conns[0].resets.size(), 2u);
  const ResetReport& r = conns[0].resets[0];
  EXPECT_EQ(r.checksum, "bad");
  EXPECT_EQ(r.reaction, RstReaction::Accepted) << r.explanation;
  EXPECT_EQ(r.err, ECONNRESET);
  EXPECT_NE(r.cause, "bad-checksum");
  EXPECT_TRUE(has(r.explanation, "a answered #6 with RST as a socket without the connection does")) << r.explanation;
  EXPECT_EQ(conns[0].ending, "rst");
  EXPECT_EQ(conns[0].predicted[0].next_read, "ECONNRESET");
}

TEST(AnalyzeReal, BadChecksumDataContradictedByTheReceiversAck) {
  // a's data shows a bad checksum but b ACKs past it with no retransmission between: it
  // arrived. b's rcv_nxt is past it, so a's RST at 105 is exact (not challenged).
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901)})
    b.add(s);
  b.add(bad(seg(true, 0x18, 101, 901, "data")));  // #4
  b.add(seg(false, 0x10, 901, 105));              // #5
  b.add(seg(true, 0x04, 105, 0));                 // #6
  AnalyzeStats st;
  const auto conns = analyze_built(b, "baddata.pcap", &st);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].resets.at(0).reaction, RstReaction::Accepted) << conns[0].resets[0].explanation;
  bool noted = false;
  for (const auto& n : conns[0].notes) noted |= has(n, "#4 shows a bad TCP checksum, but b's ACK #5 covers it");
  EXPECT_TRUE(noted);
  EXPECT_EQ(st.bad_checksums, 1u);
}

TEST(AnalyzeReal, BadChecksumDataRetransmittedIsADrop) {
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901)})
    b.add(s);
  b.add(bad(seg(true, 0x18, 101, 901, "data")));  // #4
  b.add(seg(true, 0x18, 101, 901, "data"));       // #5: the retransmission
  b.add(seg(false, 0x10, 901, 105));
  const auto conns = analyze_built(b, "baddata-re.pcap");
  bool noted = false;
  for (const auto& n : conns.at(0).notes) noted |= has(n, "#5, its retransmission, delivered it");
  EXPECT_TRUE(noted);
}

TEST(AnalyzeReal, OneDirectionOnlyTheServersSegments) {
  // tcpdump -Q out on the server: its SYN-ACK, its ACK of the request, its RST|ACK. The
  // client is known from them; it is reset, with ECONNRESET, on inferred state.
  PcapBuilder b;
  b.add(offload_pending(seg(false, 0x12, 900, 101)));
  b.add(offload_pending(seg(false, 0x10, 901, 108)));
  b.add(offload_pending(seg(false, 0x14, 901, 108)));
  const auto conns = analyze_built(b, "oneway-server.pcap");
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].a.port, 5000) << "the SYN's sender is the SYN-ACK's destination";
  const ResetReport& r = conns[0].resets.at(0);
  EXPECT_EQ(r.reaction, RstReaction::Accepted) << r.explanation;
  EXPECT_EQ(r.err, ECONNRESET);
  EXPECT_TRUE(has(r.explanation, "[inferred: a's state comes from the other side's segments")) << r.explanation;
  EXPECT_EQ(conns[0].predicted[0].next_read, "ECONNRESET");
  EXPECT_TRUE(conns[0].predicted[0].inferred);
  EXPECT_FALSE(conns[0].predicted[0].unknown.empty());
  EXPECT_FALSE(conns[0].predicted[1].inferred);
  EXPECT_EQ(conns[0].predicted[1].next_read, "closed");
}

TEST(AnalyzeReal, OneDirectionOnlyTheClientsSegments) {
  // tcpdump -Q out on the client: SYN, ACK, request, then the client aborts (RST|ACK).
  // The server is known from the client's ACK: it is reset.
  PcapBuilder b;
  b.add(seg(true, 0x02, 100, 0));
  b.add(seg(true, 0x10, 101, 901));
  b.add(seg(true, 0x18, 101, 901, "request"));
  b.add(seg(true, 0x14, 108, 901));
  const auto conns = analyze_built(b, "oneway-client.pcap");
  ASSERT_EQ(conns.size(), 1u);
  const ResetReport& r = conns[0].resets.at(0);
  EXPECT_EQ(r.reaction, RstReaction::Accepted) << r.explanation;
  EXPECT_EQ(conns[0].ending, "rst");
  EXPECT_EQ(conns[0].predicted[1].next_read, "ECONNRESET");
  EXPECT_TRUE(conns[0].predicted[1].inferred);
  EXPECT_FALSE(conns[0].predicted[0].inferred);
}

TEST(AnalyzeReal, MidStreamPredictionsAreMarkedInferred) {
  PcapBuilder b;
  b.add(seg(true, 0x18, 5000, 7000, "abc"));
  b.add(seg(false, 0x10, 7000, 5003));
  b.add(seg(false, 0x14, 7000, 5003));
  const auto conns = analyze_built(b, "midstream.pcap");
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_TRUE(conns[0].mid_stream);
  EXPECT_EQ(conns[0].resets.at(0).reaction, RstReaction::Accepted);
  EXPECT_TRUE(conns[0].predicted[0].inferred);
  EXPECT_TRUE(has(conns[0].predicted[0].unknown, "after the handshake")) << conns[0].predicted[0].unknown;
  EXPECT_TRUE(has(conns[0].resets[0].explanation, "[inferred: a's handshake is not in the capture]"));
}

TEST(AnalyzeReal, ARetransmittedSynCrossingTheSynAckMovesNothingBack) {
  // The client's SYN is sent again as the SYN-ACK arrives, and the server answers it
  // with the SYN-ACK again. The client is ESTABLISHED all the same: its FIN leaves it in
  // FIN_WAIT, and the server's RST|ACK resets it (not "refused", not ignored).
  PcapBuilder b;
  b.add(seg(true, 0x02, 100, 0));                 // 1
  b.add(seg(false, 0x12, 900, 101));              // 2
  b.add(seg(true, 0x02, 100, 0));                 // 3: crossing
  b.add(seg(false, 0x12, 900, 101));              // 4: duplicate SYN-ACK
  b.add(seg(true, 0x10, 101, 901));               // 5
  b.add(seg(true, 0x18, 101, 901, "hi"));         // 6
  b.add(seg(false, 0x10, 901, 103));              // 7
  b.add(seg(true, 0x02, 100, 0));                 // 8: a late copy of the SYN
  b.add(seg(false, 0x14, 901, 103));              // 9
  const auto conns = analyze_built(b, "crossing.pcap");
  ASSERT_EQ(conns.size(), 1u);
  const ResetReport& r = conns[0].resets.at(0);
  EXPECT_EQ(r.reaction, RstReaction::Accepted) << r.explanation;
  EXPECT_EQ(r.err, ECONNRESET) << r.explanation;
  EXPECT_EQ(r.cause, "close-unread-data") << r.explanation;
  EXPECT_EQ(conns[0].ending, "rst");
  EXPECT_EQ(conns[0].predicted[0].next_read, "ECONNRESET");

  PcapBuilder f;  // with a FIN: a retransmitted SYN before it changes nothing either
  f.add(seg(true, 0x02, 100, 0));
  f.add(seg(false, 0x12, 900, 101));
  f.add(seg(true, 0x02, 100, 0));
  f.add(seg(true, 0x10, 101, 901));
  f.add(seg(true, 0x11, 101, 901));               // a's FIN
  f.add(seg(false, 0x10, 901, 102));
  f.add(seg(false, 0x18, 901, 102, "late"));      // b's data after a's close
  f.add(seg(true, 0x04, 102, 0));                 // a answers with RST
  const auto fc = analyze_built(f, "crossing-fin.pcap");
  ASSERT_EQ(fc.size(), 1u);
  EXPECT_EQ(fc[0].resets.at(0).cause, "data-after-close") << fc[0].resets[0].explanation;
  EXPECT_EQ(fc[0].resets[0].reaction, RstReaction::Accepted) << fc[0].resets[0].explanation;
}

TEST(AnalyzeReal, KeepAliveProbesAndARetransmittedFinAreNotRetransmissionStorms) {
  PcapBuilder b;
  b.add(seg(true, 0x02, 100, 0));
  b.add(seg(false, 0x12, 900, 101));
  b.add(seg(true, 0x10, 101, 901));
  for (int i = 0; i < 5; ++i) {  // 1-byte keep-alive probes at snd_nxt-1, each answered
    b.add(seg(true, 0x10, 100, 901, "k"));
    b.add(seg(false, 0x10, 901, 101));
  }
  b.add(seg(true, 0x11, 101, 901));  // a's FIN
  b.add(seg(true, 0x11, 101, 901));  // again
  b.add(seg(false, 0x10, 901, 102));
  b.add(seg(false, 0x11, 901, 102));
  b.add(seg(true, 0x10, 102, 902));
  const auto conns = analyze_built(b, "keepalive.pcap");
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].ending, "fin");
  EXPECT_EQ(conns[0].fins.size(), 2u);
  EXPECT_FALSE(conns[0].anomaly);
  EXPECT_EQ(conns[0].predicted[0].next_read, "EOF");

  PcapBuilder k;  // probes then the peer's RST: an abort, not a retransmission storm
  k.add(seg(true, 0x02, 100, 0));
  k.add(seg(false, 0x12, 900, 101));
  k.add(seg(true, 0x10, 101, 901));
  for (int i = 0; i < 4; ++i) k.add(seg(true, 0x10, 100, 901, "k"));
  k.add(seg(false, 0x04, 901, 0));
  const auto kc = analyze_built(k, "keepalive-rst.pcap");
  EXPECT_EQ(kc.at(0).resets.at(0).cause, "abort") << kc[0].resets[0].explanation;
  EXPECT_EQ(kc[0].resets[0].reaction, RstReaction::Accepted);
}

TEST(AnalyzeReal, KernelCapturesFromLoopbackMatchWhatTheProgramsSaw) {
  // tests/data/real/: tcpdump on lo with the offloads at their defaults, kernel sockets at
  // both ends (tools/make-real-captures). Each NAME.json holds what the RST's receiver's
  // one call after the reset returned: a read on the first connection, a write on the
  // second. analyze must predict exactly that, and take every offload-pending checksum
  // as valid.
  const fs::path dir = fs::path(RSTLAB_TEST_DATA) / "real";
  size_t checked = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    fs::path cap = e.path();
    cap.replace_extension(".pcap");
    SCOPED_TRACE(cap.filename().string());
    const nlohmann::json want = nlohmann::json::parse(slurp(e.path()));
    AnalyzeStats st;
    const auto conns = analyze(cap, &st);
    ASSERT_EQ(conns.size(), want["connections"].size());
    EXPECT_EQ(st.bad_checksums, 0u);
    // Every segment was captured on its sending host: a socket's segments carry the
    // offload-pending sum; only an RST sent without a socket (tcp_v4_send_reset answering
    // data for a closed one) has its checksum computed in full.
    EXPECT_GE(st.offload_checksums, st.tcp - conns.size());
    for (size_t i = 0; i < conns.size(); ++i) {
      const ConnectionReport& c = conns[i];
      const auto& w = want["connections"][i];
      const int receiver = w["receiver"] == "a" ? 0 : 1;
      ASSERT_EQ(c.resets.size(), 1u);
      const ResetReport& r = c.resets[0];
      EXPECT_EQ(r.from, w["reset_from"] == "a" ? c.a : c.b);
      EXPECT_EQ(r.reaction, RstReaction::Accepted) << r.explanation;
      EXPECT_TRUE(r.checksum == "offload" || r.checksum == "good") << r.checksum;
      EXPECT_EQ(c.ending, "rst");
      const EndpointPrediction& p = c.predicted[receiver];
      const std::string result = w["result"];
      if (w["call"] == "read") {
        EXPECT_EQ(p.next_read, result) << p.why;
      } else {
        EXPECT_EQ(p.next_write, result) << p.why;
      }
      EXPECT_EQ(r.err, result == "EOF" ? EPIPE : result == "EPIPE" ? EPIPE : ECONNRESET)
          << "the errno stored: ECONNRESET, or EPIPE when the FIN came first";
      ++checked;
    }
  }
  EXPECT_GE(checked, 10u);
}

TEST(AnalyzeReal, AGroMergedSegmentIsUnverifiedNotBad) {
  // On the receiving host GRO hands the tap one segment merged from several, larger than
  // an Ethernet MTU carries, with the first one's checksum: it cannot be checked.
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901)})
    b.add(s);
  b.add(bad(seg(true, 0x18, 101, 901, std::string(2896, 'm'))));  // two 1448-byte segments merged
  b.add(seg(true, 0x14, 101 + 2896, 901));                          // exact only if the data arrived
  AnalyzeStats st;
  const auto conns = analyze_built(b, "gro.pcap", &st);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(st.bad_checksums, 0u);
  EXPECT_TRUE(conns[0].notes.empty());
  EXPECT_EQ(conns[0].resets.at(0).reaction, RstReaction::Accepted) << conns[0].resets[0].explanation;
}

TEST(AnalyzeReal, ProbesIntoAZeroWindowAreNotRetransmissions) {
  // b's window is 0; a probes it with one new byte again and again, b answers each with
  // its zero window; then a closes normally. No storm, no timeout.
  PcapBuilder b;
  for (const SegmentSpec& s : {seg(true, 0x02, 100, 0), seg(false, 0x12, 900, 101), seg(true, 0x10, 101, 901)})
    b.add(s);
  SegmentSpec full = seg(false, 0x10, 901, 101);
  full.window = 0;
  for (int i = 0; i < 5; ++i) {
    b.add(seg(true, 0x18, 101, 901, "z"));
    b.add(full);
  }
  const auto conns = analyze_built(b, "zerowindow.pcap");
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].ending, "open");
  EXPECT_FALSE(conns[0].anomaly);
}

// ---- analyze --json's writer, and several files as one capture ----------------------

namespace {

std::string json_of(std::string_view s) {
  std::string out;
  detail::json_string(out, s);
  return out;
}

/// analyze --json as it was written with nlohmann's ordered_json: the reference the
/// streaming writer must match, key for key.
nlohmann::ordered_json reference_json(const ConnectionReport& c) {
  using ojson = nlohmann::ordered_json;
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

}  // namespace

TEST(JsonWriter, EscapesEveryByte) {
  EXPECT_EQ(json_of("plain"), "\"plain\"");
  EXPECT_EQ(json_of("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(json_of("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(json_of(std::string("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  // Valid UTF-8 (2, 3 and 4 bytes) goes through as it is.
  EXPECT_EQ(json_of("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  // Bytes that are not UTF-8: each as \u00XX of the byte.
  EXPECT_EQ(json_of("\xff"), "\"\\u00ff\"");
  EXPECT_EQ(json_of("a\x80z"), "\"a\\u0080z\"");                      // a stray continuation byte
  EXPECT_EQ(json_of("\xc0\x80"), "\"\\u00c0\\u0080\"");               // overlong NUL
  EXPECT_EQ(json_of("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");    // a surrogate
  EXPECT_EQ(json_of("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"");  // past U+10FFFF
  EXPECT_EQ(json_of("x\xe2\x82"), "\"x\\u00e2\\u0082\"");             // cut short at the end
  EXPECT_EQ(json_of("\xc3\xa9\xc3"), "\"\xc3\xa9\\u00c3\"");
  // Every single byte, and random byte strings, give JSON that parses back to the same
  // text (non-UTF-8 bytes as the Latin-1 character of their value).
  for (int c = 0; c < 256; ++c) {
    const std::string s(1, static_cast<char>(c));
    const std::string back = nlohmann::json::parse(json_of(s)).get<std::string>();
    if (c < 0x80) EXPECT_EQ(back, s) << c;
    else EXPECT_EQ(back, std::string({static_cast<char>(0xc0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3f))})) << c;
  }
  uint32_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    for (int k = 0; k < 12; ++k) s += static_cast<char>((x = x * 1103515245 + 12345) >> 16);
    EXPECT_NO_THROW(nlohmann::json::parse(json_of(s))) << json_of(s);
  }
}

TEST(JsonWriter, NumbersBooleansNullAndCommas) {
  std::string out;
  detail::JsonWriter j(out);
  j.begin_object()
      .field("max", UINT64_MAX)
      .field("min", INT64_MIN)
      .field("zero", 0)
      .field("neg", -7)
      .field("t", true)
      .field("f", false);
  j.key("n").null();
  j.key("list").begin_array().value(1).begin_object().end_object().begin_array().end_array().value("s").end_array();
  j.key("empty").begin_object().end_object().end_object();
  EXPECT_EQ(out,
            "{\"max\":18446744073709551615,\"min\":-9223372036854775808,\"zero\":0,\"neg\":-7,\"t\":true,\"f\":false,"
            "\"n\":null,\"list\":[1,{},[],\"s\"],\"empty\":{}}");
  const auto parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed["max"].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(parsed["min"].get<int64_t>(), INT64_MIN);
}

TEST(Analyze, JsonLinesEqualTheNlohmannOutputOnEveryCapture) {
  // The streaming writer against the ordered_json code it replaced: the same keys in the
  // same order with the same values, on every reference capture and a generated one (every
  // ending, IPv4 and IPv6). The new keys (checksum, cause_rule, rule, inferred, unknown) are extra.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kCaptures))
    if (e.path().extension() == ".pcap" || e.path().extension() == ".pcapng") files.push_back(e.path());
  ASSERT_GE(files.size(), 40u);
  const fs::path gen = generated_capture("json.pcap", 30000);
  files.push_back(gen);
  size_t compared = 0;
  for (const fs::path& f : files) {
    analyze_file(f.string(), [&](const ConnectionReport& c) {
      std::string line;
      detail::append_connection_json(line, c);
      ASSERT_EQ(line.back(), '\n');
      ASSERT_EQ(line.find('\n'), line.size() - 1) << "one line per object";
      auto got = nlohmann::ordered_json::parse(line);
      for (auto& r : got["resets"]) {
        EXPECT_TRUE(r.contains("checksum"));
        EXPECT_TRUE(r.contains("cause_rule"));
        EXPECT_NE(r["rule"].get<std::string>(), "") << "every RST has the rule that judged it";
        // Copied without the new keys (ordered_map's erase by key is unreliable on some
        // nlohmann versions when several keys go).
        nlohmann::ordered_json kept = nlohmann::ordered_json::object();
        for (auto& [k, v] : r.items())
          if (k != "checksum" && k != "cause_rule" && k != "rule") kept[k] = v;
        r = std::move(kept);
      }
      for (auto& [ep, p] : got["predicted"].items()) {
        EXPECT_TRUE(p.contains("inferred"));
        if (p.contains("unknown")) {
          EXPECT_NE(p["unknown"].get<std::string>(), "") << "only when there is something";
        }
        p.erase("inferred");
        p.erase("unknown");
      }
      const auto want = reference_json(c);
      ASSERT_EQ(got.dump(), want.dump()) << f;
      ++compared;
    });
  }
  EXPECT_GT(compared, 2000u);
  fs::remove(gen);
}

TEST(Analyze, SeveralFilesAreOneCaptureAcrossTheirBoundaries) {
  // A generated capture cut in three (in the middle of many connections) reads as the
  // whole file does: the same connections, the same frames, the same stories.
  const fs::path whole = generated_capture("whole.pcap", 20000);
  int dlt = 0;
  const std::vector<CapturedPacket> all = read_capture(whole.string(), dlt);
  const fs::path dir = fs::temp_directory_path() / ("rstlab-an-" + std::to_string(::getpid()) + "-parts");
  fs::create_directories(dir);
  const size_t cut[] = {0, 7001, 13500, all.size()};
  for (int i = 0; i < 3; ++i)  // named against their order in time: the order comes from the packets
    write_pcap((dir / ("part-" + std::to_string(2 - i) + ".pcap")).string(), dlt,
               std::vector<CapturedPacket>(all.begin() + cut[i], all.begin() + cut[i + 1]));
  std::string want, got;
  analyze_file(whole.string(), [&](const ConnectionReport& c) { detail::append_connection_json(want, c); });
  std::vector<std::string> skipped;
  const auto files = detail::list_capture_files({dir.string()}, skipped);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, (dir / "part-2.pcap").string());
  EXPECT_EQ(files[2].path, (dir / "part-0.pcap").string());
  size_t groups = 0;
  detail::analyze_files(
      files,
      [&](const detail::CaptureGroup&) {
        detail::GroupRun run;
        run.sink = [&](const ConnectionReport& c) { detail::append_connection_json(got, c); };
        return run;
      },
      [&](const detail::CaptureGroup& g, const AnalyzeStats& st, std::vector<CapturedPacket>&) {
        ++groups;
        EXPECT_EQ(g.files.size(), 3u);
        EXPECT_EQ(g.separate, "");
        EXPECT_EQ(st.packets, all.size());
        EXPECT_EQ(g.file_of(7001), (dir / "part-2.pcap").string());
        EXPECT_EQ(g.file_of(7002), (dir / "part-1.pcap").string());
        EXPECT_EQ(g.file_of(20000), (dir / "part-0.pcap").string());
        return true;
      },
      false);
  EXPECT_EQ(groups, 1u);
  EXPECT_EQ(got, want);
  fs::remove_all(dir);
  fs::remove(whole);
}

TEST(Analyze, ResetsCarryTheirRulesByName) {
  struct Case {
    const char* file;
    const char* cause_rule;  // "" for none: an RST that did nothing
    const char* rule;
  } cases[] = {
      {"broken-pipe-veth.pcap", "cause.data-after-close", "rst.accepted.close-wait"},
      {"reset-by-peer-kernel-veth.pcap", "cause.close-unread-data", "rst.accepted.established"},
      {"connect-refused-tun.pcap", "cause.refused", "rst.accepted.syn-sent"},
      {"challenge-ack-veth.pcap", "", "rst.challenge-ack"},
      {"out-of-window-rst-tun.pcap", "", "rst.outside-window"},
      {"linger-zero-veth.pcap", "cause.abort", "rst.accepted.established"},
  };
  for (const auto& k : cases) {
    const auto conns = analyze(kCaptures / k.file);
    ASSERT_EQ(conns.size(), 1u) << k.file;
    ASSERT_FALSE(conns[0].resets.empty()) << k.file;
    const ResetReport& r = conns[0].resets[0];
    EXPECT_STREQ(rule_name(r.cause_rule), k.cause_rule) << k.file;
    EXPECT_STREQ(rule_name(r.rule), k.rule) << k.file;
    std::string line;
    detail::append_connection_json(line, conns[0]);
    EXPECT_NE(line.find(std::string("\"rule\":\"") + k.rule + "\""), std::string::npos) << line;
  }
}

namespace {

/// The JSON line as the generic JsonWriter writes it (the code append_connection_json
/// had before it wrote its text directly): the reference for the byte-level comparison.
std::string json_line_by_writer(const ConnectionReport& c, const std::vector<std::string_view>* files) {
  std::string out;
  detail::JsonWriter j(out);
  const auto ep = [](const Endpoint& e) { return e.str(); };
  j.begin_object()
      .field("id", c.id)
      .field("a", ep(c.a))
      .field("b", ep(c.b))
      .field("ending", c.ending)
      .field("mid_stream", c.mid_stream)
      .field("anomaly", c.anomaly)
      .field("packets", c.packets)
      .field("first_frame", c.first_frame)
      .field("last_frame", c.last_frame);
  j.key("resets").begin_array();
  for (const ResetReport& r : c.resets) {
    j.begin_object().field("frame", r.frame).field("from", ep(r.from)).field("to", ep(r.to));
    j.field("reaction", rst_reaction_name(r.reaction)).field("cause", r.cause).key("cause_rule");
    if (r.cause_rule == RuleId::None) j.null();
    else j.value(rule_name(r.cause_rule));
    j.field("rule", rule_name(r.rule)).key("errno");
    if (!r.err) j.null();
    else j.value(errno_name(r.err));
    j.field("explanation", r.explanation).field("checksum", r.checksum).end_object();
  }
  j.end_array().key("fins").begin_array();
  for (const FinReport& f : c.fins)
    j.begin_object().field("frame", f.frame).field("from", ep(f.from)).field("to", ep(f.to)).end_object();
  j.end_array().key("predicted").begin_object();
  for (int s = 0; s < 2; ++s) {
    const EndpointPrediction& p = c.predicted[s];
    j.key(ep(s == 0 ? c.a : c.b)).begin_object();
    j.field("next_read", p.next_read).field("next_write", p.next_write);
    j.field("write_raises_sigpipe", p.write_raises_sigpipe).field("so_error", p.so_error).field("why", p.why);
    j.field("inferred", p.inferred);
    if (!p.unknown.empty()) j.field("unknown", p.unknown);
    j.end_object();
  }
  j.end_object().key("notes").begin_array();
  for (const std::string& n : c.notes) j.value(n);
  j.end_array();
  if (files) {
    j.key("files").begin_array();
    for (std::string_view f : *files) j.value(f);
    j.end_array();
  }
  j.end_object();
  return out + "\n";
}

}  // namespace

TEST(Analyze, JsonLinesAreByteForByteTheGenericWritersText) {
  // append_connection_json writes its text directly and copies plain strings without
  // escaping them: byte for byte what JsonWriter writes, on real reports and on strings
  // that need every kind of escape (quotes, backslashes, control bytes, UTF-8 valid and
  // not) at every position of the 8-byte steps.
  size_t compared = 0;
  for (const char* file : {"reset-by-peer-tun.pcap", "challenge-ack-tun.pcap", "broken-pipe-ipv6-veth.pcapng"})
    analyze_file((kCaptures / file).string(), [&](const ConnectionReport& c) {
      std::string line;
      detail::append_connection_json(line, c);
      EXPECT_EQ(line, json_line_by_writer(c, nullptr));
      ++compared;
    });
  EXPECT_GE(compared, 3u);
  ConnectionReport c;
  c.id = 7;
  c.ending = "rst";
  ResetReport& r = c.resets.emplace_back();
  r.err = 104;
  r.cause = "abort";
  c.fins.push_back({3, c.a, c.b});
  const std::string specials[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82", "\xff", " "};
  for (const std::string& sp : specials)
    for (size_t at = 0; at < 17; ++at) {
      std::string s = std::string(at, 'x') + sp + std::string(9, 'y');
      r.explanation = s;
      c.predicted[0].why = s;
      c.predicted[1].unknown = s;
      c.notes = {s, "plain text of more than eight bytes"};
      const std::vector<std::string_view> files = {"a.pcap", s};
      std::string line;
      detail::append_connection_json(line, c, &files);
      ASSERT_EQ(line, json_line_by_writer(c, &files)) << "special " << sp << " at " << at;
    }
}

TEST(JsonWriter, PlainCheckFindsEveryByteThatNeedsEscapingAtEveryPlace) {
  // json_plain() steps 16 bytes (SSE2, the last step overlapping) or 8 bytes (the last one
  // padded): one byte that needs escaping, at every place of every length across those
  // steps, must make it say no; every other byte must not.
  const auto needs_escape = [](unsigned char c) { return c < 0x20 || c >= 0x80 || c == '"' || c == '\\'; };
  for (size_t n = 0; n <= 48; ++n) {
    std::string s(n, 'x');
    EXPECT_TRUE(detail::json_plain(s)) << n;
    for (size_t at = 0; at < n; ++at)
      for (int c = 0; c < 256; ++c) {
        s[at] = static_cast<char>(c);
        ASSERT_EQ(detail::json_plain(s), !needs_escape(static_cast<unsigned char>(c)))
            << "byte " << c << " at " << at << " of " << n;
        s[at] = 'x';
      }
  }
  EXPECT_TRUE(detail::json_plain(std::string_view()));
}

TEST(Analyze, JsonLinesEscapeAsTheWriterDoesAtEveryPlaceOfTheCopySteps) {
  // append_connection_json copies a plain string while it checks it, 16 bytes a step
  // (the last step overlapping the one before): a byte that needs escaping at any place
  // of any length across those steps must still be escaped exactly as JsonWriter does.
  ConnectionReport c;
  c.id = 1;
  c.ending = "open";
  for (const std::string sp : {"\"", "\\", "\n", "\x1f", "\xc3\xa9", "\xff"})
    for (size_t n = 0; n <= 48; ++n)
      for (size_t at = 0; at <= n; ++at) {
        std::string s(n, 'x');
        s.insert(at, sp);
        c.notes = {s, std::string(n, 'y')};
        std::string line;
        detail::append_connection_json(line, c);
        ASSERT_EQ(line, json_line_by_writer(c, nullptr)) << "special " << sp << " at " << at << " of " << n;
      }
}
