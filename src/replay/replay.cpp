// SPDX-License-Identifier: MIT
// Live replay, the core half: a captured connection becomes a scenario (the kernel side's
// calls inferred from its segments, the peer's segments as captured), and a replay's
// capture is compared with the original. See docs/replay.md.
#include "rstlab/replay.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <climits>
#include <map>

#include "rstlab/error.h"
#include "rstlab/seq.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

constexpr uint8_t kCompared = tcpflag::SYN | tcpflag::FIN | tcpflag::RST | tcpflag::ACK;

/// One decoded segment of the flow, with the options a replay needs.
struct Seg {
  TcpSegment t;
  uint64_t frame = 0;
  int64_t t_ns = 0;
  int from = 0;  ///< 0 the client (SYN sender), 1 the server
  std::string payload;  ///< the captured part
  bool sack_ok = false, ts = false;
};

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

/// SACK-permitted and timestamps in a segment's options. decode_tcp reads MSS and window
/// scale only; the TCP header is found again in the packet: the one whose ports and
/// sequence number match, with a data offset that ends where the payload begins.
void read_options(const uint8_t* data, size_t size, Seg& s) {
  const uint8_t* payload = s.t.payload;
  if (!payload || payload < data || payload > data + size) return;
  for (size_t doff = 20; doff <= 60; doff += 4) {
    if (static_cast<size_t>(payload - data) < doff) break;
    const uint8_t* h = payload - doff;
    if (size_t(h[12] >> 4) * 4 != doff || rd16(h) != s.t.src.port || rd16(h + 2) != s.t.dst.port ||
        rd32(h + 4) != s.t.seq)
      continue;
    for (size_t o = 20; o < doff;) {
      const uint8_t kind = h[o];
      if (kind == 0) break;
      if (kind == 1) {
        ++o;
        continue;
      }
      if (o + 1 >= doff || h[o + 1] < 2 || o + h[o + 1] > doff) break;
      if (kind == 4 && h[o + 1] == 2) s.sack_ok = true;
      if (kind == 8 && h[o + 1] == 10) s.ts = true;
      o += h[o + 1];
    }
    return;
  }
}

std::vector<Seg> decode_flow(int link_type, const std::vector<CapturedPacket>& packets, const Endpoint& client) {
  std::vector<Seg> out;
  for (size_t k = 0; k < packets.size(); ++k) {
    const CapturedPacket& p = packets[k];
    Seg s;
    if (decode_tcp(link_type, p.data.data(), p.data.size(), s.t) != DecodeStatus::Ok) continue;
    s.frame = p.frame ? p.frame : k + 1;  // a live capture's packets are numbered by position
    s.t_ns = p.t_ns;
    s.from = s.t.src == client ? 0 : 1;
    if (s.t.payload && s.t.payload_captured) s.payload.assign(reinterpret_cast<const char*>(s.t.payload), s.t.payload_captured);
    read_options(p.data.data(), p.data.size(), s);
    s.t.payload = nullptr;  // the packet's bytes are not ours to keep pointing at
    out.push_back(std::move(s));
  }
  return out;
}

/// Bytes as a scenario string literal.
std::string scn_string(const std::string& bytes) {
  std::string s = "\"";
  for (unsigned char c : bytes) {
    if (c == '"') s += "\\\"";
    else if (c == '\\') s += "\\\\";
    else if (c == '\n') s += "\\n";
    else if (c == '\r') s += "\\r";
    else if (c == '\t') s += "\\t";
    else if (c >= 0x20 && c < 0x7f) s += static_cast<char>(c);
    else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      s += hex;
    }
  }
  return s + "\"";
}

std::string scenario_name_for(const std::string& file, uint64_t id) {
  std::string stem = std::filesystem::path(file).stem().string();
  std::string name;
  for (char c : stem) name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '-';
  if (name.empty()) name = "capture";
  return "replay-" + name + "-flow" + std::to_string(id);
}

std::string frames_of(const std::vector<uint64_t>& frames) {
  std::string s;
  for (uint64_t f : frames) s += (s.empty() ? "" : ", ") + std::to_string(f);
  return (frames.size() == 1 ? "frame " : "frames ") + s;
}

/// Writes the scenario text: header lines, then steps, each after the comment that says
/// where in the capture it came from.
class Writer {
 public:
  void line(const std::string& l) { text_ += l + "\n"; }
  void comment(const std::string& c) { text_ += "# " + c + "\n"; }
  void step(const std::string& s, const std::string& why, int64_t after_ms = 0) {
    if (!why.empty()) comment(why);
    text_ += (after_ms > 0 ? "after " + std::to_string(after_ms) + "ms " : "") + s + "\n";
    ++steps_;
  }
  size_t steps() const { return steps_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  size_t steps_ = 0;
};

/// " (the file is cut short: ...)" when the capture ended early, "" otherwise: why it may
/// hold less than it should.
std::string cut_short(const AnalyzeStats& st) {
  for (const auto& [what, n] : st.warnings)
    if (what.rfind("file cut short", 0) == 0) return " (" + what + ")";
  return "";
}

}  // namespace

