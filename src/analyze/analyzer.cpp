// SPDX-License-Identifier: MIT
// The connection table of `rstlab analyze`. Per packet: a bounds-checked decode (no
// allocation, checksums only for RSTs, done ahead by the reader thread), one hash
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "analyze/flow_table.h"
#include "analyze/packet_batch.h"
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
  out.status = decode_tcp_inline(dlt, data, caplen, s, false);
  if (out.status != DecodeStatus::Ok) return;
  if (s.has(tcpflag::RST)) decode_tcp(dlt, data, caplen, s, true);  // a bad sum matters here
  out.facts = {s.flags, s.seq, s.ack, s.payload_len, s.window, s.wscale, s.checksum != TcpSegment::Checksum::Bad};
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
      {"bad-checksum", "a wrong TCP checksum: dropped before TCP looks at it"},
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
    c.model.with_reasons = options.words;
    // Events are frame numbers here: the model's default "#N" names them as Wireshark does.
    c.k.id = next_id++;
    c.k.first_frame = d.frame;
    const bool syn = d.has(tcpflag::SYN);
    const bool missed_syn = syn && d.has(tcpflag::ACK);  // a SYN|ACK first: the SYN's sender is its destination
    c.k.a_is_lower = missed_syn != d.src_is_lower;
    if (!syn) {
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
    r.resets.clear();
    r.fins.clear();
    r.notes.clear();
    for (EndpointPrediction& p : r.predicted) {
      p.next_read.clear();
      p.next_write.clear();
      p.so_error.clear();
      p.why.clear();
      p.write_raises_sigpipe = false;
    }
    r.packets = r.last_frame = 0;
    r.first_frame = c.k.first_frame;
    const uint64_t* f = c.k.fin_frame;  // in frame order
    const int first = f[1] && (!f[0] || f[1] < f[0]) ? 1 : 0;
    for (int side : {first, 1 - first})
      if (f[side]) r.fins.push_back({f[side], side == 0 ? r.a : r.b, side == 0 ? r.b : r.a});
  }

  /// Why side `from` sent this RST, judged from the wire, before the model sees it: the
  /// cause, and with the words on, the sentence (the model's verdict is appended to it).
  void classify_reset(const Conn& c, int from, bool ack, ResetReport& out) const {
    const EndpointModel& a = c.model.side[from];
    const EndpointModel& b = c.model.side[1 - from];
    const char* who = from == 0 ? "a" : "b";
    const char* other = from == 0 ? "b" : "a";
    const auto say = [&](const auto&... parts) {
      if (!options.words) return;
      out.explanation.reserve(256);  // room for the verdict
      detail::append_all(out.explanation, parts...);
    };
    if (b.state == TcpState::SynSent && ack) {
      out.cause = "refused";
      say("nothing listens on ", who, "'s port: RST|ACK answers the SYN");
    } else if (a.fin_sent && a.data_after_fin) {
      out.cause = "data-after-close";
      say(who, " had closed (FIN sent); ", other, "'s data arrived afterwards and was answered with RST");
    } else if (c.k.max_retrans[from] >= 3 || c.k.retrans[from] >= 3) {
      out.cause = "retransmission-storm";
      say(who, " retransmitted ", std::to_string(std::max(c.k.max_retrans[from], c.k.retrans[from])),
          " times without an answer, then gave up with RST");
    } else if (c.k.retrans[1 - from] >= 3) {
      out.cause = "retransmission-storm";
      say("RST answering ", other, "'s ", std::to_string(c.k.retrans[1 - from]), " retransmissions: ", who,
          " no longer has the connection");
    } else if (!a.fin_sent && c.k.last_data_from == 1 - from && ack) {
      out.cause = "close-unread-data";
      say(who, " closed with unread data (", other, "'s last bytes were never answered): RST|ACK instead of FIN");
    } else {
      out.cause = "abort";
      say(who, " aborted with nothing pending (SO_LINGER 0 close, or the process died)");
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
    return true;
  }

  void on_batch(const detail::PacketBatch& batch) {
    const detail::DecodedPacket* p = batch.packets.data();
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

    // Retransmissions: the same sequence-space-occupying segment again.
    const uint32_t seg_len = d.seq_len();
    if (seg_len > 0 && !d.has(tcpflag::RST)) {
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
      on_reset(c, report_of(n), from, s, frame);
    } else {
      const SegmentVerdict v = c.model.on_segment(from, s, frame);
      if (v.fin || v.challenge_ack) on_fin_or_challenge_ack(n, from, v, frame);
    }
    if (s.len > 0) c.k.last_data_from = static_cast<int8_t>(from);

    if (!was_closed && c.closed()) closed_fifo.push_back({d.key, d.hash, c.k.id, d.t_ns});
    if ((stats.packets & 0xfff) == 0) sweep();
  }

  /// An RST from side `from`: why it was sent, then what it did.
  __attribute__((noinline)) void on_reset(Conn& c, ConnectionReport& r, int from, const SegmentFacts& s,
                                          uint64_t frame) {
    ++stats.resets;
    ResetReport& rst = r.resets.emplace_back();
    classify_reset(c, from, s.flags & tcpflag::ACK, rst);  // before the model: the cause lies in the state the RST found
    SegmentVerdict v = c.model.on_segment(from, s, frame);
    rst.frame = frame;
    rst.from = from == 0 ? r.a : r.b;
    rst.to = from == 0 ? r.b : r.a;
    rst.reaction = v.reaction;
    rst.err = v.err;
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
      if (rst.cause != "refused") rst.cause = v.outside_window ? "out-of-window" : "ignored";
      rst.explanation = std::move(v.why);
      r.anomaly = true;
    } else {
      if (options.words) detail::append_all(rst.explanation, "; ", v.why);
      c.k.reset_accepted = true;
      if (v.err == ECONNREFUSED) c.k.refused = true;
    }
    if (rst.cause == "retransmission-storm") r.anomaly = true;
  }

  void on_fin_or_challenge_ack(uint32_t n, int from, const SegmentVerdict& v, uint64_t frame) {
    Conn& c = table.hot(n);
    if (v.fin) {
      ++stats.fins;
      ++c.k.fins;
      if (!c.k.has_report && !c.k.fin_frame[from]) {
        c.k.fin_frame[from] = frame;  // the usual one FIN per side: kept here
      } else {
        ConnectionReport& r = report_of(n);
        r.fins.push_back({frame, from == 0 ? r.a : r.b, from == 0 ? r.b : r.a});
      }
    }
    if (v.challenge_ack && options.words)
      report_of(n).notes.push_back(detail::concat("#", std::to_string(frame),
                                       " is the challenge ACK answering an in-window RST (RFC 5961), not a "
                                       "duplicate ACK, a retransmission or an out-of-order segment"));
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
      if (options.words && (options.explain_ok_endpoints || p.next_read != "ok" || p.next_write != "ok"))
        p.why = std::move(calls.so_error || std::strcmp(calls.read, "EOF") != 0 ? c.model.predict_write(s)
                                                                                 : c.model.predict_read(s))
                    .reason;
    }
    // Unanswered retransmissions up to the end: the sender's kernel will give up.
    if (r.ending == "timeout")
      for (int s = 0; s < 2; ++s)
        if (c.k.retrans[s] >= 2 && r.predicted[s].next_read == "ok") {
          EndpointPrediction& p = r.predicted[s];
          p.next_read = p.next_write = "ETIMEDOUT";
          p.so_error = "ETIMEDOUT";
          p.write_raises_sigpipe = false;
          if (options.words)
            p.why = detail::concat("its data went unacknowledged (", std::to_string(c.k.retrans[s]),
                                   " retransmissions, no answer): when the retransmission limit or "
                                   "TCP_USER_TIMEOUT runs out the kernel aborts with ETIMEDOUT and sends no RST");
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
    table = Table();
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
