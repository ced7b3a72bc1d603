// SPDX-License-Identifier: MIT
// The connection table of `rstlab analyze`. Per packet: a bounds-checked decode (no
// allocation, every checksum judged, done ahead by the reader thread), one hash
// lookup into a table whose entries were prefetched a few packets earlier, one model
// update. Per RST or FIN: a classification, in words only when the caller wants them
// (AnalyzeOptions::words). A connection that has closed and gone quiet is reported and
// its entry reused while the file streams, so memory follows the open connections and a
// warm table allocates nothing per connection.
#include "rstlab/analyze.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "analyze/flow_table.h"
#include "analyze/packet_batch.h"
#include "rstlab/rules.h"
#include "rstlab/seq.h"
#include "rstlab/wire.h"
#include "util/concat.h"
#include "wire/decode_tcp.h"

namespace rstlab {

namespace detail {
namespace {

/// An address as two 64-bit words, taken with one 16-byte load: decode_tcp has just
/// stored it with one 16-byte store, and a load of that store's upper half alone is not
/// forwarded from it but waits for the store to reach the cache (two thirds of
/// decode_packet's time went there). The empty asm keeps GCC from splitting the load
/// into the two 8-byte loads the words are.
inline void address_words(const Address& a, uint64_t w[2]) {
#if defined(__SSE2__)
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.bytes.data()));
  asm("" : "+x"(v));
  w[0] = static_cast<uint64_t>(_mm_cvtsi128_si64(v));
  w[1] = static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)));
#else
  std::memcpy(w, a.bytes.data(), 16);
#endif
}

}  // namespace

void decode_packet(int dlt, uint64_t frame, int64_t t_ns, const uint8_t* data, uint32_t caplen, uint32_t wire_len,
                   DecodedPacket& out) {
  out.frame = frame;
  out.t_ns = t_ns;
  out.caplen = caplen;
  out.wire_len = wire_len;
  TcpSegment s;
  out.status = decode_tcp_inline(dlt, data, caplen, s, true);
  if (out.status != DecodeStatus::Ok) return;
  // A segment larger than an Ethernet MTU carries (1460 payload bytes) whose sum fails:
  // on the receiving host, GRO merged it from several segments, each verified on
  // arrival, and the field is the first one's. Its checksum cannot be checked here.
  if (s.checksum == TcpSegment::Checksum::Bad && s.payload_len > 1460) s.checksum = TcpSegment::Checksum::Unknown;
  out.facts = {s.flags, s.seq, s.ack, s.payload_len, s.window, s.wscale, s.checksum != TcpSegment::Checksum::Bad,
               s.checksum};
  out.payload_captured = s.payload_captured;
  // The key: the "lower" endpoint first, so both directions meet. Any fixed order does;
  // this one compares the addresses as two 64-bit words each.
  uint64_t src[2], dst[2];
  address_words(s.src.addr, src);
  address_words(s.dst.addr, dst);
  out.src_is_lower = src[0] != dst[0] ? src[0] < dst[0] : src[1] != dst[1] ? src[1] < dst[1] : s.src.port <= s.dst.port;
  FlowKey& k = out.key;
  const uint64_t* lo = out.src_is_lower ? src : dst;
  const uint64_t* hi = out.src_is_lower ? dst : src;
  k.w[0] = lo[0];
  k.w[1] = lo[1];
  k.w[2] = hi[0];
  k.w[3] = hi[1];
  const uint16_t lo_port = out.src_is_lower ? s.src.port : s.dst.port, hi_port = out.src_is_lower ? s.dst.port : s.src.port;
  k.w[4] = uint64_t(lo_port) | uint64_t(hi_port) << 16 | uint64_t(s.src.addr.family == Family::V6) << 32;
  out.hash = k.hash();
}

}  // namespace detail

std::string_view reset_cause_meaning(std::string_view cause) {
  static constexpr std::pair<std::string_view, std::string_view> kMeanings[] = {
      {"close-unread-data",
       "its sender closed with bytes unread: Linux aborts with RST|ACK instead of FIN (the peer reads ECONNRESET)"},
      {"data-after-close",
       "its sender had closed (FIN sent) and answered data that came afterwards: the peer's next write fails (EPIPE)"},
      {"refused", "RST|ACK answering a SYN: nothing listens on that port (connect fails with ECONNREFUSED)"},
      {"abort", "RST with nothing pending: an SO_LINGER {on, 0} close, or the process died"},
      {"retransmission-storm",
       "RST after 3 or more unanswered retransmissions: the sender gave up, or had no connection left"},
      {"in-window-not-exact",
       "seq in the receive window but not rcv_nxt: a challenge ACK answers it (RFC 5961), the connection survives"},
      {"out-of-window", "seq outside the receive window: dropped silently"},
      {"ignored", "no connection to reset, or a SYN_SENT receiver whose SYN it does not acknowledge: dropped"},
      {"bad-checksum",
       "a TCP checksum neither correct nor offload-pending, and nothing its receiver did afterwards shows it "
       "arrived: dropped before TCP looks at it"},
  };
  for (const auto& [slug, meaning] : kMeanings)
    if (slug == cause) return meaning;
  return {};
}