std::string WireUnit::str() const {
  return std::string(dir == Dir::ClientToServer ? "client>server " : "server>client ") + tcp_flags_string(flags) +
         " seq=" + std::to_string(seq) + (flags & tcpflag::ACK ? " ack=" + std::to_string(ack) : "") +
         " len=" + std::to_string(len);
}

CapturedFlow choose_flow(const std::string& file, std::optional<uint64_t> flow) {
  AnalyzeOptions options;
  options.words = false;
  CapturedFlow out;
  out.file = file;
  if (!flow) {
    std::vector<ConnectionReport> candidates;
    uint64_t connections = 0;
    const AnalyzeStats st = analyze_file(
        file,
        [&](const ConnectionReport& c) {
          ++connections;
          if (!c.resets.empty()) candidates.push_back(c);
        },
        options);
    if (st.tcp == 0) throw InputError(file + ": no TCP segment in this capture: nothing to replay" + cut_short(st));
    if (candidates.empty())
      throw InputError(file + ": no connection of the " + std::to_string(connections) +
                       " in it was reset (after its handshake, or refused); choose one with --flow ID ('rstlab analyze " + file +
                       " --all' numbers them)" + cut_short(st));
    if (candidates.size() > 1) {
      std::sort(candidates.begin(), candidates.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
      std::string list;
      for (size_t k = 0; k < candidates.size() && k < 10; ++k)
        list += (k ? ", " : "") + std::to_string(candidates[k].id) + " (" + candidates[k].a.str() + " > " +
                candidates[k].b.str() + ")";
      if (candidates.size() > 10) list += ", ...";
      throw InputError(file + ": " + std::to_string(candidates.size()) +
                       " connections hold an RST; choose one with --flow ID: " + list);
    }
    flow = candidates[0].id;
  }
  options.keep_flow = *flow;
  bool found = false;
  uint64_t connections = 0;
  const AnalyzeStats st = analyze_file(
      file,
      [&](const ConnectionReport& c) {
        ++connections;
        if (c.id == *flow) {
          out.report = c;
          found = true;
        }
      },
      options, &out.packets, &out.link_type);
  if (st.tcp == 0) throw InputError(file + ": no TCP segment in this capture: nothing to replay" + cut_short(st));
  if (!found)
    throw InputError(file + ": no flow " + std::to_string(*flow) + " (it has " + std::to_string(connections) +
                     " connection" + (connections == 1 ? "" : "s") + "; 'rstlab analyze " + file +
                     " --all' numbers them)" + cut_short(st));
  return out;
}

std::vector<CapturedFlow> reset_flows(const std::string& file) {
  AnalyzeOptions options;
  options.words = false;
  std::vector<CapturedFlow> flows;
  uint64_t connections = 0;
  const AnalyzeStats st = analyze_file(
      file,
      [&](const ConnectionReport& c) {
        ++connections;
        if (c.resets.empty()) return;
        CapturedFlow f;
        f.file = file;
        f.report = c;
        flows.push_back(std::move(f));
      },
      options);
  if (st.tcp == 0) throw InputError(file + ": no TCP segment in this capture: nothing to replay" + cut_short(st));
  if (flows.empty())
    throw InputError(file + ": no connection of the " + std::to_string(connections) +
                     " in it was reset (after its handshake, or refused): nothing to replay" + cut_short(st));
  std::sort(flows.begin(), flows.end(), [](const auto& x, const auto& y) { return x.report.id < y.report.id; });
  // One read of the file: each packet goes to the flow with its two endpoints whose
  // frames span it (a port pair reused later in the capture is another flow).
  std::map<std::pair<Endpoint, Endpoint>, std::vector<size_t>> by_ends;
  for (size_t k = 0; k < flows.size(); ++k) {
    const auto& r = flows[k].report;
    by_ends[std::minmax(r.a, r.b)].push_back(k);
  }
  int link_type = 0;
  std::vector<CapturedPacket> packets = read_capture(file, link_type);
  for (size_t k = 0; k < packets.size(); ++k) {
    CapturedPacket& p = packets[k];
    if (!p.frame) p.frame = k + 1;
    TcpSegment t;
    if (decode_tcp(link_type, p.data.data(), p.data.size(), t, false) != DecodeStatus::Ok) continue;
    const auto it = by_ends.find(std::minmax(t.src, t.dst));
    if (it == by_ends.end()) continue;
    for (size_t f : it->second) {
      const auto& r = flows[f].report;
      if (p.frame >= r.first_frame && p.frame <= r.last_frame) {
        flows[f].packets.push_back(std::move(p));
        break;
      }
    }
  }
  for (CapturedFlow& f : flows) f.link_type = link_type;
  return flows;
}

std::vector<std::string> parse_probe_list(const std::string& list) {
  static const std::vector<std::string> known = {"read", "write", "send", "so_error", "poll"};
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= list.size()) {
    size_t comma = list.find(',', at);
    if (comma == std::string::npos) comma = list.size();
    const std::string w = list.substr(at, comma - at);
    if (std::find(known.begin(), known.end(), w) == known.end())
      throw InputError("--then: '" + w + "' is not a probe call (read, write, send, so_error, poll; e.g. --then so_error,read)");
    out.push_back(w);
    at = comma + 1;
  }
  if (out.size() > 8) throw InputError("--then: at most 8 probe calls");
  return out;
}