struct Analyzer::Impl {
  /// What every packet of a connection touches. Its report, the entry's cold half, is
  /// taken into use only when the connection has something to say that does not fit
  /// here (an RST, a note, an unusual FIN): a clean connection never touches it, and is
  /// reported through a scratch report.
  struct Conn {
    struct Counters {
      uint64_t id = 0;
      uint64_t first_frame = 0;
      uint64_t fin_frame[2] = {0, 0};  // the FIN each side sent, while the report is not in use
      uint64_t packets = 0, last_frame = 0;
      int64_t last_ts = 0;
      uint32_t last_seq[2] = {0, 0};  // last data/SYN/FIN seq each side sent
      uint32_t retrans[2] = {0, 0};   // consecutive repeats of it
      uint32_t max_retrans[2] = {0, 0};
      uint32_t syn_isn = 0;
      uint8_t fins = 0;
      int8_t last_data_from = -1;     // which side sent the last payload
      bool a_is_lower = true;         // side 0 (a) is the key's lower endpoint
      bool sent[2] = {false, false};
      bool reset_accepted = false, refused = false, saw_syn = false;
      bool mid_stream = false;        // no handshake seen: both sides assumed ESTABLISHED
      bool has_report = false;        // the entry's cold half is this connection's report
      bool acked_last[2] = {false, false};  // each side's ACK covers all the other side sent
      bool acked[2] = {false, false};       // each side sent an ACK: highest_ack holds
      uint32_t highest_ack[2] = {0, 0};     // the highest ack each side sent (the other's snd_una)
      bool bad_pending = false;       // a bad-checksum segment awaits evidence (Impl::evidence)
    };
    Counters k;
    ConnectionModel model;
    bool closed() const { return k.reset_accepted || k.fins >= 2; }
  };
  using Table = detail::FlowTable<Conn, ConnectionReport>;

  int link_type;
  Sink sink;
  AnalyzeOptions options;
  AnalyzeStats& stats;
  std::vector<CapturedPacket>& kept;
  Table table;
  /// Connections in the order they closed, for the sweep (no scan of the table).
  struct Closed {
    detail::FlowKey key;
    uint64_t hash;
    uint64_t id;
    int64_t ts;
  };
  std::deque<Closed> closed_fifo;
  ConnectionReport scratch;  // the report of a connection without one of its own
  /// The words' buffers of the RSTs of reports reused (start_report), for the next RSTs'
  /// explanations: almost half of the generated captures' connections have an RST, and a
  /// fresh string per RST, freed when its report is reused, was a malloc and a free each.
  std::vector<std::string> spare_words;
  static constexpr size_t kSpareWords = 1024;
  /// A segment whose checksum is neither correct nor offload-pending, dropped by the
  /// model until the receiver's behaviour says otherwise. Rare: kept aside, by
  /// connection id, and looked at only for connections with Conn::k.bad_pending.
  struct BadSegment {
    uint64_t frame = 0;
    uint32_t seq = 0, end = 0;  // the sequence space it occupies
  };
  struct Evidence {
    std::optional<BadSegment> data[2];  // the last bad data/FIN segment each side sent
    // An RST with a bad checksum, from side rst_from: the model that took it instead,
    // fed every later segment too, and what it said then.
    bool rst_pending = false;
    int rst_from = 0;
    size_t rst_index = 0;  // in the report's resets
    std::string_view cause;
    RuleId cause_rule = RuleId::None;
    std::string classified;
    ConnectionModel taken;
    SegmentVerdict verdict;
  };
  std::unordered_map<uint64_t, Evidence> evidence;
  uint64_t next_id = 1;
  int64_t now = 0;
  detail::DecodedPacket one;  // on_packet's

  Impl(int lt, Sink s, AnalyzeOptions o, AnalyzeStats& st, std::vector<CapturedPacket>& k)
      : link_type(lt), sink(std::move(s)), options(std::move(o)), stats(st), kept(k) {}

  /// A fresh connection in a (possibly reused) entry: its per-packet half only.
  void open(uint32_t n, const detail::DecodedPacket& d) {
    Conn& c = table.hot(n);
    c.k = Conn::Counters{};
    c.model.reset();
    c.model.track_receive_queue = false;  // the wire cannot tell what applications read
    c.model.calls_observed = false;       // nor when they close
    c.model.with_reasons = options.words;
    // Events are frame numbers here: the model's default "#N" names them as Wireshark does.
    c.k.id = next_id++;
    c.k.first_frame = d.frame;
    const bool syn = d.has(tcpflag::SYN);
    const bool missed_syn = syn && d.has(tcpflag::ACK);  // a SYN|ACK first: the SYN's sender is its destination
    // An RST|ACK with seq 0 first: Linux refusing a SYN the capture missed (one direction
    // captured, or the capture started just after the SYN). Its destination sent the SYN.
    const bool refusal = !syn && d.has(tcpflag::RST) && d.has(tcpflag::ACK) && d.facts.seq == 0 && d.facts.len == 0;
    c.k.a_is_lower = (missed_syn || refusal) != d.src_is_lower;
    if (refusal) {
      c.model.assume_refused_syn(0, d.facts.ack);
      if (options.words)
        report_of(n).notes.push_back("the capture starts with an RST|ACK of seq 0, how Linux refuses a SYN: a's SYN "
                                     "(ISN = ack - 1) is taken as sent and not captured");
    } else if (!syn) {
      c.k.mid_stream = true;
      c.model.assume_established();
      if (options.words)
        report_of(n).notes.push_back("no handshake in the capture: both endpoints assumed ESTABLISHED, "
                                     "and the first sequence numbers seen taken as in order");
    }
    ++stats.connections;
  }

  /// Connection `n`'s own report, taken into use on first call.
  ConnectionReport& report_of(uint32_t n) {
    Conn& c = table.hot(n);
    ConnectionReport& r = table.cold(n);
    if (!c.k.has_report) {
      start_report(n, r);
      c.k.has_report = true;
      for (int side = 0; side < 2; ++side) c.k.fin_frame[side] = 0;  // now in r.fins
    }
    return r;
  }

  /// Fills `r` (a reused one: field by field, so its strings and vectors keep their
  /// buffers and a warm table allocates nothing) with what connection `n` holds in its
  /// per-packet half. (A field added to ConnectionReport is reset here too.)
  void start_report(uint32_t n, ConnectionReport& r) {
    const Conn& c = table.hot(n);
    r.id = c.k.id;
    r.a = detail::key_endpoint(table.key(n), c.k.a_is_lower);
    r.b = detail::key_endpoint(table.key(n), !c.k.a_is_lower);
    r.mid_stream = c.k.mid_stream;
    r.anomaly = false;
    r.ending.clear();
    for (ResetReport& x : r.resets)
      if (x.explanation.capacity() > 15 && spare_words.size() < kSpareWords)  // beyond the string's own room
        spare_words.push_back(std::move(x.explanation));
    r.resets.clear();
    r.fins.clear();
    r.notes.clear();
    for (EndpointPrediction& p : r.predicted) {
      p.next_read.clear();
      p.next_write.clear();
      p.so_error.clear();
      p.why.clear();
      p.write_raises_sigpipe = false;
      p.inferred = false;
      p.unknown.clear();
    }
    r.packets = r.last_frame = 0;
    r.first_frame = c.k.first_frame;
    const uint64_t* f = c.k.fin_frame;  // in frame order
    const int first = f[1] && (!f[0] || f[1] < f[0]) ? 1 : 0;
    for (int side : {first, 1 - first})
      if (f[side]) r.fins.push_back({f[side], side == 0 ? r.a : r.b, side == 0 ? r.b : r.a});
  }

  /// Why side `from` sent this RST, judged from the wire, before the model sees it: the
  /// cause (the model's classifier, the one live traces use too), and with the words on,
  /// the sentence (the model's verdict is appended to it).
  void classify_reset(const Conn& c, int from, bool ack, ResetReport& out) const {
    RstEvidence e;
    e.ack = ack;
    e.retrans_from = std::max(c.k.max_retrans[from], c.k.retrans[from]);
    e.retrans_other = c.k.retrans[1 - from];
    e.last_data_from = c.k.last_data_from;
    out.cause_rule = c.model.classify_rst_cause(from, e);
    out.cause = cause_slug(out.cause_rule);
    if (!options.words) return;
    out.explanation.reserve(256);  // room for the verdict
    const char* who = from == 0 ? "a" : "b";
    const char* other = from == 0 ? "b" : "a";
    switch (out.cause_rule) {
      case RuleId::CauseRefused: append_rule_words(out.explanation, out.cause_rule, 1, {who}); break;
      case RuleId::CauseDataAfterClose: append_rule_words(out.explanation, out.cause_rule, 1, {who, other}); break;
      case RuleId::CauseRetransmissionStorm:
        if (e.retrans_from >= 3)
          append_rule_words(out.explanation, out.cause_rule, 1, {who, std::to_string(e.retrans_from)});
        else
          append_rule_words(out.explanation, out.cause_rule, 2, {other, std::to_string(e.retrans_other), who});
        break;
      case RuleId::CauseCloseUnreadData:
        append_rule_words(out.explanation, out.cause_rule, c.k.acked_last[from] ? 2 : 3, {who, other});
        break;
      default: append_rule_words(out.explanation, RuleId::CauseAbort, 1, {who}); break;
    }
  }