namespace {

/// A refused connect: the SYN answered with an RST|ACK acknowledging it (connect fails
/// with ECONNREFUSED). Kernel client: the peer leaves the SYN unanswered by a SYN-ACK and
/// sends the captured RST|ACK, the connect (in the background) collects the refusal.
/// Kernel server: nothing listens, the lab's kernel answers the peer's SYN itself.
ReplayPlan plan_refused(const CapturedFlow& flow, const ReplayOptions& opt, const std::vector<Seg>& segs, const Seg& syn,
                        const Seg& rst) {
  const ConnectionReport& c = flow.report;
  const std::string flow_name = "flow " + std::to_string(c.id);
  const bool kclient = opt.kernel == Role::Client;
  const std::string name = opt.name.empty() ? scenario_name_for(flow.file, c.id) : opt.name;
  const int64_t gap = opt.capture_timing ? std::min<int64_t>(std::max<int64_t>((rst.t_ns - syn.t_ns) / 1000000, 0), 60000) : 0;
  const std::string frames = "frames " + std::to_string(syn.frame) + ", " + std::to_string(rst.frame);
  Writer w;
  w.comment("Generated by rstlab replay from " + flow.file + ", " + flow_name + " (" + c.a.str() + " > " + c.b.str() +
            ", frames " + std::to_string(c.first_frame) + "-" + std::to_string(c.last_frame) + ").");
  w.comment("A refused connection: the client's SYN was answered with an RST|ACK (nothing listened).");
  w.comment("Edit it and run it again: rstlab run THIS-FILE.scn");
  w.line("scenario " + name);
  w.line("title    \"Replay of " + std::filesystem::path(flow.file).filename().string() + ", " + flow_name +
         " (kernel " + (kclient ? "client" : "server") + ")\"");
  w.line("story    \"Re-enacted from the capture: " + c.a.str() + " > " + c.b.str() + ", frames " +
         std::to_string(c.first_frame) + "-" + std::to_string(c.last_frame) + ": connect refused.\"");
  ReplayPlan plan;
  if (kclient) {
    w.line("client   kernel sigpipe=ignore");
    w.line("server   peer");
    if (c.a.addr.family == Family::V6) w.line("family   ipv6");
    w.line("");
    w.step("server closed-rst off", "the peer sends only the RST the capture holds");
    w.step("server synack off", "frame " + std::to_string(rst.frame) + ": the server answered the SYN with an RST");
    w.step("client connect &", "frame " + std::to_string(syn.frame) + ": SYN (connect waits for the answer)");
    w.step("server expect S", "");
    // Bare RSTs before the refusal (no ACK: SYN_SENT ignores them), as captured.
    for (const Seg& s : segs)
      if (&s != &rst && s.from == 1 && s.t.has(tcpflag::RST) && !s.t.has(tcpflag::ACK) && s.frame > syn.frame &&
          s.frame < rst.frame)
        w.step("server rst seq=abs:" + std::to_string(s.t.seq),
               "frame " + std::to_string(s.frame) + ": a bare RST (no ACK): SYN_SENT ignores it");
    w.step("server rst ack seq=abs:" + std::to_string(rst.t.seq),
           "frame " + std::to_string(rst.frame) + ": " + tcp_flags_string(rst.t.flags) + " seq " +
               std::to_string(rst.t.seq) + ", acknowledging the SYN: the refusal",
           gap);
    w.step("client wait => ECONNREFUSED", "connect() fails: the first call to feel the RST");
  } else {
    PeerOffer offer;
    offer.isn = syn.t.seq;
    if (syn.t.mss > 0) offer.mss = static_cast<uint16_t>(syn.t.mss);
    w.line("client   peer " + offer.str());
    w.line("server   kernel sigpipe=ignore");
    if (c.a.addr.family == Family::V6) w.line("family   ipv6");
    w.line("");
    w.step("client closed-rst off", "the peer sends no RST of its own");
    w.step("server note " + scn_string("nothing listens on the server's port: the lab's kernel answers the SYN itself"),
           "");
    plan.notes.push_back("nothing listens on the server's port: the lab's kernel answers the SYN itself");
    w.step("client connect refused", frames + ": SYN, answered with " + tcp_flags_string(rst.t.flags));
  }
  plan.text = w.text();
  plan.scenario = parse_scenario(plan.text, name + ".scn");
  plan.probe_step = plan.scenario.steps.size();  // connect itself is the probe: nothing after it
  return plan;
}

}  // namespace