  /// The slug the table and the JSON print for a cause rule (ResetReport::cause).
  static std::string_view cause_slug(RuleId r) {
    switch (r) {
      case RuleId::CauseRefused: return "refused";
      case RuleId::CauseDataAfterClose: return "data-after-close";
      case RuleId::CauseRetransmissionStorm: return "retransmission-storm";
      case RuleId::CauseCloseUnreadData: return "close-unread-data";
      default: return "abort";
    }
  }

  /// Counts one packet; true if it is a TCP segment to follow.
  bool admit(const detail::DecodedPacket& d) {
    ++stats.packets;
    now = d.t_ns;
    if (d.status == DecodeStatus::NotTcp) {
      ++stats.not_tcp;
      return false;
    }
    if (d.status != DecodeStatus::Ok) {
      ++stats.warnings[decode_status_name(d.status)];
      return false;
    }
    if (d.payload_captured < d.facts.len) {
      if (d.caplen >= d.wire_len) {  // not cut by snaplen: the IP header claims bytes that never existed
        ++stats.warnings["ip-length-beyond-packet"];
        return false;
      }
      ++stats.warnings["cut-by-snaplen"];
    }
    ++stats.tcp;
    if (d.facts.checksum == TcpSegment::Checksum::Offload) ++stats.offload_checksums;
    else if (d.facts.checksum == TcpSegment::Checksum::Bad) ++stats.bad_checksums;
    return true;
  }

  void on_batch(const detail::PacketBatch& batch) {
    const detail::DecodedPacket* p = batch.packets;
    const size_t n = batch.count;
    // Memory latency, not arithmetic, bounds this loop: ask for the index slot eight
    // packets ahead and for the entry it names four packets ahead.
    constexpr size_t kSlotAhead = 8, kEntryAhead = 4;
    for (size_t i = 0; i < std::min(n, kSlotAhead); ++i) table.prefetch_slot(p[i].hash);
    for (size_t i = 0; i < n; ++i) {
      if (i + kSlotAhead < n) table.prefetch_slot(p[i + kSlotAhead].hash);
      if (i + kEntryAhead < n)  // an RST goes into the report: its half too
        table.prefetch_entry(p[i + kEntryAhead].hash, p[i + kEntryAhead].has(tcpflag::RST));
      const uint8_t* raw = batch.keep_raw ? batch.raw.data() + p[i].raw_offset : nullptr;
      if (admit(p[i])) on_segment(p[i], raw);
      if (options.progress && (p[i].frame & 0xfffff) == 0) options.progress(p[i].frame);
    }
  }

  void on_packet(uint64_t frame, int64_t t, const uint8_t* data, size_t caplen, uint32_t wire_len) {
    detail::decode_packet(link_type, frame, t, data, static_cast<uint32_t>(caplen), wire_len, one);
    if (admit(one)) on_segment(one, data);
  }