ReplayPlan plan_replay(const CapturedFlow& flow, const ReplayOptions& opt) {
  const ConnectionReport& c = flow.report;
  const std::string flow_name = "flow " + std::to_string(c.id);
  const std::vector<Seg> segs = decode_flow(flow.link_type, flow.packets, c.a);
  const int K = opt.kernel == Role::Client ? 0 : 1, P = 1 - K;
  const char* kname = K == 0 ? "client" : "server";
  const char* pname = K == 0 ? "server" : "client";

  const Seg* syn[2] = {nullptr, nullptr};
  bool data = false;
  for (const Seg& s : segs) {
    if (s.t.has(tcpflag::SYN) && !s.t.has(tcpflag::ACK) && s.from == 0 && !syn[0]) syn[0] = &s;
    if (s.t.has(tcpflag::SYN) && s.t.has(tcpflag::ACK) && s.from == 1 && !syn[1]) syn[1] = &s;
    data |= s.t.payload_len > 0;
  }
  if (segs.empty()) throw InputError(flow.file + ": " + flow_name + " holds no TCP segment it can decode");
  if (syn[0] && !syn[1] && !data)
    for (const Seg& s : segs)
      if (s.from == 1 && s.t.has(tcpflag::RST) && s.t.has(tcpflag::ACK) && s.t.ack == syn[0]->t.seq + 1)
        return plan_refused(flow, opt, segs, *syn[0], s);
  if (syn[0] && !syn[1] && !data)
    throw InputError(flow.file + ": " + flow_name + " never completed its handshake (SYN in frame " +
                     std::to_string(syn[0]->frame) +
                     ", no SYN-ACK): nothing to replay (a refused connection is the built-in scenario "
                     "'connect-refused')");
  const bool handshake = syn[0] && syn[1];
  if (!handshake && !data)
    throw InputError(flow.file + ": " + flow_name + " has no " + (syn[0] || syn[1] ? "complete " : "") +
                     "handshake and no data: nothing to replay" +
                     (syn[1] && !syn[0] ? " (only the server's segments are in the capture: taken in one direction?)"
                                        : ""));

  ReplayPlan plan;
  // Each side's ISN: from its SYN, or (mid-stream) its first segment's seq less one.
  uint32_t isn[2] = {0, 0};
  bool isn_known[2] = {false, false};
  for (int d = 0; d < 2; ++d)
    if (syn[d]) isn[d] = syn[d]->t.seq, isn_known[d] = true;
  for (const Seg& s : segs)
    if (!isn_known[s.from] && !s.t.has(tcpflag::RST)) isn[s.from] = s.t.seq - 1, isn_known[s.from] = true;
  if (!isn_known[P]) isn[P] = 1000000000u;

  // The peer offers what the captured handshake agreed: an option both SYNs carried.
  PeerOffer offer;
  offer.isn = isn[P];
  if (handshake) {
    const Seg& mine = *syn[P];
    if (mine.t.mss > 0) offer.mss = static_cast<uint16_t>(mine.t.mss);
    if (mine.t.wscale >= 0 && syn[K]->t.wscale >= 0) offer.wscale = static_cast<uint8_t>(mine.t.wscale);
    offer.sack_permitted = syn[0]->sack_ok && syn[1]->sack_ok;
    offer.timestamps = syn[0]->ts && syn[1]->ts;
  }
  // The kernel side's receive window, scaled, to tell in-window RSTs from out-of-window ones.
  const int kscale = handshake && syn[0]->t.wscale >= 0 && syn[1]->t.wscale >= 0 ? syn[K]->t.wscale : 0;

  // close() or shutdown(SHUT_WR) for the kernel side's FIN: close when data that came
  // after it was answered with an RST (a closed socket's answer), shutdown otherwise.
  bool k_closes = false;
  {
    bool fin = false, data_after = false;
    for (const Seg& s : segs) {
      if (s.from == K && s.t.has(tcpflag::FIN)) fin = true;
      else if (fin && s.from == P && s.t.payload_len > 0) data_after = true;
      else if (fin && data_after && s.from == K && s.t.has(tcpflag::RST)) k_closes = true;
    }
  }

  // --timing capture and a kernel side that retransmitted: a retransmission story. Its
  // first retransmission timeout becomes the lab's rto_min (on the lab's link the RTT is
  // microseconds, so the RTO is rto_min, doubling with each retry as in the capture), and
  // the peer acknowledges only where the captured one did (autoack off, `ack` steps).
  std::optional<int64_t> rto_ns;
  uint64_t rto_frames[2] = {0, 0};
  if (opt.capture_timing) {
    std::map<uint32_t, const Seg*> first_sent;  // by sequence number
    for (const Seg& s : segs) {
      if (s.from != K || s.t.has(tcpflag::RST) || (s.t.payload_len == 0 && !s.t.has(tcpflag::FIN | tcpflag::SYN)))
        continue;
      const auto [it, fresh] = first_sent.emplace(s.t.seq, &s);
      if (!fresh && s.t_ns > it->second->t_ns) {
        rto_ns = s.t_ns - it->second->t_ns;
        rto_frames[0] = it->second->frame, rto_frames[1] = s.frame;
        break;
      }
    }
  }
  const bool story_acks = rto_ns.has_value();

  Writer w;
  const std::string name = opt.name.empty() ? scenario_name_for(flow.file, c.id) : opt.name;
  w.comment("Generated by rstlab replay from " + flow.file + ", " + flow_name + " (" + c.a.str() + " > " + c.b.str() +
            ", frames " + std::to_string(c.first_frame) + "-" + std::to_string(c.last_frame) + ").");
  w.comment("The " + std::string(kname) + " is a real kernel socket whose calls are inferred from its segments;");
  w.comment("the crafted peer plays the " + std::string(pname) + " segment by segment, with its captured ISN.");
  w.comment("Edit it and run it again: rstlab run THIS-FILE.scn");
  w.line("scenario " + name);
  w.line("title    \"Replay of " + std::filesystem::path(flow.file).filename().string() + ", " + flow_name +
         " (kernel " + kname + ")\"");
  w.line("story    \"Re-enacted from the capture: " + c.a.str() + " > " + c.b.str() + ", frames " +
         std::to_string(c.first_frame) + "-" + std::to_string(c.last_frame) + ".\"");
  const std::string kdecl = std::string(kname) + "   kernel sigpipe=ignore";
  const std::string pdecl = std::string(pname) + "   peer" + (offer.str().empty() ? "" : " " + offer.str());
  w.comment("sigpipe=ignore: every probe call runs (a write's SIGPIPE still shows as +SIGPIPE)");
  w.line(K == 0 ? kdecl : pdecl);
  w.line(K == 0 ? pdecl : kdecl);
  if (c.a.addr.family == Family::V6) w.line("family   ipv6");
  if (story_acks) {
    const int64_t us = (*rto_ns + 500) / 1000;
    const int64_t ms = std::min<int64_t>(std::max<int64_t>((us + 500) / 1000, 1), 200);
    w.comment("frames " + std::to_string(rto_frames[0]) + ", " + std::to_string(rto_frames[1]) + ": the " + kname +
              " retransmitted after " + std::to_string(us / 1000) + "." + std::to_string(us % 1000 / 100) +
              " ms: its retransmission timeout" + (us > 200500 ? " (above 200 ms: rto_min can only raise it that far)" : ""));
    w.line("rto_min  " + std::to_string(ms) + "ms");
  }
  w.line("");
  w.step(std::string(pname) + " closed-rst off",
         "the peer sends only the RSTs the capture holds; it ACKs data as the captured host did (autoack)");
  if (story_acks)
    w.step(std::string(pname) + " autoack off",
           "the capture holds a retransmission story: the peer acknowledges only where the captured one did, "
           "so the kernel retransmits as it did");

  int64_t last_t = segs.front().t_ns;
  auto after = [&](const Seg& s) -> int64_t {
    if (!opt.capture_timing) return 0;
    const int64_t gap = (s.t_ns - last_t) / 1000000;
    last_t = s.t_ns;
    return gap > 0 ? std::min<int64_t>(gap, 60000) : 0;
  };
  auto note = [&](const std::string& actor, const std::string& text) {
    plan.notes.push_back(text);
    w.step(actor + " note " + scn_string(text), "");
  };

  // The handshake.
  if (handshake) {
    const std::string frames = frames_of({syn[0]->frame, syn[1]->frame});
    if (K == 0) {
      w.step("client connect => 0", frames + ": SYN, SYN-ACK (the peer answers as the captured server did)",
             after(*syn[0]));
    } else {
      w.step("server listen => 0", "the captured server was listening");
      w.step("client connect", frames + ": SYN, SYN-ACK", after(*syn[0]));
      w.step("server accept", "");
    }
  } else {
    if (K == 0) w.step("client connect => 0", "");
    else {
      w.step("server listen => 0", "");
      w.step("client connect", "");
      w.step("server accept", "");
    }
    note(kname, "mid-stream capture: it holds no handshake; the replay made one (the peer's ISN from its first "
                "segment, no TCP options)");
  }

  // Positions relative to each side's ISN (1 = the first data byte).
  uint32_t p_end = 1, k_end = 1;  // the next sequence number each side sends
  uint32_t p_data_end = 1;        // the end of the peer's data (without its FIN)
  uint32_t k_read = 1;            // the peer's data the kernel side has read
  uint32_t p_acked = 1;           // the kernel side's data the peer has acknowledged
  uint16_t k_window = 65535;
  bool k_shut = false, k_closed = false, k_aborted = false, k_got_end = false;
  auto rel = [&](uint32_t v, int side) { return v - isn[side]; };

  for (const Seg& s : segs) {
    const TcpSegment& t = s.t;
    if (t.has(tcpflag::SYN)) continue;
    const std::string fr = "frame " + std::to_string(s.frame);
    const uint32_t rseq = rel(t.seq, s.from);
    if (s.from == P) {
      if (t.has(tcpflag::RST)) {
        const int32_t off = static_cast<int32_t>(rseq - p_end);
        const uint32_t window = uint32_t(k_window) << kscale;
        std::string pos, words;
        if (off == 0) pos = "exact", words = "exactly at what the kernel side expected";
        else if (off < 0) pos = "-" + std::to_string(-int64_t(off)), words = std::to_string(-int64_t(off)) + " before what it expected";
        else if (uint32_t(off) < window)
          pos = "+" + std::to_string(off), words = "in its window, " + std::to_string(off) + " past what it expected";
        else pos = "oow", words = "outside its window (" + std::to_string(off) + " past what it expected)";
        std::string step = std::string(pname) + " rst seq=" + pos + (t.has(tcpflag::ACK) ? " ack" : "");
        std::string why = fr + ": " + tcp_flags_string(t.flags) + " " + words;
        if (t.checksum == TcpSegment::Checksum::Bad) step += " badsum", why += "; its checksum was bad";
        else if (t.checksum == TcpSegment::Checksum::Offload)
          why += "; its checksum was offload-pending (valid on the wire): sent with a correct one";
        w.step(step, why, after(s));
        // An exact RST with a good checksum ends it; others may be dropped or challenged.
        k_got_end |= off == 0 && t.checksum != TcpSegment::Checksum::Bad;
        continue;
      }
      if (story_acks && t.payload_len == 0 && !t.has(tcpflag::FIN) && t.has(tcpflag::ACK) &&
          seq::gt(rel(t.ack, K), p_acked) && seq::le(rel(t.ack, K), k_end)) {
        w.step(std::string(pname) + " ack", fr + ": ACK of the " + kname + "'s data up to " + std::to_string(rel(t.ack, K)),
               after(s));
        p_acked = rel(t.ack, K);
        continue;
      }
      if (t.has(tcpflag::ACK) && seq::gt(rel(t.ack, K), p_acked)) p_acked = rel(t.ack, K);
      if (t.payload_len > 0) {
        const uint32_t end = rseq + t.payload_len;
        if (seq::gt(end, p_end)) {
          if (seq::gt(rseq, p_end))
            note(pname, "the capture misses " + std::to_string(rseq - p_end) + " bytes of the peer's before " + fr +
                            ": the peer sends what the capture holds, in order");
          const uint32_t skip = seq::lt(rseq, p_end) ? p_end - rseq : 0;
          const uint32_t n = t.payload_len - skip;
          const bool whole = s.payload.size() == t.payload_len;
          std::string why = fr + ": " + std::to_string(n) + (n == 1 ? " data byte" : " data bytes") +
                            (whole ? "" : " (cut by the snap length: filler of the same length)");
          int64_t wait = after(s);
          for (uint32_t done = 0; done < n; done += 1400) {
            const uint32_t part = std::min<uint32_t>(1400, n - done);
            w.step(std::string(pname) + " send " +
                       (whole ? scn_string(s.payload.substr(skip + done, part)) : std::to_string(part) + " bytes"),
                   done == 0 ? why : "", done == 0 ? wait : 0);
          }
          p_end = p_data_end = seq::gt(rseq, p_end) ? end : p_end + n;
        }
      }
      if (t.has(tcpflag::FIN) && !seq::lt(rseq + t.payload_len, p_end)) {
        w.step(std::string(pname) + " fin", fr + ": FIN", t.payload_len ? 0 : after(s));
        p_end += 1;
        k_got_end = true;
      }
      continue;
    }
    // The kernel side's segment: which calls made it.
    k_window = t.window;
    if (t.has(tcpflag::ACK) && !k_closed && !k_aborted) {
      const uint32_t acked = rel(t.ack, P);
      const uint32_t readable = seq::lt(acked, p_data_end) ? acked : p_data_end;
      if (seq::gt(readable, k_read)) {
        const uint32_t n = readable - k_read;
        w.step(std::string(kname) + " read " + std::to_string(n) + " => " + std::to_string(n),
               fr + ": it acknowledged " + std::to_string(n) + " bytes: read as they came (the capture cannot tell "
                    "read sizes)",
               after(s));
        k_read = readable;
      }
    }
    if (t.has(tcpflag::RST)) {
      if (k_closed) {
        w.comment(fr + ": " + tcp_flags_string(t.flags) + ", the closed socket's answer to data (no call: the kernel sends it)");
        continue;
      }
      if (k_aborted) continue;
      if (seq::gt(p_data_end, k_read)) {
        w.step(std::string(kname) + " close => 0",
               fr + ": " + tcp_flags_string(t.flags) + ": close() with " + std::to_string(p_data_end - k_read) +
                   " unread bytes aborts the connection",
               after(s));
      } else {
        note(kname, "the capture shows an abort (" + fr + "): read as SO_LINGER {1,0} then close(), the simplest "
                    "call that sends it");
        w.step(std::string(kname) + " linger 0 => 0", fr + ": " + tcp_flags_string(t.flags), after(s));
        w.step(std::string(kname) + " close => 0", "");
      }
      k_aborted = true;
      continue;
    }
    if (t.payload_len > 0 && !k_shut && !k_closed && !k_aborted) {
      const uint32_t end = rseq + t.payload_len;
      if (seq::gt(end, k_end)) {
        const uint32_t skip = seq::lt(rseq, k_end) ? k_end - rseq : 0;
        const uint32_t n = t.payload_len - skip;
        const bool whole = s.payload.size() == t.payload_len && n <= 8192;
        w.step(std::string(kname) + " write " +
                   (whole ? scn_string(s.payload.substr(skip)) : std::to_string(n) + " bytes") + " => " +
                   std::to_string(n),
               fr + ": " + std::to_string(n) + (n == 1 ? " data byte" : " data bytes") +
                   (s.payload.size() == t.payload_len ? "" : " (cut by the snap length: filler of the same length)"),
               after(s));
        k_end = end;
      }
    }
    if (t.has(tcpflag::FIN) && !k_shut && !k_closed && !k_aborted) {
      if (k_closes) {
        w.step(std::string(kname) + " close => 0",
               fr + ": FIN; data that came after it was answered with an RST: the socket was closed", after(s));
        k_closed = true;
      } else {
        note(kname, "the FIN of " + fr + " could be close() or shutdown(SHUT_WR): the capture cannot tell; "
                    "shutdown keeps the socket for the probes");
        w.step(std::string(kname) + " shutdown wr => 0", fr + ": FIN", after(s));
        k_shut = true;
      }
      k_end += 1;
    }
  }

  // The probes: which call first feels what ended the connection.
  if (k_closed || k_aborted) {
    note(kname, "the kernel side closed its socket itself: no call is left to probe (replay with --kernel " +
                    std::string(pname) + " to see the other side's calls)");
  } else {
    w.comment("The probes (--then): the first call after a reset consumes the pending error, so order matters.");
    for (const std::string& p : opt.then) {
      std::string step;
      if (p == "read") {
        if (k_got_end) step = "read 65536";
        else {
          step = "recv 65536 dontwait";
          note(kname, "nothing ended the connection toward the kernel side: the read probe does not wait "
                      "(MSG_DONTWAIT)");
        }
      } else if (p == "write") step = "write \"x\"";
      else if (p == "send") step = "send \"x\" nosignal";
      else if (p == "so_error") step = "so_error";
      else if (p == "poll") step = "poll in out rdhup timeout=0";
      w.step(std::string(kname) + " " + step, "probe: " + p);
    }
  }

  plan.text = w.text();
  plan.scenario = parse_scenario(plan.text, name + ".scn");
  // The probes are the last steps (after them only notes): count them back from the end.
  plan.probe_step = plan.scenario.steps.size();
  if (!k_closed && !k_aborted) {
    size_t probes = 0;
    for (size_t k = plan.scenario.steps.size(); k-- > 0 && probes < opt.then.size();)
      if (plan.scenario.steps[k].op == StepOp::Call) plan.probe_step = k, ++probes;
  }
  return plan;
}