  void on_segment(const detail::DecodedPacket& d, const uint8_t* raw) {
    const SegmentFacts& s = d.facts;
    const uint64_t frame = d.frame;
    uint32_t n = table.find(d.key, d.hash);
    const bool new_syn = d.has(tcpflag::SYN) && !d.has(tcpflag::ACK);
    if (n != Table::kNone && new_syn) {
      const Conn& old = table.hot(n);
      if (old.closed() || old.k.fins > 0 || (old.k.saw_syn && old.k.syn_isn != s.seq)) {
        report(n);  // a new SYN after the close (or with another ISN): a new connection
        table.erase(d.key, d.hash);
        n = Table::kNone;
      }
    }
    if (n == Table::kNone) {
      n = table.insert(d.key, d.hash);
      open(n, d);
      stats.peak_open = std::max(stats.peak_open, table.size());
      table.prefetch_next_insert();
    }
    Conn& c = table.hot(n);
    const bool was_closed = c.closed();
    ++c.k.packets;
    c.k.last_frame = frame;
    c.k.last_ts = d.t_ns;
    if (options.keep_flow && *options.keep_flow == c.k.id && raw) {
      CapturedPacket p;
      p.frame = frame;
      p.t_ns = d.t_ns;
      p.wire_len = d.wire_len;
      p.data.assign(raw, raw + d.caplen);
      kept.push_back(std::move(p));
    }
    const int from = d.src_is_lower == c.k.a_is_lower ? 0 : 1;
    if (new_syn && !c.k.saw_syn) {
      c.k.saw_syn = true;
      c.k.syn_isn = s.seq;
    }

    if (c.k.bad_pending) weigh_evidence(n, from, d);

    // Retransmissions: the same sequence-space-occupying segment again. A keep-alive or
    // Linux zero-window probe (0 or 1 byte at snd_una-1: one below what the receiver last
    // acknowledged, sent every so often while the connection idles), or a 1-byte probe
    // into a receiver's zero window (other stacks), is not one.
    const uint32_t seg_len = d.seq_len();
    const EndpointModel& rx = c.model.side(1 - from);
    const bool probe = seg_len <= 1 && (s.flags & (tcpflag::SYN | tcpflag::FIN | tcpflag::RST)) == 0 &&
                       c.k.acked[1 - from] &&
                       (s.seq + 1 == c.k.highest_ack[1 - from] || (rx.own_segments && rx.window == 0));
    if (seg_len > 0 && !d.has(tcpflag::RST) && !probe) {
      if (c.k.sent[from] && s.seq == c.k.last_seq[from]) {
        ++c.k.retrans[from];
        c.k.max_retrans[from] = std::max(c.k.max_retrans[from], c.k.retrans[from]);
      } else if (!c.k.sent[from] || seq::gt(s.seq, c.k.last_seq[from])) {
        c.k.retrans[from] = 0;
        c.k.last_seq[from] = s.seq;
      }
      c.k.sent[from] = true;
    } else if (d.has(tcpflag::ACK) && c.k.sent[1 - from]) {
      // An ACK covering the other side's segment ends its retransmission run.
      if (seq::gt(s.ack, c.k.last_seq[1 - from])) c.k.retrans[1 - from] = 0;
    }

    if (d.has(tcpflag::RST)) {
      on_reset(c, report_of(n), from, s, frame, d.t_ns);
    } else {
      const SegmentVerdict v = c.model.on_segment(from, s, frame, d.t_ns);  // t: the challenge-ACK rate limit
      if (v.fin || v.fin_by_ack || v.challenge_ack) on_fin_or_challenge_ack(n, from, v, frame);
      if (!s.checksum_ok && seg_len > 0) remember_bad_data(n, from, d);
    }
    if (s.len > 0 && !probe) {
      c.k.last_data_from = static_cast<int8_t>(from);
      c.k.acked_last[1 - from] = false;
    }
    if ((s.flags & (tcpflag::ACK | tcpflag::RST)) == tcpflag::ACK) {
      c.k.acked_last[from] = s.ack == c.model.side(1 - from).snd_nxt;
      if (!c.k.acked[from] || seq::gt(s.ack, c.k.highest_ack[from])) c.k.highest_ack[from] = s.ack;
      c.k.acked[from] = true;
    }

    if (!was_closed && c.closed()) closed_fifo.push_back({d.key, d.hash, c.k.id, d.t_ns});
    if ((stats.packets & 0xfff) == 0) sweep();
  }

  /// What the checksum field of a segment showed, in ResetReport::checksum's words.
  static std::string_view checksum_word(TcpSegment::Checksum k) {
    switch (k) {
      case TcpSegment::Checksum::Good: return "good";
      case TcpSegment::Checksum::Offload: return "offload";
      case TcpSegment::Checksum::Bad: return "bad";
      case TcpSegment::Checksum::Unknown: break;
    }
    return "unverified";
  }