int64_t probe_start_ns(const Trace& replay, const ReplayPlan& plan) {
  if (plan.probe_step >= plan.scenario.steps.size()) return INT64_MAX;
  const std::string& where = plan.scenario.steps[plan.probe_step].where;
  for (const Event& e : replay.events)
    if (const SyscallEvent* c = e.syscall(); c && e.line == where) return c->t_start_ns;
  return INT64_MAX;
}

std::vector<WireUnit> wire_units(int link_type, const std::vector<CapturedPacket>& packets, const Endpoint& client,
                                 bool skip_handshake) {
  const std::vector<Seg> segs = decode_flow(link_type, packets, client);
  uint32_t isn[2] = {0, 0};
  bool known[2] = {false, false};
  for (const Seg& s : segs)
    if (s.t.has(tcpflag::SYN) && !known[s.from]) isn[s.from] = s.t.seq, known[s.from] = true;
  for (const Seg& s : segs)
    if (!known[s.from] && !s.t.has(tcpflag::RST)) isn[s.from] = s.t.seq - 1, known[s.from] = true;

  std::vector<WireUnit> out;
  uint32_t max_end[2] = {0, 0};
  bool any[2] = {false, false};
  auto push = [&](WireUnit u) {
    // Consecutive data of one side, contiguous: one unit (segmentation is the sender's).
    if (!out.empty() && u.flags == tcpflag::ACK && u.len > 0) {
      WireUnit& b = out.back();
      if (b.dir == u.dir && b.flags == tcpflag::ACK && b.len > 0 && b.seq + b.len == u.seq && b.ack == u.ack) {
        b.len += u.len;
        return;
      }
    }
    out.push_back(u);
  };
  for (const Seg& s : segs) {
    const TcpSegment& t = s.t;
    WireUnit u;
    u.dir = s.from == 0 ? Dir::ClientToServer : Dir::ServerToClient;
    u.flags = t.flags & kCompared;
    u.seq = t.seq - isn[s.from];
    u.ack = t.has(tcpflag::ACK) ? t.ack - isn[1 - s.from] : 0;
    u.len = t.payload_len;
    u.frame = s.frame;
    const uint32_t end = u.seq + t.seq_len();
    if (t.has(tcpflag::SYN)) {
      if (skip_handshake || (any[s.from] && !seq::gt(end, max_end[s.from]))) continue;
      max_end[s.from] = end, any[s.from] = true;
      push(u);
      continue;
    }
    if (t.has(tcpflag::RST)) {
      push(u);
      continue;
    }
    if (u.len == 0 && !t.has(tcpflag::FIN)) {
      // A pure ACK counts only right after an RST from the other side: a challenge ACK.
      if (!out.empty() && (out.back().flags & tcpflag::RST) && out.back().dir != u.dir) push(u);
      continue;
    }
    if (any[s.from] && !seq::gt(end, max_end[s.from])) continue;  // a retransmission
    if (any[s.from] && seq::lt(u.seq, max_end[s.from])) {         // partly: keep what is new
      const uint32_t skip = max_end[s.from] - u.seq;
      u.seq += skip;
      u.len = skip >= u.len ? 0 : u.len - skip;
    }
    max_end[s.from] = end, any[s.from] = true;
    if (u.len > 0 && t.has(tcpflag::FIN)) {
      WireUnit d = u;
      d.flags = static_cast<uint8_t>(u.flags & ~tcpflag::FIN);
      push(d);
      u.seq += u.len;
      u.len = 0;
    }
    push(u);
  }
  return out;
}