  /// An RST from side `from`: why it was sent, then what it did.
  __attribute__((noinline)) void on_reset(Conn& c, ConnectionReport& r, int from, const SegmentFacts& s,
                                          uint64_t frame, int64_t t_ns) {
    ++stats.resets;
    ResetReport& rst = r.resets.emplace_back();
    if (options.words && !spare_words.empty()) {
      rst.explanation = std::move(spare_words.back());
      rst.explanation.clear();
      spare_words.pop_back();
    }
    classify_reset(c, from, s.flags & tcpflag::ACK, rst);  // before the model: the cause lies in the state the RST found
    rst.checksum = checksum_word(s.checksum);
    rst.frame = frame;
    rst.from = from == 0 ? r.a : r.b;
    rst.to = from == 0 ? r.b : r.a;
    if (!s.checksum_ok) {
      // Dropped before TCP - unless the receiver shows otherwise later (weigh_evidence):
      // keep the model that took the RST, fed every segment from here on, to switch to.
      Evidence& ev = evidence[c.k.id];
      c.k.bad_pending = true;
      ev.rst_pending = true;
      ev.rst_from = from;
      ev.rst_index = r.resets.size() - 1;
      ev.cause = rst.cause;
      ev.cause_rule = rst.cause_rule;
      ev.classified = std::move(rst.explanation);
      ev.taken = c.model;
      SegmentFacts good = s;
      good.checksum_ok = true;
      ev.verdict = ev.taken.on_segment(from, good, frame, t_ns);
    }
    SegmentVerdict v = c.model.on_segment(from, s, frame, t_ns);
    apply_reset_verdict(c, r, rst, from, v);
  }

  /// Fills an RST's reaction from the model's verdict `v`.
  void apply_reset_verdict(Conn& c, ConnectionReport& r, ResetReport& rst, int from, SegmentVerdict& v) {
    rst.reaction = v.reaction;
    rst.err = v.err;
    rst.rule = v.rule;
    // An RST that did nothing is described by what the receiver did with it: why it was
    // sent is then no more than a guess (a refusal excepted, told by the SYN it answers).
    if (v.reaction != RstReaction::Accepted && rst.cause != "refused") rst.cause_rule = RuleId::None;
    if (v.dropped_bad_checksum) {
      rst.reaction = RstReaction::Ignored;
      rst.cause = "bad-checksum";
      rst.explanation = std::move(v.why);
      r.anomaly = true;
    } else if (v.reaction == RstReaction::ChallengeAck) {
      rst.cause = "in-window-not-exact";
      rst.explanation = std::move(v.why);
      r.anomaly = true;
    } else if (v.reaction == RstReaction::Ignored) {
      // An in-window RST whose challenge ACK the rate limit held back is still in-window-not-exact.
      if (rst.cause != "refused")
        rst.cause = v.outside_window ? "out-of-window" : v.rate_limited ? "in-window-not-exact" : "ignored";
      rst.explanation = std::move(v.why);
      r.anomaly = true;
    } else {
      if (options.words) detail::append_all(rst.explanation, "; ", v.why);
      c.k.reset_accepted = true;
      if (v.err == ECONNREFUSED) c.k.refused = true;
    }
    if (rst.cause == "retransmission-storm") r.anomaly = true;
    // A verdict on an endpoint the capture knows only from the other side says so.
    const EndpointModel& to = c.model.side(1 - from);
    if (options.words && to.inferred && !v.dropped_bad_checksum)
      detail::append_all(rst.explanation, " [inferred: ", from == 0 ? "b" : "a",
                         to.own_segments ? "'s handshake is not in the capture"
                                         : "'s state comes from the other side's segments, none of its own are in "
                                           "the capture",
                         "]");
  }

  /// A data or FIN segment whose checksum is neither correct nor offload-pending: the
  /// model dropped it; the receiver's ACKs may still show it arrived (weigh_evidence).
  __attribute__((noinline)) void remember_bad_data(uint32_t n, int from, const detail::DecodedPacket& d) {
    Conn& c = table.hot(n);
    c.k.bad_pending = true;
    evidence[c.k.id].data[from] = BadSegment{d.frame, d.facts.seq, d.facts.seq + d.seq_len()};
    report_of(n).anomaly = true;
  }

  /// Before segment `d` from side `from` is applied: what it shows about the bad-checksum
  /// segments still pending on its connection.
  __attribute__((noinline)) void weigh_evidence(uint32_t n, int from, const detail::DecodedPacket& d) {
    Conn& c = table.hot(n);
    auto it = evidence.find(c.k.id);
    if (it == evidence.end()) {
      c.k.bad_pending = false;
      return;
    }
    Evidence& ev = it->second;
    const SegmentFacts& s = d.facts;
    const char* side_name[2] = {"a", "b"};
    // The sender sends it again, intact: the capture agrees with the drop.
    if (auto& bad = ev.data[from]; bad && s.checksum_ok && s.seq == bad->seq && !d.has(tcpflag::RST)) {
      if (options.words)
        report_of(n).notes.push_back(detail::concat("#", std::to_string(bad->frame),
                                                    " has a bad TCP checksum (neither correct nor offload-pending): "
                                                    "dropped before TCP; #", std::to_string(d.frame),
                                                    ", its retransmission, delivered it"));
      bad.reset();
    }
    // The receiver acknowledges past it without a retransmission: it arrived after all.
    if (auto& bad = ev.data[1 - from];
        bad && s.checksum_ok && (s.flags & (tcpflag::ACK | tcpflag::RST)) == tcpflag::ACK && seq::ge(s.ack, bad->end)) {
      if (options.words)
        report_of(n).notes.push_back(detail::concat(
            "#", std::to_string(bad->frame), " shows a bad TCP checksum, but ", side_name[from], "'s ACK #",
            std::to_string(d.frame),
            " covers it: it reached TCP intact (the capture saw it damaged or unfinished), so it is not taken as "
            "dropped"));
      bad.reset();
    }
    if (ev.rst_pending) {
      ConnectionReport& r = report_of(n);
      ResetReport& rst = r.resets[ev.rst_index];
      if (from != ev.rst_from && !d.has(tcpflag::RST) && s.checksum_ok) {
        // The receiver carries on as a connection that was not reset: the drop stands.
        if (options.words)
          detail::append_all(rst.explanation, "; ", side_name[from], " sent #", std::to_string(d.frame),
                             " afterwards as a connection that was not reset does: the drop stands");
        ev.rst_pending = false;
      } else if (from != ev.rst_from && d.has(tcpflag::RST)) {
        // The receiver answers with RST, as a socket without the connection does: it took
        // the RST after all. Switch to the model that did.
        c.model = std::move(ev.taken);
        rst.cause = ev.cause;
        rst.cause_rule = ev.cause_rule;
        rst.explanation = std::move(ev.classified);
        apply_reset_verdict(c, r, rst, ev.rst_from, ev.verdict);
        if (options.words)
          detail::append_all(rst.explanation, " (its checksum is wrong in the capture, but ", side_name[from],
                             " answered #", std::to_string(d.frame),
                             " with RST as a socket without the connection does: it took this RST)");
        ev.rst_pending = false;
      } else {
        ev.taken.on_segment(from, s, d.frame, d.t_ns);  // the other hypothesis follows the connection too
      }
    }
    if (!ev.rst_pending && !ev.data[0] && !ev.data[1]) {
      evidence.erase(it);
      c.k.bad_pending = false;
    }
  }

  /// At the end of a connection: the bad-checksum segments nothing contradicted.
  __attribute__((noinline)) void close_evidence(const Conn& c, ConnectionReport& r) {
    auto it = evidence.find(c.k.id);
    if (it == evidence.end()) return;
    Evidence& ev = it->second;
    const char* side_name[2] = {"a", "b"};
    if (options.words) {
      if (ev.rst_pending)
        detail::append_all(r.resets[ev.rst_index].explanation, "; nothing ", side_name[1 - ev.rst_from],
                           " sent afterwards contradicts the drop");
      for (int side = 0; side < 2; ++side)
        if (ev.data[side])
          r.notes.push_back(detail::concat("#", std::to_string(ev.data[side]->frame),
                                           " has a bad TCP checksum (neither correct nor offload-pending) and "
                                           "nothing afterwards shows it arrived: dropped before TCP"));
    }
    evidence.erase(it);
  }

  void on_fin_or_challenge_ack(uint32_t n, int from, const SegmentVerdict& v, uint64_t frame) {
    Conn& c = table.hot(n);
    if (v.fin || v.fin_by_ack) {
      // A FIN taken late (its segment looked dropped; the receiver's ACK shows it
      // arrived) is listed as sent by the other side, at its own frame.
      const int sender = v.fin_by_ack ? 1 - from : from;
      const uint64_t at = v.fin_by_ack ? v.fin_event : frame;
      ++stats.fins;
      ++c.k.fins;
      if (!c.k.has_report && !c.k.fin_frame[sender]) {
        c.k.fin_frame[sender] = at;  // the usual one FIN per side: kept here
      } else {
        ConnectionReport& r = report_of(n);
        r.fins.push_back({at, sender == 0 ? r.a : r.b, sender == 0 ? r.b : r.a});
      }
    }
    if (v.challenge_ack && options.words)
      report_of(n).notes.push_back(rule_words(RuleId::RstChallengeAck, 2, {std::to_string(frame)}));
  }

  /// Reports and frees closed connections that went quiet.
  void sweep() {
    while (!closed_fifo.empty() && now - closed_fifo.front().ts > options.linger_ns) {
      // As on_batch does: the index slot 8 ahead, the entry it names 4 ahead.
      if (closed_fifo.size() > 8) table.prefetch_slot(closed_fifo[8].hash);
      if (closed_fifo.size() > 4) table.prefetch_entry(closed_fifo[4].hash, true);
      Closed k = closed_fifo.front();
      closed_fifo.pop_front();
      const uint32_t n = table.find(k.key, k.hash);
      if (n == Table::kNone || table.hot(n).k.id != k.id) continue;  // gone already, or a new connection
      if (now - table.hot(n).k.last_ts > options.linger_ns) {
        report(n);
        table.erase(k.key, k.hash);
      } else {
        k.ts = table.hot(n).k.last_ts;  // it was still talking: look again later
        closed_fifo.push_back(k);
      }
    }
  }