namespace {

bool pure_ack(const WireUnit& u) { return u.flags == tcpflag::ACK && u.len == 0; }

std::string likely_reason(const WireUnit* orig, const WireUnit* rep, const std::vector<WireUnit>& o, size_t i,
                          Role kernel) {
  const Dir kdir = kernel == Role::Client ? Dir::ClientToServer : Dir::ServerToClient;
  const bool after_rst = i > 0 && i <= o.size() && (o[i - 1].flags & tcpflag::RST);
  if (rep && pure_ack(*rep) && (!orig || !pure_ack(*orig)) && after_rst)
    return "the lab's kernel answered this in-window RST with a challenge ACK; the captured host did not: an older "
           "kernel, or the RST arrived in a different state";
  if (orig && pure_ack(*orig) && (!rep || !pure_ack(*rep)) && after_rst)
    return "the captured host answered the RST with a challenge ACK, the lab's kernel did not: it took the RST, or "
           "its challenge-ACK rate limit held the answer back";
  if (!rep)
    return orig->dir == kdir ? "the lab's kernel never sent it: the calls inferred for that side (see the "
                               "scenario's notes) did not make it happen, or it waits on a timer the fast timing skipped"
                             : "the peer stopped before it: an earlier step failed (see the trace's failures)";
  if (!orig)
    return rep->dir == kdir ? "the lab's kernel sent a segment the capture does not hold: a retransmission, a "
                              "timer, or a segment the capture missed"
                            : "the peer sent a segment the capture does not hold";
  if (orig->dir != rep->dir) return "the two sides took their turns in another order (timing, or an inferred call)";
  if (orig->dir == kdir && (orig->flags & tcpflag::RST) && (rep->flags & tcpflag::RST))
    return "no call makes a Linux socket send the captured RST (" + tcp_flags_string(orig->flags) + " seq=" +
           std::to_string(orig->seq) + ") at that point: an abort sends R. at the next sequence number; the "
           "captured one was crafted, injected by a middlebox, or answered a segment the capture missed (replay "
           "with the other side as the kernel)";
  if ((orig->flags & tcpflag::RST) != (rep->flags & tcpflag::RST) ||
      (orig->flags & tcpflag::FIN) != (rep->flags & tcpflag::FIN))
    return orig->dir == kdir ? "the lab's kernel ended the connection another way: the call inferred for this "
                               "segment (close, shutdown or abort) is not the one the application made"
                             : "the peer's segment differs: an earlier divergence changed what it answers";
  if (orig->len != rep->len)
    return "the data was cut into segments differently (MSS, Nagle, TSO/GRO in the capture)";
  return "the sequence space drifted: a segment missing from the capture (loss or capture drops), or one that "
         "crossed another in flight";
}

}  // namespace

ReplayVerdict compare_units(const std::vector<WireUnit>& original, const std::vector<WireUnit>& replay, Role kernel) {
  ReplayVerdict v;
  const size_t n = std::max(original.size(), replay.size());
  for (size_t i = 0; i < n; ++i) {
    const WireUnit* o = i < original.size() ? &original[i] : nullptr;
    const WireUnit* r = i < replay.size() ? &replay[i] : nullptr;
    if (o && r && o->dir == r->dir && o->flags == r->flags && o->seq == r->seq && o->len == r->len &&
        (!(o->flags & tcpflag::ACK) || o->ack == r->ack)) {
      ++v.compared;
      continue;
    }
    v.faithful = false;
    v.divergence = "at segment " + std::to_string(i + 1) + ": the original has " +
                   (o ? o->str() + " (frame " + std::to_string(o->frame) + ")" : std::string("nothing more")) +
                   ", the replay " +
                   (r ? r->str() + " (frame " + std::to_string(r->frame) + ")" : std::string("nothing more")) +
                   "; likely: " + likely_reason(o, r, original, i, kernel);
    return v;
  }
  return v;
}

}  // namespace rstlab