  void predict(const Conn& c, ConnectionReport& r) {
    for (int s = 0; s < 2; ++s) {
      EndpointPrediction& p = r.predicted[s];
      // The results without words (no allocation); the reason is words, built only when
      // wanted and only for the call it is about.
      const ConnectionModel::NextCalls calls = c.model.next_calls(s);
      const bool read_ok = std::strcmp(calls.read, "block") == 0 || std::strcmp(calls.read, "data") == 0;
      p.next_read = read_ok ? "ok" : calls.read;
      p.next_write = calls.write;
      p.write_raises_sigpipe = calls.sigpipe;
      if (calls.so_error) p.so_error = errno_name(calls.so_error);
      else p.so_error = "0";
      const EndpointModel& m = c.model.side(s);
      p.inferred = m.inferred;
      if (m.inferred && options.words)
        p.unknown = m.own_segments
                        ? "the capture starts after the handshake (or after its SYN): window scaling and anything it "
                          "sent before its first segment in the capture are unknown"
                        : "none of its own segments are in the capture (one direction only, or a tap on the other "
                          "side): its state comes from the other side's segments; its receive window, whatever it "
                          "sent and whether its application already closed are unknown";
      // Into the report's own buffer, reused from connection to connection (no string
      // allocated and freed per prediction).
      p.why.clear();
      if (options.words && (options.explain_ok_endpoints || p.next_read != "ok" || p.next_write != "ok")) {
        if (calls.so_error || std::strcmp(calls.read, "EOF") != 0) c.model.predict_write(s, p.why);
        else c.model.predict_read(s, p.why);
      }
    }
    // Unanswered retransmissions up to the end: the sender's kernel will give up.
    if (r.ending == "timeout")
      for (int s = 0; s < 2; ++s)
        if (c.k.retrans[s] >= 2 && r.predicted[s].next_read == "ok") {
          EndpointPrediction& p = r.predicted[s];
          p.next_read = p.next_write = "ETIMEDOUT";
          p.so_error = "ETIMEDOUT";
          p.write_raises_sigpipe = false;
          if (options.words) {
            p.why.clear();
            append_rule_words(p.why, RuleId::RetransmissionTimeout, 0, {std::to_string(c.k.retrans[s])});
          }
        }
  }

  void report(uint32_t n) {
    const Conn& c = table.hot(n);
    ConnectionReport& r = c.k.has_report ? table.cold(n) : scratch;
    if (!c.k.has_report) start_report(n, r);
    r.packets = c.k.packets;
    r.last_frame = c.k.last_frame;
    if (c.k.refused) r.ending = "refused";
    else if (c.k.reset_accepted) r.ending = "rst";
    else if (c.k.fins >= 2) r.ending = "fin";
    else if (c.k.retrans[0] >= 2 || c.k.retrans[1] >= 2) r.ending = "timeout";
    else r.ending = "open";
    if (r.ending == "timeout") r.anomaly = true;
    if (c.k.bad_pending) close_evidence(c, r);
    if (options.report_only && !options.report_only(r)) return;
    predict(c, r);
    sink(r);
  }

  void finish() {
    std::vector<std::pair<uint64_t, uint32_t>> rest;  // (id, entry): each entry read once, not per comparison
    rest.reserve(table.size());
    table.for_each([&](uint32_t n) { rest.emplace_back(table.hot(n).k.id, n); });
    std::sort(rest.begin(), rest.end());
    for (size_t i = 0; i < rest.size(); ++i) {
      if (i + 4 < rest.size()) table.prefetch_pool(rest[i + 4].second, true);
      report(rest[i].second);
    }
    table.clear();
    closed_fifo.clear();
  }
};

Analyzer::Analyzer(int link_type, Sink sink, AnalyzeOptions options)
    : impl_(std::make_unique<Impl>(link_type, std::move(sink), std::move(options), stats_, kept_)) {}
Analyzer::~Analyzer() = default;

void Analyzer::on_packet(uint64_t frame, int64_t t, const uint8_t* data, size_t caplen, uint32_t wire_len) {
  impl_->on_packet(frame, t, data, caplen, wire_len);
}

void Analyzer::on_batch(const detail::PacketBatch& batch) { impl_->on_batch(batch); }

void Analyzer::finish() { impl_->finish(); }

}  // namespace rstlab
